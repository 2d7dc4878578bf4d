//! The `sessions` dataset's schema, one day's sessions as compact rows, and the columns
//! and content hash made from them.
//!
//! Deriving only appends 40-byte rows (the (machine, user) ids and the session's
//! integers); the strings are written, and the hash computed, per day when the day is
//! published, on as many threads as there are days in flight, with every column sized
//! exactly once.

use std::sync::{Arc, LazyLock};

use arrow_array::builder::StringBuilder;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;

use super::intern::Interner;
use super::rules::{EndReason, Session};

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// `sessions`: one row per session, orphan logout or open session.
///
/// `session_date` repeats the partition's date (login's local date, an orphan's logout's)
/// for BI tools that ignore folder names; `duration_seconds` is NULL for orphans and open
/// sessions; `deadline_at` is when the session (would have) timed out.
pub static SESSIONS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("machine", DataType::Utf8, false),
        Field::new("user", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("login_at", timestamp(), true),
        Field::new("logout_at", timestamp(), true),
        Field::new("duration_seconds", DataType::Float64, true),
        Field::new("end_reason", DataType::Utf8, false),
        Field::new("deadline_at", timestamp(), true),
        Field::new("absorbed_logins", DataType::Int32, false),
        Field::new("orphan", DataType::Boolean, false),
        Field::new("double_login", DataType::Boolean, false),
        Field::new("zero_length", DataType::Boolean, false),
        Field::new("session_date", DataType::Date32, false),
    ]))
});

/// A missing instant in a [`Row`] (no real instant is this far in the past).
const NONE: i64 = i64::MIN;

/// One session of one (machine, user): `Session` without its `Option` tags.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// `machine id << 32 | user id` of the deriver's interners.
    pub owner: u64,
    login_at: i64,
    logout_at: i64,
    deadline_at: i64,
    absorbed_logins: u32,
    end_reason: EndReason,
    is_double_login: bool,
}

impl Row {
    pub fn new(owner: u64, session: &Session) -> Self {
        Row {
            owner,
            login_at: session.login_at.unwrap_or(NONE),
            logout_at: session.logout_at.unwrap_or(NONE),
            deadline_at: session.deadline_at.unwrap_or(NONE),
            absorbed_logins: session.absorbed_logins,
            end_reason: session.end_reason,
            is_double_login: session.is_double_login,
        }
    }

    fn login_at(&self) -> Option<i64> {
        (self.login_at != NONE).then_some(self.login_at)
    }

    fn logout_at(&self) -> Option<i64> {
        (self.logout_at != NONE).then_some(self.logout_at)
    }

    fn deadline_at(&self) -> Option<i64> {
        (self.deadline_at != NONE).then_some(self.deadline_at)
    }

    fn is_orphan(&self) -> bool {
        self.login_at == NONE
    }
}

/// The machine and user names behind the rows' ids, each with its hash computed once.
pub struct Names {
    pub(super) machines: Interner,
    pub(super) users: Interner,
    machine_hashes: Vec<u64>,
    user_hashes: Vec<u64>,
    source: String,
    source_hash: u64,
}

impl Names {
    pub(super) fn new(machines: Interner, users: Interner, source: &str) -> Self {
        Names {
            machine_hashes: machines.names().map(text_hash).collect(),
            user_hashes: users.names().map(text_hash).collect(),
            machines,
            users,
            source: source.to_string(),
            source_hash: text_hash(source),
        }
    }

    fn machine(&self, owner: u64) -> u32 {
        (owner >> 32) as u32
    }

    fn user(&self, owner: u64) -> u32 {
        (owner & u64::from(u32::MAX)) as u32
    }
}

/// A text column sized once: the strings' total length is summed before appending.
fn text_column<'a>(rows: &[Row], name: impl Fn(&Row) -> &'a str) -> ArrayRef {
    let bytes = rows.iter().map(|r| name(r).len()).sum();
    let mut builder = StringBuilder::with_capacity(rows.len(), bytes);
    for row in rows {
        builder.append_value(name(row));
    }
    Arc::new(builder.finish())
}

/// xxHash64: specified, so saved day hashes stay valid across builds and versions.
fn text_hash(text: &str) -> u64 {
    twox_hash::XxHash64::oneshot(0, text.as_bytes())
}

/// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// One day's sessions, appended by the threads of a derivation in any order.
#[derive(Default)]
pub struct DaySessions {
    rows: Vec<Row>,
}

impl DaySessions {
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn append(&mut self, mut other: DaySessions) {
        if self.rows.len() < other.rows.len() {
            std::mem::swap(&mut self.rows, &mut other.rows);
        }
        self.rows.append(&mut other.rows);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn open_count(&self) -> u64 {
        self.rows.iter().filter(|r| r.logout_at == NONE).count() as u64
    }

    pub fn orphan_count(&self) -> u64 {
        self.rows.iter().filter(|r| r.is_orphan()).count() as u64
    }

    /// Identifies the day's content (see `publish`): the sum of the rows' hashes, so the
    /// same sessions in any order give the same value.
    pub fn content_hash(&self, names: &Names) -> u64 {
        self.rows.iter().fold(0u64, |sum, row| {
            let flags = u64::from(row.absorbed_logins)
                | (row.end_reason as u64) << 32
                | u64::from(row.is_double_login) << 40;
            let words = [
                names.machine_hashes[names.machine(row.owner) as usize],
                names.user_hashes[names.user(row.owner) as usize],
                names.source_hash,
                row.login_at as u64,
                row.logout_at as u64,
                row.deadline_at as u64,
                flags,
            ];
            let hash = words.iter().fold(0u64, |h, &w| fmix64(h ^ fmix64(w)));
            sum.wrapping_add(hash)
        })
    }

    /// The day's rows as one batch of [`SESSIONS_SCHEMA`].
    pub fn to_batch(&self, date: NaiveDate, names: &Names) -> RecordBatch {
        let n = self.rows.len();
        let instants = |at: &dyn Fn(&Row) -> Option<i64>| {
            let array: TimestampMicrosecondArray = self.rows.iter().map(at).collect();
            Arc::new(array.with_timezone("UTC")) as ArrayRef
        };
        let flags = |flag: &dyn Fn(&Row) -> bool| {
            Arc::new(
                self.rows
                    .iter()
                    .map(|r| Some(flag(r)))
                    .collect::<BooleanArray>(),
            ) as ArrayRef
        };
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        let day = (date - epoch).num_days() as i32;
        let columns: Vec<ArrayRef> = vec![
            text_column(&self.rows, |r| names.machines.name(names.machine(r.owner))),
            text_column(&self.rows, |r| names.users.name(names.user(r.owner))),
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                names.source.as_str(),
                n,
            ))),
            instants(&|r| r.login_at()),
            instants(&|r| r.logout_at()),
            Arc::new(
                self.rows
                    .iter()
                    .map(|r| match (r.login_at(), r.logout_at()) {
                        (Some(login), Some(logout)) => Some((logout - login) as f64 / 1e6),
                        _ => None,
                    })
                    .collect::<Float64Array>(),
            ),
            text_column(&self.rows, |r| r.end_reason.as_str()),
            instants(&|r| r.deadline_at()),
            Arc::new(Int32Array::from_iter_values(
                self.rows
                    .iter()
                    .map(|r| i32::try_from(r.absorbed_logins).unwrap_or(i32::MAX)),
            )),
            flags(&|r| r.is_orphan()),
            flags(&|r| r.is_double_login),
            flags(&|r| r.login_at != NONE && r.login_at == r.logout_at),
            Arc::new(Date32Array::from_iter_values(std::iter::repeat_n(day, n))),
        ];
        RecordBatch::try_new(SESSIONS_SCHEMA.clone(), columns).expect("columns match the schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(login: Option<i64>, logout: Option<i64>, reason: EndReason) -> Session {
        Session {
            login_at: login,
            logout_at: logout,
            end_reason: reason,
            deadline_at: login.map(|l| l + 100),
            absorbed_logins: 0,
            is_double_login: false,
        }
    }

    fn names() -> Names {
        let (mut machines, mut users) = (Interner::default(), Interner::default());
        machines.id("ws1");
        users.id("ann");
        users.id("bob");
        Names::new(machines, users, "src")
    }

    /// The day hash decides whether a day is rewritten: it must not depend on row order
    /// or thread split, and must change when any column does.
    #[test]
    fn the_day_hash_ignores_row_order_and_sees_every_field() {
        let names = names();
        let rows = [
            Row::new(0, &session(Some(10), Some(20), EndReason::Logout)),
            Row::new(1, &session(None, Some(30), EndReason::Logout)),
            Row::new(1, &session(Some(40), None, EndReason::Open)),
        ];
        let day = |rows: &[Row]| {
            let mut day = DaySessions::default();
            rows.iter().for_each(|r| day.push(*r));
            day
        };
        let hash = day(&rows).content_hash(&names);
        let mut split = day(&rows[2..]);
        split.append(day(&[rows[1], rows[0]]));
        assert_eq!(split.content_hash(&names), hash);
        let mut changed = rows;
        changed[0].owner = 1; // same session, other user
        assert_ne!(day(&changed).content_hash(&names), hash);
        let mut changed = rows;
        changed[2].end_reason = EndReason::Timeout;
        assert_ne!(day(&changed).content_hash(&names), hash);
        let mut changed = rows;
        changed[1].is_double_login = true;
        assert_ne!(day(&changed).content_hash(&names), hash);
    }

    #[test]
    fn a_days_batch_has_every_column_of_every_row() {
        let names = names();
        let mut day = DaySessions::default();
        day.push(Row::new(
            1,
            &session(Some(1_000_000), Some(3_000_000), EndReason::Logout),
        ));
        day.push(Row::new(0, &session(None, Some(5), EndReason::Logout)));
        let date = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let batch = day.to_batch(date, &names);
        assert_eq!(batch.num_rows(), 2);
        let text = |c: &str, i: usize| {
            use arrow_array::cast::AsArray;
            batch
                .column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .value(i)
                .to_string()
        };
        assert_eq!(
            (text("machine", 0), text("user", 0), text("source", 1)),
            ("ws1".into(), "bob".into(), "src".into())
        );
        assert_eq!(text("user", 1), "ann");
        let duration = batch.column_by_name("duration_seconds").unwrap();
        let duration = duration.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(duration.value(0), 2.0);
        assert!(arrow_array::Array::is_null(duration, 1));
        let orphan = batch.column_by_name("orphan").unwrap();
        let orphan = orphan.as_any().downcast_ref::<BooleanArray>().unwrap();
        assert!(!orphan.value(0) && orphan.value(1));
        assert_eq!((day.open_count(), day.orphan_count()), (0, 1));
    }
}
