//! Decode throughput on an http_requests-shaped stream (20 columns, URIs ~100 chars,
//! user agents ~110). Ignored by default; run optimized:
//!
//! ```text
//! CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo test --lib copy_binary::bench -- --ignored --nocapture
//! ```

use std::collections::VecDeque;
use std::time::Instant;

use super::tests::{header, resolved, trailer, tuple};
use super::CopyDecoder;

const ROWS: usize = 300_000;

#[test]
#[ignore = "benchmark: run optimized with --ignored --nocapture"]
fn decode_http_requests_rows_per_second() {
    // The columns `usagelake run` reads, in its order, so the bench follows the spec.
    let columns = crate::sources::tableau::tables::table_spec("http_requests", false)
        .expect("http_requests is a Tableau dataset")
        .columns;
    assert_eq!(columns.len(), 20, "the field list below is for 20 columns");
    let spec: Vec<_> = columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type, Some(c.pg_type)))
        .collect();
    let table = resolved(&spec);

    // One chunk per row, as the server sends one CopyData message per tuple.
    let user_agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let mut chunks: Vec<Vec<u8>> = vec![header()];
    let mut bytes = 0;
    for i in 0..ROWS {
        let uri = format!("/vizql/w/Sales_Dashboard_{:06}/v/Overview/bootstrapSession/sessions/3F2504E0-4F89-11D3-9A0C-0305E82C3301", i);
        let referer = format!(
            "https://tableau.example.com/#/site/finance/views/Sales/Overview?:iid={}",
            i % 97
        );
        let t = (i as i64 * 1_000_000).to_be_bytes();
        let mut row = Vec::with_capacity(640);
        let fields: [Option<&[u8]>; 20] = [
            Some(&(i as i64).to_be_bytes()),
            Some(&t),
            Some(b"vizql"),
            Some(b"bootstrapSession"),
            Some(referer.as_bytes()),
            Some(user_agent.as_bytes()),
            Some(uri.as_bytes()),
            Some(b"10.20.30.40"),
            Some(b"A1B2C3D4E5F60718293A4B5C6D7E8F90"),
            Some(&t),
            Some(&8000i32.to_be_bytes()),
            if i % 10 == 0 {
                None
            } else {
                Some(&1234i32.to_be_bytes())
            },
            Some(b"worker-01"),
            Some(&200i32.to_be_bytes()),
            None,
            Some(b"10.20.30.40"),
            Some(b"F0E1D2C3B4A5968778695A4B3C2D1E0F-0:0"),
            Some(&1i32.to_be_bytes()),
            Some(b"Sales/Overview"),
            Some(&0i64.to_be_bytes()),
        ];
        tuple(&mut row, &fields);
        bytes += row.len();
        chunks.push(row);
    }
    let mut end = Vec::new();
    trailer(&mut end);
    chunks.push(end);

    // Best of several runs, by wall clock and by this thread's on-CPU time (the machine
    // may be shared: CPU time is what one core spends, whatever else runs).
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        let started = Instant::now();
        let cpu_started = thread_cpu_seconds();
        let mut decoder = CopyDecoder::new(&table, 65_536);
        let mut out = VecDeque::new();
        let mut rows = 0;
        for chunk in &chunks {
            decoder.feed(chunk, &mut out).unwrap();
            rows += out.drain(..).map(|b| b.num_rows()).sum::<usize>();
        }
        rows += decoder.finish().unwrap().map_or(0, |b| b.num_rows());
        assert_eq!(rows, ROWS);
        best = best.min(started.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_started, thread_cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    println!(
        "decoded {ROWS} rows ({:.0} B/row) in {:.1} ms: {:.2} M rows/s, {:.0} MB/s",
        bytes as f64 / ROWS as f64,
        best * 1e3,
        ROWS as f64 / best / 1e6,
        bytes as f64 / best / 1e6
    );
    println!(
        "on-CPU: {:.1} ms: {:.2} M rows/s",
        best_cpu * 1e3,
        ROWS as f64 / best_cpu / 1e6
    );
}

/// This thread's time on a CPU, from Linux's `/proc/thread-self/schedstat` (ns).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}
