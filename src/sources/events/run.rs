//! One run of an `events` source: scan the files, add the new events and bad rows to the
//! lake, save the file state, rebuild the sessions.
//!
//! Crash safety follows the lake's rule: rows are published before the state that covers
//! them is saved. A crash in between makes the next run read the same bytes again; their
//! events are already in the lake and are dropped by the exact-key check below.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::lake::{self, EVENTS, EVENTS_REJECTED};
use super::{scan, EventRow, EventsError, EventsSource};
use crate::config::Output;
use crate::load::{DatasetWriter, LakeLayout, Partitioning, WriteSummary, WriterOptions};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};
use crate::transform::sessions::{rebuild_sessions, SessionsRequest, SESSIONS};

/// Rows per batch handed to the writer.
const BATCH_ROWS: usize = 64 * 1024;

/// The source contract's `run`: the work is file I/O, Parquet and a CPU-bound derivation,
/// so it runs on a blocking thread.
pub(crate) async fn run(
    source: &EventsSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let (source, layout, output) = (
        source.clone(),
        ctx.source.layout.clone(),
        ctx.source.output.clone(),
    );
    let (tz, run_id) = (ctx.source.time_zone, ctx.run_id.to_string());
    let name = source.name.clone();
    tokio::task::spawn_blocking(move || run_events(&source, &layout, &output, tz, &run_id))
        .await
        .map_err(|_| RunError::WriterLost {
            source_name: name,
            dataset: EVENTS.into(),
        })?
        .map_err(|e| RunError::Events(Box::new(e)))
}

pub fn run_events(
    source: &EventsSource,
    layout: &LakeLayout,
    output: &Output,
    tz: chrono_tz::Tz,
    run_id: &str,
) -> Result<SourceSummary, EventsError> {
    let started = Instant::now();
    let name = source.name.as_str();
    let mut state = lake::load_state(layout, name)?;
    let scan = scan(source, &state.files)?;
    let read = scan.events.len() as u64 + scan.duplicates;

    let dates: BTreeSet<NaiveDate> = scan
        .events
        .iter()
        .map(|e| local_date(e.event_at, tz))
        .collect();
    let existing = lake::existing_keys(layout, name, &dates).map_err(|e| EventsError::Lake {
        source_name: name.to_string(),
        what: "reading the events already in the lake",
        source: Box::new(e),
    })?;
    let new: Vec<EventRow> = scan
        .events
        .into_iter()
        .filter(|e| !existing.contains(&e.dedup_key()))
        .collect();
    drop(existing);

    let options = || {
        let mut options = WriterOptions::new(run_id);
        options.compression = output.compression;
        options.row_group_rows = output.row_group_rows;
        options
    };
    let write =
        |dataset: &'static str, batches: Vec<arrow_array::RecordBatch>, key: &str, time: &str| {
            let load_err = |e| EventsError::Load {
                source_name: name.to_string(),
                dataset,
                source: Box::new(e),
            };
            let Some(first) = batches.first() else {
                return Ok(WriteSummary::default());
            };
            let mut writer = DatasetWriter::open(
                layout,
                name,
                dataset,
                first.schema(),
                Partitioning::EventDate {
                    time_column: time.into(),
                    key_column: key.into(),
                    tz,
                },
                options(),
            )
            .map_err(load_err)?;
            for batch in &batches {
                writer.write(batch).map_err(load_err)?;
            }
            writer.commit().map_err(load_err)
        };
    let events_written = write(
        EVENTS,
        new.chunks(BATCH_ROWS)
            .enumerate()
            .map(|(i, chunk)| {
                lake::events_batch(chunk, state.next_event_id + (i * BATCH_ROWS) as i64)
            })
            .collect(),
        "event_id",
        "event_at",
    )?;
    let detected_at = Utc::now().timestamp_micros();
    let rejected_written = write(
        EVENTS_REJECTED,
        scan.rejected
            .chunks(BATCH_ROWS)
            .enumerate()
            .map(|(i, chunk)| {
                let first = state.next_rejected_id + (i * BATCH_ROWS) as i64;
                lake::rejected_batch(chunk, first, detected_at)
            })
            .collect(),
        "rejected_id",
        "detected_at",
    )?;
    state.next_event_id += new.len() as i64;
    state.next_rejected_id += scan.rejected.len() as i64;
    state.files = scan.state;
    lake::save_state(layout, name, &state)?;
    let extract_seconds = started.elapsed().as_secs_f64();

    let sessions = rebuild_sessions(&SessionsRequest {
        layout,
        source: name,
        events_dataset: EVENTS,
        rules: source.session_rules(),
        tz,
        run_id,
        compression: output.compression,
        row_group_rows: output.row_group_rows,
    })
    .map_err(|e| EventsError::Lake {
        source_name: name.to_string(),
        what: "rebuilding sessions",
        source: Box::new(e),
    })?;

    let mut events_summary = dataset_summary(EVENTS, read, &events_written, extract_seconds);
    events_summary.rows_already_present += read - new.len() as u64;
    let mut rejected_summary = dataset_summary(
        EVENTS_REJECTED,
        scan.rejected.len() as u64,
        &rejected_written,
        0.0,
    );
    if !scan.rejected.is_empty() {
        rejected_summary.warnings.push(format!(
            "{} bad row(s) in {} file(s) read; see the events_rejected dataset (file, line, reason)",
            scan.rejected.len(),
            scan.files_read
        ));
    }
    let sessions_summary = DatasetSummary {
        name: SESSIONS.into(),
        rows_read: sessions.events,
        rows_written: sessions.sessions,
        partitions: sessions
            .days_rewritten
            .iter()
            .map(|d| (format!("event_date={d}"), 0))
            .collect(),
        seconds: sessions.seconds,
        ..DatasetSummary::default()
    };
    Ok(SourceSummary {
        name: name.to_string(),
        datasets: vec![events_summary, rejected_summary, sessions_summary],
        transform: None,
        error: None,
    })
}

fn dataset_summary(name: &str, read: u64, written: &WriteSummary, seconds: f64) -> DatasetSummary {
    DatasetSummary {
        name: name.into(),
        rows_read: read,
        rows_written: written.rows_written,
        rows_already_present: written.rows_already_present,
        partitions: written.partitions.clone(),
        seconds,
        ..DatasetSummary::default()
    }
}

fn local_date(instant: i64, tz: chrono_tz::Tz) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(instant)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}
