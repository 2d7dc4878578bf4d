//! The `sessions` dataset's schema and the column builders of one partition (day).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;

use super::rules::Session;

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

/// The (machine, user, source) a run of sessions belongs to, with its part of the rows'
/// content hash already computed (hashing the strings once per owner rather than once per
/// session: ~20% of a 10M-event derivation).
pub struct SessionOwner<'a> {
    pub machine: &'a str,
    pub user: &'a str,
    pub source: &'a str,
    hasher: DefaultHasher,
}

impl<'a> SessionOwner<'a> {
    pub fn new(machine: &'a str, user: &'a str, source: &'a str) -> Self {
        // SipHash with fixed keys: stable between runs of one binary, which is all the
        // saved hashes need (a new binary at worst rewrites every day once). Hashing the
        // tuple's fields in order is what `(machine, user, source, session).hash` does.
        let mut hasher = DefaultHasher::new();
        machine.hash(&mut hasher);
        user.hash(&mut hasher);
        source.hash(&mut hasher);
        Self {
            machine,
            user,
            source,
            hasher,
        }
    }
}

/// Column builders for one day's sessions.
pub struct SessionColumns {
    date: NaiveDate,
    machine: StringBuilder,
    user: StringBuilder,
    source: StringBuilder,
    login_at: TimestampMicrosecondBuilder,
    logout_at: TimestampMicrosecondBuilder,
    duration_seconds: Float64Builder,
    end_reason: StringBuilder,
    deadline_at: TimestampMicrosecondBuilder,
    absorbed_logins: Int32Builder,
    orphan: BooleanBuilder,
    double_login: BooleanBuilder,
    zero_length: BooleanBuilder,
    session_date: Date32Builder,
    /// Sum of the rows' hashes: the same sessions in any order give the same value.
    content_hash: u64,
    rows: usize,
    open: u64,
    orphans: u64,
}

impl SessionColumns {
    pub fn new(date: NaiveDate) -> Self {
        Self {
            date,
            machine: StringBuilder::new(),
            user: StringBuilder::new(),
            source: StringBuilder::new(),
            login_at: TimestampMicrosecondBuilder::new(),
            logout_at: TimestampMicrosecondBuilder::new(),
            duration_seconds: Float64Builder::new(),
            end_reason: StringBuilder::new(),
            deadline_at: TimestampMicrosecondBuilder::new(),
            absorbed_logins: Int32Builder::new(),
            orphan: BooleanBuilder::new(),
            double_login: BooleanBuilder::new(),
            zero_length: BooleanBuilder::new(),
            session_date: Date32Builder::new(),
            content_hash: 0,
            rows: 0,
            open: 0,
            orphans: 0,
        }
    }

    /// Identifies the day's content (see `publish`), independent of row order.
    pub fn content_hash(&self) -> u64 {
        self.content_hash
    }

    pub fn open_count(&self) -> u64 {
        self.open
    }

    pub fn orphan_count(&self) -> u64 {
        self.orphans
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, who: &SessionOwner<'_>, session: &Session) {
        let SessionOwner {
            machine,
            user,
            source,
            ..
        } = *who;
        // The row's hash is that of (machine, user, source, session): the owner's part
        // is hashed once per owner and its state cloned here.
        let mut hasher = who.hasher.clone();
        session.hash(&mut hasher);
        self.content_hash = self.content_hash.wrapping_add(hasher.finish());
        self.rows += 1;
        self.open += u64::from(session.logout_at.is_none());
        self.orphans += u64::from(session.is_orphan());
        self.machine.append_value(machine);
        self.user.append_value(user);
        self.source.append_value(source);
        self.login_at.append_option(session.login_at);
        self.logout_at.append_option(session.logout_at);
        let duration = match (session.login_at, session.logout_at) {
            (Some(login), Some(logout)) => Some((logout - login) as f64 / 1e6),
            _ => None,
        };
        self.duration_seconds.append_option(duration);
        self.end_reason.append_value(session.end_reason.as_str());
        self.deadline_at.append_option(session.deadline_at);
        self.absorbed_logins
            .append_value(i32::try_from(session.absorbed_logins).unwrap_or(i32::MAX));
        self.orphan.append_value(session.is_orphan());
        self.double_login.append_value(session.is_double_login);
        self.zero_length.append_value(session.is_zero_length());
        self.session_date.append_value(
            (self.date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32,
        );
    }

    pub fn finish(mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.machine.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.login_at.finish().with_timezone("UTC")),
            Arc::new(self.logout_at.finish().with_timezone("UTC")),
            Arc::new(self.duration_seconds.finish()),
            Arc::new(self.end_reason.finish()),
            Arc::new(self.deadline_at.finish().with_timezone("UTC")),
            Arc::new(self.absorbed_logins.finish()),
            Arc::new(self.orphan.finish()),
            Arc::new(self.double_login.finish()),
            Arc::new(self.zero_length.finish()),
            Arc::new(self.session_date.finish()),
        ];
        RecordBatch::try_new(SESSIONS_SCHEMA.clone(), columns).expect("columns match the schema")
    }
}

/// One day's sessions, built in parts by the threads of a derivation (one file, several
/// batches). Its content hash is the sum over the parts: the same as one builder's.
#[derive(Default)]
pub struct DaySessions {
    parts: Vec<SessionColumns>,
}

impl DaySessions {
    pub fn add(&mut self, part: SessionColumns) {
        self.parts.push(part);
    }

    pub fn content_hash(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.wrapping_add(p.content_hash))
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.rows).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn open_count(&self) -> u64 {
        self.parts.iter().map(|p| p.open).sum()
    }

    pub fn orphan_count(&self) -> u64 {
        self.parts.iter().map(|p| p.orphans).sum()
    }

    pub fn finish(self) -> Vec<RecordBatch> {
        self.parts.into_iter().map(SessionColumns::finish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::sessions::EndReason;

    /// The saved day hashes of earlier runs stay valid: hashing the owner once and the
    /// session per row gives what hashing the whole row tuple gave.
    #[test]
    fn a_rows_hash_is_that_of_the_row_tuple() {
        let session = Session {
            login_at: Some(1_768_003_200_000_000),
            logout_at: None,
            end_reason: EndReason::Open,
            deadline_at: Some(1_768_089_600_000_000),
            absorbed_logins: 2,
            is_double_login: true,
        };
        let mut whole = DefaultHasher::new();
        ("ws1", "ann", "src", &session).hash(&mut whole);
        let mut columns = SessionColumns::new(NaiveDate::from_ymd_opt(2026, 1, 10).unwrap());
        columns.push(&SessionOwner::new("ws1", "ann", "src"), &session);
        assert_eq!(columns.content_hash(), whole.finish());
        assert_eq!(columns.len(), 1);
    }
}
