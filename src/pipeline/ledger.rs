//! The run ledger: one small Parquet file per run (nightly, backfill or demo), written
//! whether the run succeeded or failed, at
//! `<root>/_usagelake/ledger/run_date=YYYY-MM-DD/<run_id>.parquet` (run_date = UTC date
//! the run started).
//!
//! Append-only: a file is written once, atomically (temporary name, fsync, rename) and
//! never rewritten, so admins can chart the pipeline's own health with the same tools
//! they query the lake with, e.g.
//! `duckdb -c "SELECT * FROM read_parquet('<root>/_usagelake/ledger/**/*.parquet', hive_partitioning=true)"`.
//!
//! One row per dataset a run touched (flat, because BI tools handle nested columns
//! poorly); a run that failed before any dataset finished still gets one row, with NULL
//! source and dataset, so every run is visible.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate, Utc};
use parquet::arrow::ArrowWriter;

use crate::days::DateRange;
use crate::load::lock::host_name;
use crate::load::{fsutil, LakeLayout};
use crate::sources::SourceSummary;

/// Everything the ledger records about one run.
#[derive(Debug)]
pub struct LedgerEntry<'a> {
    pub run_id: &'a str,
    pub pipeline: String,
    /// `run`, `backfill` or `demo`.
    pub command: &'a str,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub range: Option<DateRange>,
    pub sources: &'a [SourceSummary],
    /// The error and its causes, outermost first, when the run failed.
    pub error: Option<&'a (dyn std::error::Error + 'static)>,
}

pub fn schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let int = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        text("run_id", false),
        text("pipeline", false),
        text("command", false),
        text("host", false),
        Field::new("started_at", ts.clone(), false),
        Field::new("finished_at", ts, false),
        text("status", false),
        text("error", true),
        Field::new("range_from", DataType::Date32, true),
        Field::new("range_to", DataType::Date32, true),
        text("source", true),
        text("dataset", true),
        int("rows_read"),
        int("rows_written"),
        int("rows_already_present"),
        int("partitions_touched"),
        // Comma-separated partition folder names: a plain string reads everywhere.
        text("partitions", true),
        int("watermark_before"),
        int("watermark_after"),
        // Share of requests an enrichment resolved to content; NULL where none ran.
        Field::new("resolution_rate", DataType::Float64, true),
        text("warnings", true),
    ]))
}

/// Writes the entry's file. Errors are for the caller to log: the ledger describes the
/// run, it must never turn a successful run into a failed one.
pub fn record(layout: &LakeLayout, entry: &LedgerEntry) -> std::io::Result<PathBuf> {
    let batch = to_batch(entry).map_err(std::io::Error::other)?;
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, batch.schema(), None).map_err(std::io::Error::other)?;
    writer.write(&batch).map_err(std::io::Error::other)?;
    writer.close().map_err(std::io::Error::other)?;
    let path = layout
        .ledger_dir()
        .join(format!("run_date={}", entry.started.date_naive()))
        .join(format!("{}.parquet", entry.run_id));
    fsutil::create_dir_all_durable(path.parent().expect("has parent"))?;
    fsutil::atomic_write(&path, &bytes)?;
    Ok(path)
}

/// [`record`], logging instead of failing: see there.
pub fn record_logged(layout: &LakeLayout, entry: &LedgerEntry) {
    match record(layout, entry) {
        Ok(path) => tracing::debug!(ledger = %path.display(), "run recorded in the ledger"),
        Err(e) => {
            tracing::error!(run_id = entry.run_id, error = %e, "could not write the run ledger entry")
        }
    }
}

fn to_batch(entry: &LedgerEntry) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let status = if entry.error.is_some() {
        "failed"
    } else {
        "ok"
    };
    let error = entry.error.map(|e| {
        let mut chain = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            chain.push_str(": ");
            chain.push_str(&c.to_string());
            cause = c.source();
        }
        chain
    });
    let rows: Vec<(Option<&str>, Option<&crate::sources::DatasetSummary>)> = {
        let all: Vec<_> = entry
            .sources
            .iter()
            .flat_map(|s| {
                s.datasets
                    .iter()
                    .map(move |d| (Some(s.name.as_str()), Some(d)))
            })
            .collect();
        if all.is_empty() {
            vec![(None, None)]
        } else {
            all
        }
    };
    let n = rows.len();
    let repeat = |value: &str| {
        let mut b = StringBuilder::new();
        (0..n).for_each(|_| b.append_value(value));
        Arc::new(b.finish()) as ArrayRef
    };
    let repeat_opt = |value: Option<&str>| {
        let mut b = StringBuilder::new();
        (0..n).for_each(|_| b.append_option(value));
        Arc::new(b.finish()) as ArrayRef
    };
    let time = |t: DateTime<Utc>| {
        let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        (0..n).for_each(|_| b.append_value(t.timestamp_micros()));
        Arc::new(b.finish()) as ArrayRef
    };
    let date = |d: Option<NaiveDate>| {
        let mut b = Date32Builder::new();
        let days = d.map(|d| (d - NaiveDate::default()).num_days() as i32);
        (0..n).for_each(|_| b.append_option(days));
        Arc::new(b.finish()) as ArrayRef
    };
    let text_col = |f: &dyn Fn(&crate::sources::DatasetSummary) -> Option<String>| {
        let mut b = StringBuilder::new();
        for (_, d) in &rows {
            b.append_option(d.and_then(f));
        }
        Arc::new(b.finish()) as ArrayRef
    };
    let int_col = |f: &dyn Fn(&crate::sources::DatasetSummary) -> Option<i64>| {
        let mut b = Int64Builder::new();
        for (_, d) in &rows {
            b.append_option(d.and_then(f));
        }
        Arc::new(b.finish()) as ArrayRef
    };
    let mut source = StringBuilder::new();
    let mut rate = Float64Builder::new();
    for (s, d) in &rows {
        source.append_option(*s);
        rate.append_option(d.and_then(|d| d.resolution_rate));
    }
    let count = |v: u64| Some(i64::try_from(v).unwrap_or(i64::MAX));
    let columns: Vec<ArrayRef> = vec![
        repeat(entry.run_id),
        repeat(&entry.pipeline),
        repeat(entry.command),
        repeat(&host_name()),
        time(entry.started),
        time(entry.finished),
        repeat(status),
        repeat_opt(error.as_deref()),
        date(entry.range.map(|r| r.from)),
        date(entry.range.map(|r| r.to)),
        Arc::new(source.finish()),
        text_col(&|d| Some(d.name.clone())),
        int_col(&|d| count(d.rows_read)),
        int_col(&|d| count(d.rows_written)),
        int_col(&|d| count(d.rows_already_present)),
        int_col(&|d| count(d.partitions.len() as u64)),
        text_col(&|d| Some(d.partitions.keys().cloned().collect::<Vec<_>>().join(","))),
        int_col(&|d| d.watermark_before),
        int_col(&|d| d.watermark_after),
        Arc::new(rate.finish()),
        text_col(&|d| (!d.warnings.is_empty()).then(|| d.warnings.join("; "))),
    ];
    RecordBatch::try_new(schema(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::DatasetSummary;

    #[test]
    fn failed_run_without_datasets_still_has_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let error = std::io::Error::other("boom");
        let started = Utc::now();
        let entry = LedgerEntry {
            run_id: "r1",
            pipeline: "p.toml".into(),
            command: "run",
            started,
            finished: started,
            range: None,
            sources: &[],
            error: Some(&error),
        };
        let path = record(&layout, &entry).unwrap();
        assert!(path.ends_with(format!("run_date={}/r1.parquet", started.date_naive())));
        let ok = [SourceSummary {
            name: "tab".into(),
            datasets: vec![DatasetSummary {
                name: "http_requests".into(),
                ..Default::default()
            }],
            transform: None,
        }];
        let batch = to_batch(&LedgerEntry {
            sources: &ok,
            error: None,
            ..entry
        })
        .unwrap();
        assert_eq!(batch.num_rows(), 1);
    }
}
