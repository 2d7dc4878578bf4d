//! Which events a run has seen: (machine, user, type, instant µs), strings compared
//! exactly, in 16 bytes per event.
//!
//! Machines and users are interned to dense ids (a log has thousands of them, not
//! millions), so a key is two integers instead of two owned strings: a run over 10M new
//! events holds ~16 bytes × 10M in this set instead of ~400 bytes a row for the rows
//! themselves. The keys of the events already in the lake are loaded per local day the
//! first time an event of that day comes by (a duplicate has the same instant, hence the
//! same day), reading four columns of that partition only.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::lake::EVENTS;
use super::record::{AuthEventType, EventRow};
use crate::load::{event_partition_name, list_partitions, LakeLayout};
use crate::transform::lake::read_files_columns;
use crate::transform::TransformError;

pub struct SeenEvents {
    tz: Tz,
    /// The lake's `events` partitions (folder name → files), listed once per run.
    lake_days: HashMap<String, Vec<PathBuf>>,
    machines: Interner,
    users: Interner,
    /// Per local day (a day is here once its lake keys are loaded): one table per day
    /// grows in small steps, where one table for the run would double (and briefly
    /// exist twice) at tens of millions of keys.
    keys: HashMap<NaiveDate, HashSet<(u64, i64)>>,
}

impl SeenEvents {
    pub fn open(layout: &LakeLayout, source: &str, tz: Tz) -> Result<Self, TransformError> {
        let partitions =
            list_partitions(layout, source, EVENTS).map_err(|e| TransformError::List {
                dataset: format!("{source}/{EVENTS}"),
                source: e,
            })?;
        Ok(Self {
            tz,
            lake_days: partitions.into_iter().map(|p| (p.name, p.files)).collect(),
            machines: Interner::default(),
            users: Interner::default(),
            keys: HashMap::new(),
        })
    }

    /// Whether `event` is new: not in the lake and not seen before in this run.
    pub fn insert(&mut self, event: &EventRow) -> Result<bool, TransformError> {
        let date = local_date(event.event_at, self.tz);
        if !self.keys.contains_key(&date) {
            let lake = self.lake_day(date)?;
            self.keys.insert(date, lake);
        }
        let key = self.key(
            &event.machine,
            &event.user,
            event.event_type,
            event.event_at,
        );
        Ok(self.keys.get_mut(&date).expect("loaded above").insert(key))
    }

    /// The keys of the lake's events of `date`.
    fn lake_day(&mut self, date: NaiveDate) -> Result<HashSet<(u64, i64)>, TransformError> {
        let mut keys = HashSet::new();
        let Some(files) = self.lake_days.remove(&event_partition_name(date)) else {
            return Ok(keys);
        };
        let columns = ["machine", "user", "event_type", "event_at"];
        for batch in read_files_columns(&files, &columns)? {
            let machine = batch.column(0).as_string::<i32>();
            let user = batch.column(1).as_string::<i32>();
            let kind = batch.column(2).as_string::<i32>();
            let at = batch.column(3).as_primitive::<TimestampMicrosecondType>();
            for row in 0..batch.num_rows() {
                let Some(kind) = AuthEventType::parse(kind.value(row)) else {
                    continue;
                };
                keys.insert(self.key(machine.value(row), user.value(row), kind, at.value(row)));
            }
        }
        Ok(keys)
    }

    /// (machine id: 30 bits | type: 2 bits | user id: 32 bits, instant).
    fn key(&mut self, machine: &str, user: &str, kind: AuthEventType, at: i64) -> (u64, i64) {
        let machine = self.machines.id(machine);
        assert!(machine < 1 << 30, "fewer than 2^30 distinct machines");
        let kind: u64 = match kind {
            AuthEventType::Login => 0,
            AuthEventType::Logout => 1,
            AuthEventType::FailedLogin => 2,
        };
        let group = (u64::from(machine) << 34) | (kind << 32) | u64::from(self.users.id(user));
        (group, at)
    }
}

/// Strings to dense ids.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.ids.len()).expect("fewer than 2^32 distinct names");
        self.ids.insert(name.into(), id);
        id
    }
}

pub fn local_date(instant: i64, tz: Tz) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(instant)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(machine: &str, user: &str, kind: AuthEventType, at: i64) -> EventRow {
        EventRow {
            event_at: at,
            event_type: kind,
            raw_type: String::new(),
            machine: machine.into(),
            user: user.into(),
            extra: "{}".into(),
            file: "f".into(),
            line: 1,
        }
    }

    #[test]
    fn a_key_is_machine_user_type_and_instant_compared_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let mut seen = SeenEvents::open(&layout, "s", chrono_tz::UTC).unwrap();
        let login = AuthEventType::Login;
        assert!(seen.insert(&event("ws1", "ann", login, 10)).unwrap());
        assert!(!seen.insert(&event("ws1", "ann", login, 10)).unwrap());
        // Any one part different is another event; strings are not case-folded.
        assert!(seen.insert(&event("ws1", "Ann", login, 10)).unwrap());
        assert!(seen.insert(&event("ws2", "ann", login, 10)).unwrap());
        assert!(seen
            .insert(&event("ws1", "ann", AuthEventType::Logout, 10))
            .unwrap());
        assert!(seen
            .insert(&event("ws1", "ann", AuthEventType::FailedLogin, 10))
            .unwrap());
        assert!(seen.insert(&event("ws1", "ann", login, 11)).unwrap());
        // A machine name that is another's user name does not collide.
        assert!(seen.insert(&event("ann", "ws1", login, 10)).unwrap());
    }
}
