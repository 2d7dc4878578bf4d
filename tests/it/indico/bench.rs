//! Measurements for the closing note, not run by default (`--ignored`): they print
//! numbers and assert only that the work was done.
//!
//! cargo test --test it indico::bench -- --ignored --nocapture --test-threads 1

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use usagelake::config::SecretRef;
use usagelake::sources::indico::fake::{FakeIndico, API_TOKEN};
use usagelake::sources::indico::{IndicoReader, IndicoSourceConfig};

use crate::support::indico_lake::IndicoLake;

/// Pages per second reading one day's snapshot of 3,000 users, 100 per page, with the
/// fake answering each page after 50 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn pages_per_second_at_50_ms_per_page() {
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let (fake, host) = FakeIndico::generate(3_000, first, 3, 9)
        .start()
        .await
        .unwrap();
    fake.set_page_latency(Duration::from_millis(50));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t"), API_TOKEN).unwrap();
    let mut config = IndicoSourceConfig::new("b", host, SecretRef::File(dir.path().join("t")));
    config.protocol = "http".into();
    let reader = IndicoReader::connect(&config).await.unwrap();
    let started = Instant::now();
    let (users, _) = reader
        .snapshot(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap())
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let pages = fake.graphql_requests();
    println!(
        "indico pages/s: {pages} pages ({} users) in {seconds:.2} s = {:.1} pages/s, {:.0} users/s",
        users.num_rows(),
        f64::from(pages) / seconds,
        users.num_rows() as f64 / seconds
    );
    assert_eq!(users.num_rows(), 3_000);
}

/// A 30-day backfill of 10,000 users' snapshots by the test build of the binary (dev
/// profile: dependencies optimized, usagelake itself not), timed with `/usr/bin/time -v`
/// (wall time, peak RSS). The fake serves from the test process, so its CPU is not in
/// the binary's numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn thirty_day_backfill_of_ten_thousand_users() {
    let lake = IndicoLake::start(10_000, 30, "").await;
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_usagelake"))
        .args([
            "backfill",
            lake.pipeline().to_str().unwrap(),
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ])
        .args([
            "--dataset",
            "user_snapshots",
            "--dataset",
            "user_snapshot_datasets",
            "--quiet",
        ])
        .env("USAGELAKE_TODAY", "2026-12-01")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for line in stderr.lines() {
        let line = line.trim();
        let wanted = [
            "Elapsed (wall clock)",
            "Maximum resident",
            "Percent of CPU",
            "User time",
            "System time",
        ];
        if wanted.iter().any(|w| line.starts_with(w)) {
            println!("indico 30-day backfill, 10,000 users: {line}");
        }
    }
    let days = lake.snapshot_ids();
    assert_eq!(days.len(), 30);
    assert!(days.values().all(|ids| ids.len() > 9_000));
}
