//! The auth table's rows as `auth_events`, the rows that cannot be events as
//! `auth_rejected`, and the source's `sessions` (the same derivation as every source:
//! `transform::sessions`).
//!
//! Both derived datasets are rebuilt per day from the raw dataset's partition of that day
//! (its rows' `partition_by` date, which is also the event time), for the days a run or a
//! backfill wrote and for days the raw dataset has but `auth_events` lacks. Rows whose
//! type value is not mapped, or that have no user, machine or time, are never dropped
//! silently: each is one `auth_rejected` row with its key and the reason, counted in the
//! run summary and in `status`.

use std::sync::{Arc, LazyLock};

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::config::{AuthMapping, Machine, PgTable, PostgresSource, AUTH_REJECTED};
use crate::sources::{DatasetSummary, RunContext, RunError};
use crate::transform::auth_events::{AuthColumns, AUTH_EVENTS, AUTH_EVENTS_SCHEMA};
use crate::transform::lake::{derived_publisher, partitions_to_rebuild, read_files_columns};
use crate::transform::sessions::{rebuild_sessions, SessionsRequest};
use crate::transform::TransformError;

/// `auth_rejected`: the row's key, its time (NULL when that is the problem), the raw
/// type and user values, and why it is not an event.
pub static AUTH_REJECTED_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("source_key", DataType::Utf8, false),
        Field::new(
            "event_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("raw_type", DataType::Utf8, true),
        Field::new("user", DataType::Utf8, true),
        Field::new("reason", DataType::Utf8, false),
    ]))
});

#[derive(Default)]
struct Rejected {
    key: StringBuilder,
    at: TimestampMicrosecondBuilder,
    raw_type: StringBuilder,
    user: StringBuilder,
    reason: StringBuilder,
    rows: usize,
}

impl Rejected {
    fn push(
        &mut self,
        key: &str,
        at: Option<i64>,
        raw_type: Option<&str>,
        user: Option<&str>,
        reason: &str,
    ) {
        self.key.append_value(key);
        self.at.append_option(at);
        self.raw_type.append_option(raw_type);
        self.user.append_option(user);
        self.reason.append_value(reason);
        self.rows += 1;
    }

    fn finish(mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.key.finish()),
            Arc::new(self.at.finish().with_timezone("UTC")),
            Arc::new(self.raw_type.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.reason.finish()),
        ];
        RecordBatch::try_new(AUTH_REJECTED_SCHEMA.clone(), columns).expect("columns match")
    }
}

/// The value of a text or integer cell as text (type ids like 4624 are often integers).
fn text_at(array: &dyn Array, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        // `relation` admits only text and integer columns for the mapping and the key.
        other => format!("<{other}>"),
    })
}

/// The event type a raw value maps to: trimmed, ASCII case ignored.
pub fn event_type(mapping: &AuthMapping, raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    let is_in = |list: &[String]| list.iter().any(|v| v.eq_ignore_ascii_case(raw));
    if is_in(&mapping.login_values) {
        Some("login")
    } else if is_in(&mapping.logout_values) {
        Some("logout")
    } else if is_in(&mapping.failed_login_values) {
        Some("failed_login")
    } else {
        None
    }
}

/// The raw columns a day's conversion reads, in this order: key, time, type, user
/// (and machine when it is a column).
pub fn raw_columns(table: &PgTable, mapping: &AuthMapping) -> Vec<String> {
    let mut out = vec![
        table.key_column().to_string(),
        table.partition_by.clone(),
        mapping.type_column.clone(),
        mapping.user_column.clone(),
    ];
    if let Machine::Column(c) = &mapping.machine {
        out.push(c.clone());
    }
    out
}

/// One raw batch (projected to `raw_columns`) → (auth events, rejected rows).
pub fn convert(
    batch: &RecordBatch,
    mapping: &AuthMapping,
    source: &str,
) -> (RecordBatch, RecordBatch) {
    let key = batch.column(0);
    let at = batch.column(1).as_primitive::<TimestampMicrosecondType>();
    let kind = batch.column(2);
    let user = batch.column(3);
    let machine_column = batch.columns().get(4);
    let mut events = AuthColumns::default();
    let mut rejected = Rejected::default();
    for row in 0..batch.num_rows() {
        let key = text_at(key.as_ref(), row).unwrap_or_default();
        let time = at.is_valid(row).then(|| at.value(row));
        let raw_type = text_at(kind.as_ref(), row);
        let user_name = text_at(user.as_ref(), row).filter(|u| !u.trim().is_empty());
        let machine = match (&mapping.machine, machine_column) {
            (Machine::Fixed(name), _) => Some(name.clone()),
            (Machine::Column(_), Some(column)) => {
                text_at(column.as_ref(), row).filter(|m| !m.trim().is_empty())
            }
            (Machine::Column(_), None) => None,
        };
        let mapped = raw_type.as_deref().and_then(|t| event_type(mapping, t));
        let reason = match (time, &raw_type, mapped, &user_name, &machine) {
            (None, ..) => "no event time (partition_by is NULL)".to_string(),
            (_, None, ..) => "no event type (type column is NULL)".to_string(),
            (_, Some(raw), None, ..) => format!("unknown event type \"{raw}\""),
            (_, _, _, None, _) => "no user".to_string(),
            (_, _, _, _, None) => "no machine".to_string(),
            (Some(time), _, Some(kind), Some(user_name), Some(machine)) => {
                events.push(time, kind, machine, user_name, source, &key, None);
                continue;
            }
        };
        rejected.push(
            &key,
            time,
            raw_type.as_deref(),
            user_name.as_deref(),
            &reason,
        );
    }
    (events.finish(), rejected.finish())
}

/// Rebuilds `auth_events` and `auth_rejected` for the raw partitions in `written` (and
/// any raw day not converted yet), then `sessions`. Returns the three summaries.
pub fn rebuild(
    source: &PostgresSource,
    table: &PgTable,
    ctx: &RunContext<'_>,
    written: &[String],
) -> Result<Vec<DatasetSummary>, RunError> {
    let mapping = table.auth.as_ref().expect("the auth table has a mapping");
    let name = source.name.as_str();
    let layout = ctx.source.layout;
    let err = |e: TransformError| RunError::Transform {
        source_name: name.to_string(),
        source: e,
    };
    let started = std::time::Instant::now();
    let output = &ctx.source.output;
    let publisher = |dataset| derived_publisher(layout, name, dataset, ctx.run_id, output);
    let (events_out, rejected_out) = (publisher(AUTH_EVENTS), publisher(AUTH_REJECTED));
    let derived = [AUTH_EVENTS, AUTH_REJECTED];
    let stale = partitions_to_rebuild(layout, name, &table.dataset, &derived, |p| {
        written.iter().any(|w| w == p)
    })
    .map_err(err)?;
    let mut auth = DatasetSummary {
        name: AUTH_EVENTS.into(),
        ..DatasetSummary::default()
    };
    let mut rejected_summary = DatasetSummary {
        name: AUTH_REJECTED.into(),
        ..DatasetSummary::default()
    };
    let columns = raw_columns(table, mapping);
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    for partition in &stale {
        let (mut events, mut rejected) = (Vec::new(), Vec::new());
        for batch in read_files_columns(&partition.files, &columns).map_err(err)? {
            let (e, r) = convert(&batch, mapping, name);
            events.push(e);
            rejected.push(r);
        }
        let rows = events_out
            .replace(&partition.name, &AUTH_EVENTS_SCHEMA, &events)
            .map_err(|e| err(e.into()))?;
        let bad = rejected_out
            .replace(&partition.name, &AUTH_REJECTED_SCHEMA, &rejected)
            .map_err(|e| err(e.into()))?;
        auth.add_rebuilt(partition, rows);
        rejected_summary.rows_written += bad;
        if bad > 0 {
            rejected_summary
                .partitions
                .insert(partition.name.clone(), bad);
        }
    }
    auth.seconds = started.elapsed().as_secs_f64();
    if rejected_summary.rows_written > 0 {
        rejected_summary.warnings.push(format!(
            "{} row(s) of {} are not login/logout events (unknown type, no user or machine); \
             see the {AUTH_REJECTED} dataset (source_key, reason)",
            rejected_summary.rows_written, table.dataset
        ));
    }
    let rules = mapping.session_rules();
    let tz = ctx.source.time_zone;
    let request = SessionsRequest::new(layout, name, AUTH_EVENTS, rules, tz, ctx.run_id, output);
    let sessions = DatasetSummary::sessions(&rebuild_sessions(&request).map_err(err)?);
    Ok(vec![auth, rejected_summary, sessions])
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, Int64Array, StringArray, TimestampMicrosecondArray};

    fn mapping(machine: Machine) -> AuthMapping {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        AuthMapping {
            type_column: "action".into(),
            user_column: "username".into(),
            machine,
            login_values: owned(&["login", "4624"]),
            logout_values: owned(&["logout"]),
            failed_login_values: owned(&["failed"]),
            login_policy: Default::default(),
            max_session_hours: 24,
        }
    }

    #[test]
    fn mapped_rows_become_events_and_every_other_row_is_rejected_with_its_reason() {
        let batch = RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as ArrayRef,
            ),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        Some(10),
                        Some(20),
                        None,
                        Some(40),
                        Some(50),
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            (
                "action",
                Arc::new(Int32Array::from(vec![
                    Some(4624),
                    Some(9),
                    Some(4624),
                    None,
                    Some(4624),
                ])),
            ),
            (
                "username",
                Arc::new(StringArray::from(vec![
                    Some("ann"),
                    Some("bob"),
                    Some("cy"),
                    Some("di"),
                    Some(" "),
                ])),
            ),
        ])
        .unwrap();
        let (events, rejected) = convert(&batch, &mapping(Machine::Fixed("crm".into())), "app");
        assert_eq!(events.num_rows(), 1);
        let machine = events.column_by_name("machine").unwrap().as_string::<i32>();
        assert_eq!(machine.value(0), "crm");
        let reasons: Vec<(&str, &str)> = {
            let key = rejected.column(0).as_string::<i32>();
            let reason = rejected.column(4).as_string::<i32>();
            (0..rejected.num_rows())
                .map(|r| (key.value(r), reason.value(r)))
                .collect()
        };
        assert_eq!(
            reasons,
            vec![
                ("2", "unknown event type \"9\""),
                ("3", "no event time (partition_by is NULL)"),
                ("4", "no event type (type column is NULL)"),
                ("5", "no user"),
            ]
        );
    }

    #[test]
    fn type_values_match_trimmed_and_ignoring_case() {
        let m = mapping(Machine::Column("host".into()));
        assert_eq!(event_type(&m, " LOGIN "), Some("login"));
        assert_eq!(event_type(&m, "Logout"), Some("logout"));
        assert_eq!(event_type(&m, "failed"), Some("failed_login"));
        assert_eq!(event_type(&m, "logon"), None, "only the configured values");
    }
}
