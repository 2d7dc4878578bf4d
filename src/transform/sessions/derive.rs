//! All sessions of one source from its auth events: a tight loop over sorted integers.
//!
//! Machines and users are interned to `u32` ids as batches arrive (a batch is dropped once
//! read), each event becomes 16 bytes — the (machine, user) pair packed into a `u64`, and
//! the instant doubled with the kind in its low bit — and one unstable sort of that vector
//! puts every (machine, user) in event-time order. Then `SessionBuilder` walks each group
//! and the sessions go straight into per-day column builders. Memory: the distinct strings,
//! 16 bytes per event, and the output columns; no row objects, no polars frame.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::batch::{SessionColumns, SessionOwner};
use super::rules::{EventKind, Session, SessionBuilder, SessionRules};
use crate::transform::TransformError;

/// The columns `auth_events` carries that sessions are derived from.
pub const MACHINE: &str = "machine";
pub const USER: &str = "user";
pub const EVENT_AT: &str = "event_at";
pub const EVENT_TYPE: &str = "event_type";

/// Collects a source's login and logout events, then derives every session from them.
#[derive(Default)]
pub struct SessionDeriver {
    machines: Interner,
    users: Interner,
    /// (machine << 32 | user, instant * 2 + is_logout).
    events: Vec<(u64, i64)>,
    /// The source's latest event of any type (failed logins included).
    latest_event_at: Option<i64>,
}

impl SessionDeriver {
    /// Adds the events of one `auth_events` batch. Rows without a machine, user or time
    /// cannot belong to a session (the readers reject them before the lake); failed logins
    /// only move the source's latest instant.
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
        let wrong =
            |name: &str, found: &dyn Array, expected: &'static str| TransformError::ColumnType {
                dataset: "auth_events".into(),
                column: name.into(),
                found: found.data_type().to_string(),
                expected,
            };
        let (machine, user, at, kind) = (
            column(MACHINE)?,
            column(USER)?,
            column(EVENT_AT)?,
            column(EVENT_TYPE)?,
        );
        let machine = machine
            .as_string_opt::<i32>()
            .ok_or_else(|| wrong(MACHINE, machine.as_ref(), "Utf8"))?;
        let user = user
            .as_string_opt::<i32>()
            .ok_or_else(|| wrong(USER, user.as_ref(), "Utf8"))?;
        let at = at
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or_else(|| wrong(EVENT_AT, at.as_ref(), "Timestamp(µs)"))?;
        let kind = kind
            .as_string_opt::<i32>()
            .ok_or_else(|| wrong(EVENT_TYPE, kind.as_ref(), "Utf8"))?;
        self.events.reserve(batch.num_rows());
        for row in 0..batch.num_rows() {
            if at.is_null(row) {
                continue;
            }
            let instant = at.value(row);
            self.latest_event_at = Some(self.latest_event_at.map_or(instant, |l| l.max(instant)));
            let is_logout = match kind.is_valid(row).then(|| kind.value(row)) {
                Some("login") => 0,
                Some("logout") => 1,
                _ => continue,
            };
            if machine.is_null(row) || user.is_null(row) {
                continue;
            }
            let group = (u64::from(self.machines.id(machine.value(row))) << 32)
                | u64::from(self.users.id(user.value(row)));
            self.events.push((group, instant * 2 + is_logout));
        }
        Ok(())
    }

    /// Every session of the source, split by the local date of its login (an orphan's by
    /// its logout) in `tz`.
    pub fn derive(
        mut self,
        source: &str,
        rules: SessionRules,
        tz: Tz,
    ) -> BTreeMap<NaiveDate, SessionColumns> {
        self.events.sort_unstable();
        let latest = self.latest_event_at.unwrap_or(i64::MIN);
        let mut days: BTreeMap<NaiveDate, SessionColumns> = BTreeMap::new();
        let mut builder = SessionBuilder::new(rules);
        let mut out: Vec<Session> = Vec::new();
        let mut start = 0;
        while start < self.events.len() {
            let group = self.events[start].0;
            let mut end = start;
            while end < self.events.len() && self.events[end].0 == group {
                let (_, packed) = self.events[end];
                let kind = if packed & 1 == 1 {
                    EventKind::Logout
                } else {
                    EventKind::Login
                };
                builder.push(packed >> 1, kind, &mut out);
                end += 1;
            }
            builder.finish(latest, &mut out);
            let owner = SessionOwner::new(
                self.machines.name((group >> 32) as u32),
                self.users.name(group as u32),
                source,
            );
            for session in out.drain(..) {
                let anchor = session.login_at.or(session.logout_at).expect("either end");
                let date = local_date(anchor, tz);
                days.entry(date)
                    .or_insert_with(|| SessionColumns::new(date))
                    .push(&owner, &session);
            }
            start = end;
        }
        days
    }
}

/// Strings to dense ids and back.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct names");
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// The multiply-rotate hash rustc uses for its own tables: machine and user names are
/// short, trusted-enough strings, and SipHash's DoS resistance would cost ~3x here.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        for &byte in chunks.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The local date of a UTC instant (µs) in `tz`; exact across DST changes (chrono-tz).
fn local_date(instant: i64, tz: Tz) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(instant)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
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
        let days = deriver.derive("src", rules, "Europe/Berlin".parse().unwrap());
        let summary: Vec<(String, usize)> = days
            .iter()
            .map(|(date, columns)| (date.to_string(), columns.len()))
            .collect();
        assert_eq!(
            summary,
            vec![("2026-01-10".to_string(), 1), ("2026-01-11".to_string(), 1)]
        );
        let first = days.into_values().next().unwrap().finish();
        let reason = first.column_by_name("end_reason").unwrap();
        assert_eq!(reason.as_string::<i32>().value(0), "logout");
    }
}
