//! One run of an `events` source: stream the new rows of the files into the lake, save the
//! file state, rebuild the sessions.
//!
//! Rows are never all in memory: each event is checked against the keys seen so far
//! (`dedup`, 16 bytes an event) and goes to the writer in batches of `BATCH_ROWS`, so a
//! first run over a 10M-line export holds a batch, the writers' buffers and the keys.
//!
//! Crash safety follows the lake's rule: rows are published (both writers commit) before
//! the state that covers them is saved. A crash in between makes the next run read the
//! same bytes again; their events are already in the lake and are dropped by the
//! exact-key check (`SeenEvents` loads the lake's keys of every day an event falls on).

use std::time::Instant;

use arrow_array::RecordBatch;
use chrono::Utc;

use super::dedup::SeenEvents;
use super::lake::{self, EVENTS, EVENTS_REJECTED};
use super::{scan_rows, EventRow, EventsError, EventsSource, RejectedRow, Row};
use crate::config::Output;
use crate::load::{
    DatasetWriter, LakeLayout, LoadError, Partitioning, WriteSummary, WriterOptions,
};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};
use crate::transform::sessions::{rebuild_sessions, SessionsRequest};

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
    let lake_err = |what: &'static str| {
        move |e| EventsError::Lake {
            source_name: name.to_string(),
            what,
            source: Box::new(e),
        }
    };
    let seen = SeenEvents::open(layout, name, tz)
        .map_err(lake_err("reading the events already in the lake"))?;
    let mut options = WriterOptions::new(run_id);
    options.compression = output.compression;
    options.row_group_rows = output.row_group_rows;
    let mut sink = RowSink {
        layout,
        name,
        tz,
        options,
        seen,
        events: Pending::new(EVENTS, state.next_event_id),
        rejected: Pending::new(EVENTS_REJECTED, state.next_rejected_id),
        detected_at: Utc::now().timestamp_micros(),
        read: 0,
    };
    let (stats, files) = scan_rows(source, &state.files, &mut |row| sink.push(row))?;
    let ctx = WriteCtx {
        layout,
        name,
        tz,
        options: &sink.options,
        detected_at: sink.detected_at,
    };
    let (events_written, next_event_id) = sink.events.commit(&ctx)?;
    let (rejected_written, next_rejected_id) = sink.rejected.commit(&ctx)?;
    let (read, rejected) = (sink.read, next_rejected_id - state.next_rejected_id);
    // The keys seen are not needed for the sessions, which take their own memory.
    drop(sink);
    let new = (next_event_id - state.next_event_id) as u64;
    state.next_event_id = next_event_id;
    state.next_rejected_id = next_rejected_id;
    state.files = files;
    lake::save_state(layout, name, &state)?;
    let extract_seconds = started.elapsed().as_secs_f64();

    let rules = source.session_rules();
    let request = SessionsRequest::new(layout, name, EVENTS, rules, tz, run_id, output);
    let sessions = rebuild_sessions(&request).map_err(lake_err("rebuilding sessions"))?;

    let mut events_summary = dataset_summary(EVENTS, read, &events_written, extract_seconds);
    events_summary.rows_already_present += read - new;
    let mut rejected_summary =
        dataset_summary(EVENTS_REJECTED, rejected as u64, &rejected_written, 0.0);
    if rejected > 0 {
        rejected_summary.warnings.push(format!(
            "{rejected} bad row(s) in {} file(s) read; see the events_rejected dataset (file, line, reason)",
            stats.files_read
        ));
    }
    let sessions_summary = DatasetSummary::sessions(&sessions);
    Ok(SourceSummary {
        name: name.to_string(),
        datasets: vec![events_summary, rejected_summary, sessions_summary],
        transform: None,
        error: None,
    })
}

/// Where the rows of a scan go as they are read: new events (deduplicated) and bad rows,
/// each in batches of at most `BATCH_ROWS` to its writer.
struct RowSink<'a> {
    layout: &'a LakeLayout,
    name: &'a str,
    tz: chrono_tz::Tz,
    options: WriterOptions,
    seen: SeenEvents,
    events: Pending<EventRow>,
    rejected: Pending<RejectedRow>,
    detected_at: i64,
    /// Events read (new or not).
    read: u64,
}

/// What opening a writer needs.
struct WriteCtx<'a> {
    layout: &'a LakeLayout,
    name: &'a str,
    tz: chrono_tz::Tz,
    options: &'a WriterOptions,
    detected_at: i64,
}

impl RowSink<'_> {
    fn push(&mut self, row: Row) -> Result<(), EventsError> {
        let ctx = WriteCtx {
            layout: self.layout,
            name: self.name,
            tz: self.tz,
            options: &self.options,
            detected_at: self.detected_at,
        };
        match row {
            Row::Event(event) => {
                self.read += 1;
                let is_new = self.seen.insert(&event).map_err(|e| EventsError::Lake {
                    source_name: self.name.to_string(),
                    what: "reading the events already in the lake",
                    source: Box::new(e),
                })?;
                if is_new {
                    self.events.push(event, &ctx)?;
                }
            }
            Row::Rejected(rejected) => self.rejected.push(rejected, &ctx)?,
        }
        Ok(())
    }
}

/// Rows waiting for their batch, the dataset's writer (opened with the first batch) and
/// the id the next row gets.
struct Pending<T> {
    dataset: &'static str,
    rows: Vec<T>,
    writer: Option<DatasetWriter>,
    next_id: i64,
}

/// A row type of one of the two datasets.
trait DatasetRow: Sized {
    /// (merge key, partition time) columns.
    const COLUMNS: (&'static str, &'static str);
    fn batch(rows: &[Self], first_id: i64, ctx: &WriteCtx<'_>) -> RecordBatch;
}

impl DatasetRow for EventRow {
    const COLUMNS: (&'static str, &'static str) = ("event_id", "event_at");
    fn batch(rows: &[Self], first_id: i64, _: &WriteCtx<'_>) -> RecordBatch {
        lake::events_batch(rows, first_id)
    }
}

impl DatasetRow for RejectedRow {
    const COLUMNS: (&'static str, &'static str) = ("rejected_id", "detected_at");
    fn batch(rows: &[Self], first_id: i64, ctx: &WriteCtx<'_>) -> RecordBatch {
        lake::rejected_batch(rows, first_id, ctx.detected_at)
    }
}

impl<T: DatasetRow> Pending<T> {
    fn new(dataset: &'static str, next_id: i64) -> Self {
        Self {
            dataset,
            rows: Vec::with_capacity(BATCH_ROWS),
            writer: None,
            next_id,
        }
    }

    fn push(&mut self, row: T, ctx: &WriteCtx<'_>) -> Result<(), EventsError> {
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush(ctx)?;
        }
        Ok(())
    }

    fn flush(&mut self, ctx: &WriteCtx<'_>) -> Result<(), EventsError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let batch = T::batch(&self.rows, self.next_id, ctx);
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => {
                let (key, time) = T::COLUMNS;
                let writer = DatasetWriter::open(
                    ctx.layout,
                    ctx.name,
                    self.dataset,
                    batch.schema(),
                    Partitioning::EventDate {
                        time_column: time.into(),
                        key_column: key.into(),
                        tz: ctx.tz,
                    },
                    ctx.options.clone(),
                )
                .map_err(|e| load_error(ctx.name, self.dataset, e))?;
                self.writer.insert(writer)
            }
        };
        let dataset = self.dataset;
        writer
            .write(&batch)
            .map_err(|e| load_error(ctx.name, dataset, e))?;
        self.next_id += self.rows.len() as i64;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is left and publishes; returns the summary and the next free id.
    fn commit(&mut self, ctx: &WriteCtx<'_>) -> Result<(WriteSummary, i64), EventsError> {
        self.flush(ctx)?;
        let summary = match self.writer.take() {
            Some(writer) => writer
                .commit()
                .map_err(|e| load_error(ctx.name, self.dataset, e))?,
            None => WriteSummary::default(),
        };
        Ok((summary, self.next_id))
    }
}

fn load_error(source_name: &str, dataset: &'static str, e: LoadError) -> EventsError {
    EventsError::Load {
        source_name: source_name.to_string(),
        dataset,
        source: Box::new(e),
    }
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
