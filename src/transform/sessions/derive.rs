//! All sessions of one source from its auth events: a tight loop over sorted integers.
//!
//! Machines and users are interned to `u32` ids as batches arrive (once per distinct value
//! of a dictionary-encoded batch; a batch is dropped once read), each event becomes 16
//! bytes — the (machine, user) pair packed into a `u64`, and the instant doubled with the
//! kind in its low bit — and one unstable sort of that vector puts every (machine, user) in
//! event-time order. Then `SessionBuilder` walks each group and the sessions go straight
//! into per-day column builders. Memory: the distinct strings, 16 bytes per event, and the
//! output columns; no row objects, no polars frame.
//!
//! Both halves run on every core: readers of different partitions fill derivers of their
//! own that are merged (ids remapped), and the sorted events are cut at group boundaries
//! into one slice per thread, each building its own part of every day.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rayon::prelude::*;

use super::batch::{DaySessions, Names, Row};
use super::intern::{per_row, Interner};
use super::rules::{EventKind, Session, SessionBuilder, SessionRules};
use crate::transform::TransformError;

/// The columns `auth_events` carries that sessions are derived from.
pub const MACHINE: &str = "machine";
pub const USER: &str = "user";
pub const EVENT_AT: &str = "event_at";
pub const EVENT_TYPE: &str = "event_type";

/// A NULL machine or user: the row cannot belong to a session.
const NO_ID: u32 = u32::MAX;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Logout,
    /// `failed_login` or anything else: only moves the source's latest instant.
    Other,
}

/// Collects a source's login and logout events, then derives every session from them.
#[derive(Default)]
pub struct SessionDeriver {
    machines: Interner,
    users: Interner,
    /// (machine << 32 | user, instant * 2 + is_logout).
    events: Vec<(u64, i64)>,
    /// The source's latest event of any type (failed logins included).
    latest_event_at: Option<i64>,
    /// Rows read, kept or not.
    rows: u64,
}

impl SessionDeriver {
    /// Rows added so far, including those that cannot be part of a session.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds the events of one `auth_events` batch (text columns plain or as dictionaries).
    /// Rows without a machine, user or time cannot belong to a session (the readers reject
    /// them before the lake); failed logins only move the source's latest instant.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), TransformError> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| TransformError::ColumnType {
                    dataset: "auth_events".into(),
                    column: name.into(),
                    found: "nothing".into(),
                    expected: "a column",
                })
        };
        let (machines, users) = (&mut self.machines, &mut self.users);
        let machine = per_row(column(MACHINE)?, MACHINE, |v| {
            v.map_or(NO_ID, |s| machines.id(s))
        })?;
        let user = per_row(column(USER)?, USER, |v| v.map_or(NO_ID, |s| users.id(s)))?;
        let kind = per_row(column(EVENT_TYPE)?, EVENT_TYPE, |v| match v {
            Some("login") => Kind::Login,
            Some("logout") => Kind::Logout,
            _ => Kind::Other,
        })?;
        let at = column(EVENT_AT)?;
        let at = at
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| TransformError::ColumnType {
                dataset: "auth_events".into(),
                column: EVENT_AT.into(),
                found: at.data_type().to_string(),
                expected: "Timestamp(µs)",
            })?;
        self.rows += batch.num_rows() as u64;
        self.events.reserve(batch.num_rows());
        let mut latest = self.latest_event_at.unwrap_or(i64::MIN);
        let mut any = self.latest_event_at.is_some();
        for row in 0..batch.num_rows() {
            if at.is_null(row) {
                continue;
            }
            let instant = at.value(row);
            latest = latest.max(instant);
            any = true;
            let is_logout = match kind[row] {
                Kind::Login => 0,
                Kind::Logout => 1,
                Kind::Other => continue,
            };
            if machine[row] == NO_ID || user[row] == NO_ID {
                continue;
            }
            let group = (u64::from(machine[row]) << 32) | u64::from(user[row]);
            self.events.push((group, instant * 2 + is_logout));
        }
        self.latest_event_at = any.then_some(latest);
        Ok(())
    }

    /// One deriver holding the events of both (read from different partitions).
    pub fn merge(self, other: SessionDeriver) -> SessionDeriver {
        // Remap the ids of the smaller one.
        let (mut big, small) = if self.events.len() >= other.events.len() {
            (self, other)
        } else {
            (other, self)
        };
        let machine_ids = big.machines.absorb(&small.machines);
        let user_ids = big.users.absorb(&small.users);
        big.events
            .extend(small.events.iter().map(|&(group, packed)| {
                let machine = machine_ids[(group >> 32) as usize];
                let user = user_ids[(group & u64::from(u32::MAX)) as usize];
                ((u64::from(machine) << 32) | u64::from(user), packed)
            }));
        big.latest_event_at = big.latest_event_at.max(small.latest_event_at);
        big.rows += small.rows;
        big
    }

    /// Every session of the source, split by the local date of its login (an orphan's by
    /// its logout) in `tz`.
    pub fn derive(mut self, source: &str, rules: SessionRules, tz: Tz) -> DerivedSessions {
        self.events.par_sort_unstable();
        let latest = self.latest_event_at.unwrap_or(i64::MIN);
        let slices = group_aligned_slices(&self.events, rayon::current_num_threads());
        let parts: Vec<BTreeMap<NaiveDate, DaySessions>> = slices
            .into_par_iter()
            .map(|events| derive_slice(events, rules, tz, latest))
            .collect();
        drop(self.events);
        let mut days: BTreeMap<NaiveDate, DaySessions> = BTreeMap::new();
        for part in parts {
            for (date, sessions) in part {
                days.entry(date).or_default().append(sessions);
            }
        }
        DerivedSessions {
            names: Names::new(self.machines, self.users, source),
            days,
        }
    }
}

/// A source's sessions by day, and the names their rows refer to.
pub struct DerivedSessions {
    pub names: Names,
    pub days: BTreeMap<NaiveDate, DaySessions>,
}

fn derive_slice(
    events: &[(u64, i64)],
    rules: SessionRules,
    tz: Tz,
    latest: i64,
) -> BTreeMap<NaiveDate, DaySessions> {
    let mut days: BTreeMap<NaiveDate, DaySessions> = BTreeMap::new();
    let mut builder = SessionBuilder::new(rules);
    let mut out: Vec<Session> = Vec::new();
    for group in events.chunk_by(|a, b| a.0 == b.0) {
        for &(_, packed) in group {
            let kind = if packed & 1 == 1 {
                EventKind::Logout
            } else {
                EventKind::Login
            };
            builder.push(packed >> 1, kind, &mut out);
        }
        builder.finish(latest, &mut out);
        let owner = group[0].0;
        for session in out.drain(..) {
            let anchor = session.login_at.or(session.logout_at).expect("either end");
            let date = crate::days::local_date(anchor, tz);
            days.entry(date)
                .or_default()
                .push(Row::new(owner, &session));
        }
    }
    days
}

/// `events` (sorted) cut into up to `parts` slices of about equal length, never between
/// two events of one (machine, user).
fn group_aligned_slices(events: &[(u64, i64)], parts: usize) -> Vec<&[(u64, i64)]> {
    let mut slices = Vec::new();
    let mut start = 0;
    for k in 1..=parts.max(1) {
        let mut end = (events.len() * k / parts.max(1)).max(start);
        while end > 0 && end < events.len() && events[end].0 == events[end - 1].0 {
            end += 1;
        }
        if end > start {
            slices.push(&events[start..end]);
            start = end;
        }
    }
    slices
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, StringArray, TimestampMicrosecondArray};

    use super::*;
    use crate::transform::sessions::LoginPolicy;

    const HOUR: i64 = 3_600_000_000;
    /// 2026-01-10T00:00:00Z.
    const DAY: i64 = 1_768_003_200_000_000;

    fn batch(rows: &[(&str, &str, i64, &str)]) -> RecordBatch {
        let column = |values: Vec<&str>| -> ArrayRef { Arc::new(StringArray::from(values)) };
        RecordBatch::try_from_iter([
            (MACHINE, column(rows.iter().map(|r| r.0).collect())),
            (USER, column(rows.iter().map(|r| r.1).collect())),
            (
                EVENT_AT,
                Arc::new(
                    TimestampMicrosecondArray::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())
                        .with_timezone("UTC"),
                ) as ArrayRef,
            ),
            (EVENT_TYPE, column(rows.iter().map(|r| r.3).collect())),
        ])
        .unwrap()
    }

    #[test]
    fn groups_by_machine_and_user_across_batches_and_splits_by_local_login_date() {
        let mut deriver = SessionDeriver::default();
        // Out of order across batches; bob's login at 23:30Z is 00:30 on the 11th in Berlin.
        deriver
            .add_batch(&batch(&[
                ("ws1", "ann", DAY + 10 * HOUR, "logout"),
                ("ws1", "bob", DAY + 23 * HOUR + HOUR / 2, "login"),
            ]))
            .unwrap();
        deriver
            .add_batch(&batch(&[
                ("ws1", "ann", DAY + 9 * HOUR, "login"),
                ("ws2", "ann", DAY + 9 * HOUR, "failed_login"),
                ("ws1", "bob", DAY + 25 * HOUR, "logout"),
            ]))
            .unwrap();
        let rules = SessionRules {
            policy: LoginPolicy::Parallel,
            max_session_micros: Some(8 * HOUR),
        };
        let derived = deriver.derive("src", rules, "Europe/Berlin".parse().unwrap());
        let summary: Vec<(String, usize)> = derived
            .days
            .iter()
            .map(|(date, columns)| (date.to_string(), columns.len()))
            .collect();
        assert_eq!(
            summary,
            vec![("2026-01-10".to_string(), 1), ("2026-01-11".to_string(), 1)]
        );
        let (date, day) = derived.days.iter().next().unwrap();
        let first = day.to_batch(*date, &derived.names);
        let reason = first.column_by_name("end_reason").unwrap();
        assert_eq!(reason.as_string::<i32>().value(0), "logout");
    }

    fn day_hashes(derived: &DerivedSessions) -> Vec<(String, usize, u64)> {
        derived
            .days
            .iter()
            .map(|(date, day)| {
                (
                    date.to_string(),
                    day.len(),
                    day.content_hash(&derived.names),
                )
            })
            .collect()
    }

    #[test]
    fn derivers_of_different_partitions_merge_into_what_one_reader_derives() {
        let rows = [
            ("ws1", "ann", DAY + 9 * HOUR, "login"),
            ("ws2", "bob", DAY + 9 * HOUR, "login"),
            ("ws1", "ann", DAY + 10 * HOUR, "logout"),
            ("ws2", "bob", DAY + 30 * HOUR, "logout"),
            ("ws3", "cy", DAY + 31 * HOUR, "failed_login"),
        ];
        let rules = SessionRules {
            policy: LoginPolicy::Parallel,
            max_session_micros: Some(24 * HOUR),
        };
        let tz: Tz = "UTC".parse().unwrap();
        let mut one = SessionDeriver::default();
        one.add_batch(&batch(&rows)).unwrap();
        // The other reader sees the names in another order, so its ids differ.
        let (mut a, mut b) = (SessionDeriver::default(), SessionDeriver::default());
        a.add_batch(&batch(&[rows[3], rows[4], rows[0]])).unwrap();
        b.add_batch(&batch(&[rows[1], rows[2]])).unwrap();
        let merged = a.merge(b);
        assert_eq!(merged.rows(), 5);
        let expected = day_hashes(&one.derive("src", rules, tz));
        assert_eq!(day_hashes(&merged.derive("src", rules, tz)), expected);
        // bob's session ends on the 11th (timeout is not due: 30h - 9h < 24h).
        assert_eq!(expected.len(), 1);
        assert_eq!(expected[0].1, 2);
    }

    #[test]
    fn slices_are_cut_between_groups_only() {
        let events: Vec<(u64, i64)> = [1, 1, 1, 2, 3, 3, 3, 3, 4]
            .iter()
            .enumerate()
            .map(|(i, &g)| (g, i as i64))
            .collect();
        for parts in 1..=5 {
            let slices = group_aligned_slices(&events, parts);
            assert_eq!(slices.iter().map(|s| s.len()).sum::<usize>(), events.len());
            for pair in slices.windows(2) {
                assert_ne!(pair[0].last().unwrap().0, pair[1][0].0, "{parts} parts");
            }
        }
        assert!(group_aligned_slices(&[], 2).is_empty());
    }
}
