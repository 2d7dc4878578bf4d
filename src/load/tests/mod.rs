//! Load-stage tests: properties readers and reruns depend on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

mod compaction;
mod crash;
mod encoding;
mod merge;
mod perf;
mod readers;
mod text_keys;

const DAY1: &str = "2026-03-08";
const DAY2: &str = "2026-03-09";

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("controller", DataType::Utf8, true),
    ]))
}

fn us(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}

/// Rows `(id, "YYYY-MM-DDTHH:MM:SSZ")`.
fn batch(rows: &[(i64, &str)]) -> RecordBatch {
    let ids = Int64Array::from_iter_values(rows.iter().map(|r| r.0));
    let ts = TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| us(r.1)))
        .with_timezone("UTC");
    let controller = StringArray::from_iter_values(rows.iter().map(|r| {
        if r.0 % 2 == 0 {
            "views"
        } else {
            "sessions"
        }
    }));
    RecordBatch::try_new(
        schema(),
        vec![Arc::new(ids), Arc::new(ts), Arc::new(controller)],
    )
    .unwrap()
}

/// `n` rows with ids from `first`, spread over one UTC day, in descending time order so
/// the writer's sort is exercised.
fn day_batch(day: &str, first: i64, n: i64) -> RecordBatch {
    let rows: Vec<(i64, String)> = (0..n)
        .map(|i| {
            (
                first + i,
                format!("{day}T{:02}:{:02}:00Z", 23 - (i % 24), (n - i) % 60),
            )
        })
        .collect();
    batch(
        &rows
            .iter()
            .map(|(id, t)| (*id, t.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn event_partitioning() -> Partitioning {
    Partitioning::EventDate {
        time_column: "created_at".into(),
        key_column: "id".into(),
        tz: Tz::UTC,
    }
}

fn options(run_id: &str, row_group_rows: usize) -> WriterOptions {
    WriterOptions {
        row_group_rows,
        ..WriterOptions::new(run_id)
    }
}

fn write_all(layout: &LakeLayout, opts: WriterOptions, batches: &[RecordBatch]) -> WriteSummary {
    let mut w = DatasetWriter::open(
        layout,
        "repo",
        "http_requests",
        schema(),
        event_partitioning(),
        opts,
    )
    .unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.commit().unwrap()
}

fn files_of(layout: &LakeLayout) -> Vec<PathBuf> {
    list_partitions(layout, "repo", "http_requests")
        .unwrap()
        .into_iter()
        .flat_map(|p| p.files)
        .collect()
}

/// (row group index, ids, times) for every row group of a file.
fn read_row_groups(path: &Path) -> Vec<(Vec<i64>, Vec<i64>)> {
    let meta = parquet_io::read_footer(path).unwrap();
    (0..meta.num_row_groups())
        .map(|rg| {
            let file = std::fs::File::open(path).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .with_row_groups(vec![rg])
                .build()
                .unwrap();
            let (mut ids, mut times) = (Vec::new(), Vec::new());
            for b in reader {
                let b = b.unwrap();
                ids.extend(
                    b.column(0)
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .unwrap()
                        .values(),
                );
                times.extend(
                    b.column(1)
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()
                        .unwrap()
                        .values(),
                );
            }
            (ids, times)
        })
        .collect()
}

fn all_ids(layout: &LakeLayout) -> Vec<i64> {
    let mut ids: Vec<i64> = files_of(layout)
        .iter()
        .flat_map(|f| read_row_groups(f))
        .flat_map(|(ids, _)| ids)
        .collect();
    ids.sort_unstable();
    ids
}

fn assert_no_duplicates(ids: &[i64]) {
    let mut dedup = ids.to_vec();
    dedup.dedup();
    assert_eq!(dedup.len(), ids.len(), "duplicate keys in the lake");
}

fn staged_leftovers(layout: &LakeLayout, run_id: &str) -> Vec<String> {
    std::fs::read_dir(layout.staging_dir(run_id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "owner.json")
        .collect()
}

fn write_plain_file(path: &Path, batches: &[RecordBatch]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema(), None)
            .unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

#[test]
fn snapshot_same_day_rerun_replaces_and_empty_table_writes_schema() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let date = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
    let snapshot = |rows: &[RecordBatch], run: &str| {
        let part = Partitioning::SnapshotDate { date };
        let mut w =
            DatasetWriter::open(&layout, "repo", "users", schema(), part, options(run, 1000))
                .unwrap();
        for b in rows {
            w.write(b).unwrap();
        }
        w.commit().unwrap()
    };
    snapshot(&[day_batch(DAY1, 1, 10), day_batch(DAY1, 11, 5)], "run-a");
    let summary = snapshot(&[day_batch(DAY1, 1, 3)], "run-b");
    assert_eq!(summary.partitions.get("snapshot_date=2026-03-08"), Some(&3));
    let partitions = list_partitions(&layout, "repo", "users").unwrap();
    assert_eq!(partitions.len(), 1);
    assert_eq!(
        partitions[0].files,
        vec![partitions[0].path.join("part-0.parquet")]
    );
    assert_eq!(
        partitions[0].rows, 3,
        "same-day rerun replaced the snapshot"
    );

    snapshot(&[], "run-c");
    let file = &list_partitions(&layout, "repo", "users").unwrap()[0].files[0];
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap();
    assert_eq!(
        reader.schema().fields(),
        schema().fields(),
        "empty snapshot still carries the schema"
    );
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn schema_with_partition_column_or_naive_time_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let with_date = Arc::new(Schema::new(
        schema()
            .fields()
            .iter()
            .cloned()
            .chain([Arc::new(Field::new("event_date", DataType::Date32, true))])
            .collect::<Vec<_>>(),
    ));
    let err = DatasetWriter::open(
        &layout,
        "t",
        "d",
        with_date,
        event_partitioning(),
        options("r", 10),
    )
    .err()
    .unwrap();
    assert!(matches!(err, LoadError::Schema { .. }), "{err}");
    let naive = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
    ]));
    assert!(DatasetWriter::open(
        &layout,
        "t",
        "d",
        naive,
        event_partitioning(),
        options("r", 10)
    )
    .is_err());
}

#[test]
fn time_outside_the_calendar_is_an_error_naming_dataset_column_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    // Year ~294,000: PostgreSQL stores it, chrono (and most readers) cannot.
    let far = 9_200_000_000_000_000_000i64;
    let ids = Int64Array::from(vec![1, 42]);
    let ts =
        TimestampMicrosecondArray::from(vec![us("2026-03-08T10:00:00Z"), far]).with_timezone("UTC");
    let controller = StringArray::from(vec!["views", "views"]);
    let b = RecordBatch::try_new(
        schema(),
        vec![Arc::new(ids), Arc::new(ts), Arc::new(controller)],
    )
    .unwrap();
    let mut w = DatasetWriter::open(
        &layout,
        "repo",
        "http_requests",
        schema(),
        event_partitioning(),
        options("run-t", 10),
    )
    .unwrap();
    let err = w.write(&b).unwrap_err();
    let text = err.to_string();
    for part in ["repo/http_requests", "created_at", "42", &far.to_string()] {
        assert!(text.contains(part), "{part} missing in: {text}");
    }
    // A batch spanning most of the calendar is fine (and does not build a table per day).
    let ts = TimestampMicrosecondArray::from(vec![
        us("0001-01-02T00:00:00Z"),
        us("9999-12-30T00:00:00Z"),
    ])
    .with_timezone("UTC");
    let b = RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(ts),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ],
    )
    .unwrap();
    let parts = split_by_event_date(&b, "created_at", Tz::UTC).unwrap();
    assert_eq!(parts.len(), 2);
}
