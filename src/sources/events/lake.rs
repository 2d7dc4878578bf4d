//! The `events` source's datasets: `events` (raw rows, one per (machine, user, type,
//! instant)) and `events_rejected` (bad rows with file, line and reason), and the source's
//! state file.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use super::files::FilesState;
use super::record::{EventRow, RejectedRow};
use super::EventsError;
use crate::load::{fsutil, LakeLayout};

pub const EVENTS: &str = "events";
pub const EVENTS_REJECTED: &str = "events_rejected";

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// `events`: `event_id` is the writer's merge key (a per-source sequence); `raw_type` is
/// the type value as written; `extra` holds every other column as a JSON object.
pub static EVENTS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Int64, false),
        Field::new("event_at", timestamp(), false),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("raw_type", DataType::Utf8, false),
        Field::new("machine", DataType::Utf8, false),
        Field::new("user", DataType::Utf8, false),
        Field::new("extra", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
    ]))
});

/// `events_rejected`, partitioned by the local date of `detected_at` (a bad row has no
/// trustworthy event time: the run that found it is the only date it has).
pub static REJECTED_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("rejected_id", DataType::Int64, false),
        Field::new("detected_at", timestamp(), false),
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("raw", DataType::Utf8, false),
    ]))
});

pub fn events_batch(rows: &[EventRow], first_id: i64) -> RecordBatch {
    let mut id = Int64Builder::with_capacity(rows.len());
    let mut at = TimestampMicrosecondBuilder::with_capacity(rows.len());
    let mut strings: Vec<StringBuilder> = (0..6).map(|_| StringBuilder::new()).collect();
    let mut line = Int64Builder::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        id.append_value(first_id + i as i64);
        at.append_value(row.event_at);
        for (builder, value) in strings.iter_mut().zip([
            row.event_type.as_str(),
            &row.raw_type,
            &row.machine,
            &row.user,
            &row.extra,
            &row.file,
        ]) {
            builder.append_value(value);
        }
        line.append_value(row.line as i64);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(at.finish().with_timezone("UTC")),
    ];
    columns.extend(strings.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(line.finish()));
    RecordBatch::try_new(EVENTS_SCHEMA.clone(), columns).expect("columns match the schema")
}

pub fn rejected_batch(rows: &[RejectedRow], first_id: i64, detected_at: i64) -> RecordBatch {
    let mut id = Int64Builder::new();
    let mut at = TimestampMicrosecondBuilder::new();
    let (mut file, mut reason, mut raw) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let mut line = Int64Builder::new();
    for (i, row) in rows.iter().enumerate() {
        id.append_value(first_id + i as i64);
        at.append_value(detected_at);
        file.append_value(&row.file);
        line.append_value(row.line as i64);
        reason.append_value(&row.reason);
        raw.append_value(&row.raw);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(at.finish().with_timezone("UTC")),
        Arc::new(file.finish()),
        Arc::new(line.finish()),
        Arc::new(reason.finish()),
        Arc::new(raw.finish()),
    ];
    RecordBatch::try_new(REJECTED_SCHEMA.clone(), columns).expect("columns match the schema")
}

/// `<root>/_usagelake/state/<source>.events.json`: the files read, and the next ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsState {
    pub files: FilesState,
    pub next_event_id: i64,
    pub next_rejected_id: i64,
}

fn state_path(layout: &LakeLayout, source: &str) -> PathBuf {
    layout.state_dir().join(format!("{source}.events.json"))
}

/// A missing file is a first run; a corrupt one is an error (never silently reset:
/// every file would be read again).
pub fn load_state(layout: &LakeLayout, source: &str) -> Result<EventsState, EventsError> {
    let path = state_path(layout, source);
    let err = |message: String| EventsError::State {
        source_name: source.to_string(),
        path: path.clone(),
        message,
    };
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| err(format!("corrupt ({e}); fix or move it aside"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(EventsState::default()),
        Err(e) => Err(err(e.to_string())),
    }
}

/// Saved after the rows it covers are published.
pub fn save_state(
    layout: &LakeLayout,
    source: &str,
    state: &EventsState,
) -> Result<(), EventsError> {
    let path = state_path(layout, source);
    let json = serde_json::to_vec_pretty(state).expect("plain data serializes");
    std::fs::create_dir_all(layout.state_dir())
        .and_then(|_| fsutil::atomic_write(&path, &json))
        .map_err(|e| EventsError::State {
            source_name: source.to_string(),
            path,
            message: e.to_string(),
        })
}
