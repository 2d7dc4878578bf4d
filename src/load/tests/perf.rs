//! Throughput check on an http_requests-like table. Run with
//! `cargo test --release --lib load::tests::perf -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use arrow_array::{Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono_tz::Tz;

use crate::load::*;

/// Override with `USAGELAKE_PERF_ROWS=10000000` to time an incremental run on a big lake.
fn rows() -> i64 {
    std::env::var("USAGELAKE_PERF_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}
const BATCH: i64 = 65_536;
const DAYS: i64 = 30;

fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        text("controller"),
        text("action"),
        text("worker"),
        text("url"),
        text("user_agent"),
    ]))
}

/// Rows `first..first+n`, evenly spread over 30 days from 2026-02-01 (append-log order).
fn batch(first: i64, n: i64) -> RecordBatch {
    let start = 1_769_904_000_000_000i64; // 2026-02-01T00:00:00Z
    let step = DAYS * 86_400_000_000 / rows();
    let ids: Vec<i64> = (first..first + n).collect();
    let mix = |i: i64, m: u64| (i as u64).wrapping_mul(6364136223846793005).rotate_left(17) % m;
    let pick = |opts: &'static [&'static str], i: i64| opts[mix(i, opts.len() as u64) as usize];
    let url = ids.iter().map(|&i| {
        format!("/views/Workbook_{}/Sheet{}?:embed=y&:showVizHome=no&:host_url=https%3A%2F%2Fbi.example.org%2F&:tabs=no&r={}",
            mix(i, 400), mix(i, 12), mix(i, 100_000))
    });
    let agent = ids.iter().map(|&i| {
        format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.{}.0 Safari/537.36",
            120 + mix(i, 8), mix(i, 6000))
    });
    let columns: Vec<arrow_array::ArrayRef> = vec![
        Arc::new(Int64Array::from(ids.clone())),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(ids.iter().map(|&i| start + i * step))
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from_iter_values(ids.iter().map(|&i| {
            pick(&["views", "sessions", "vizql", "auth", "sheets"], i)
        }))),
        Arc::new(StringArray::from_iter_values(ids.iter().map(|&i| {
            pick(&["show", "create", "bootstrap", "get_customized_views"], i)
        }))),
        Arc::new(StringArray::from_iter_values(
            ids.iter()
                .map(|&i| pick(&["node1:8000", "node2:8000", "node3:8000"], i)),
        )),
        Arc::new(StringArray::from_iter_values(url)),
        Arc::new(StringArray::from_iter_values(agent)),
    ];
    RecordBatch::try_new(schema(), columns).unwrap()
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                p.metadata().unwrap().len()
            }
        })
        .sum()
}

fn run(
    layout: &LakeLayout,
    compression: Compression,
    run_id: &str,
    first: i64,
    last: i64,
) -> (WriteSummary, f64) {
    let partitioning = Partitioning::EventDate {
        time_column: "created_at".into(),
        key_column: "id".into(),
        tz: "America/New_York".parse::<Tz>().unwrap(),
    };
    let options = WriterOptions {
        compression,
        ..WriterOptions::new(run_id)
    };
    // Batches are generated on the fly (memory stays the writer's); generation time is
    // measured and excluded.
    let mut generating = 0.0;
    let started = Instant::now();
    let mut w = DatasetWriter::open(
        layout,
        "repo",
        "http_requests",
        schema(),
        partitioning,
        options,
    )
    .unwrap();
    for s in (first..last).step_by(BATCH as usize) {
        let t = Instant::now();
        let b = batch(s, BATCH.min(last - s));
        generating += t.elapsed().as_secs_f64();
        w.write(&b).unwrap();
    }
    let summary = w.commit().unwrap();
    (summary, started.elapsed().as_secs_f64() - generating)
}

#[test]
#[ignore]
fn perf_one_million_http_requests() {
    let rows = rows();
    for (label, compression) in [
        ("snappy", Compression::Snappy),
        ("zstd(3)", Compression::Zstd(3)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let (summary, secs) = run(&layout, compression, "initial", 0, rows);
        assert_eq!(summary.rows_written, rows as u64);
        let bytes = dir_bytes(&layout.dataset_dir("repo", "http_requests"));
        println!(
            "{label}: {} rows in {secs:.2}s = {:.0} rows/s, {} partitions, {:.1} MB ({:.1} B/row)",
            rows,
            rows as f64 / secs,
            summary.partitions.len(),
            bytes as f64 / 1e6,
            bytes as f64 / rows as f64
        );
        // Incremental run: a 1-hour-ish lookback overlap (already present) plus new rows.
        let (summary, secs) = run(
            &layout,
            compression,
            "incremental",
            rows - 5_000,
            rows + 5_000,
        );
        assert_eq!(
            (summary.rows_written, summary.rows_already_present),
            (5_000, 5_000)
        );
        println!(
            "{label}: incremental run (5k present + 5k new) in {:.3}s",
            secs
        );
        let (summary, secs) = run(&layout, compression, "rerun", 0, rows);
        assert_eq!(summary.rows_written, 0);
        println!(
            "{label}: full rerun of {rows} present rows in {secs:.2}s = {:.0} rows/s",
            rows as f64 / secs
        );
    }
}
