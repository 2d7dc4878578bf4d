//! `usagelake run/backfill/status/plan` on an `indico` source, end to end: the real
//! binary against the fake Indico over HTTP on 127.0.0.1, the lake read back.
//!
//! The fake lives in the test's runtime while the binary runs in a child process, so
//! these tests use the multi-threaded runtime: the blocking wait for the child must not
//! stop the fake from answering.

mod bench;
mod faults;
mod page;
mod readers;
mod reports;

use crate::support::cli::assert_success;
use crate::support::indico_lake::IndicoLake;
use crate::support::lake::fingerprint;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_day_once_after_reruns_missed_nights_and_a_backfill() {
    let lake = IndicoLake::start(60, 10, "page_size = 9").await;
    // First night: 11-01..11-03 are complete on 11-04 (UTC).
    lake.run_ok("2026-11-04");
    lake.assert_exactly_once_through("2026-11-03");

    // A rerun the same day finds no new complete day and touches nothing.
    let before = fingerprint(&lake.root().join("ind"));
    lake.run_ok("2026-11-04");
    assert_eq!(fingerprint(&lake.root().join("ind")), before);

    // Three missed nights: the next run catches up 11-04..11-07 by itself.
    lake.run_ok("2026-11-08");
    lake.assert_exactly_once_through("2026-11-07");

    // A backfill over archived days rewrites them, still once each.
    let out = lake.cmd(
        "backfill",
        &["--from", "2026-11-02", "--to", "2026-11-03", "--quiet"],
        "2026-11-08",
        &[],
    );
    assert_success(&out);
    lake.assert_exactly_once_through("2026-11-07");

    // Status: up to date on 11-08; two days behind on 11-10 (exit 3, days named).
    let ok = lake.cmd("status", &[], "2026-11-08", &[]);
    assert_success(&ok);
    assert!(stdout(&ok).contains("2026-11-07"), "{}", stdout(&ok));
    let behind = lake.cmd("status", &[], "2026-11-10", &[]);
    assert_eq!(behind.status.code(), Some(3), "{}", stdout(&behind));
    assert!(
        stdout(&behind).contains("2026-11-08"),
        "{}",
        stdout(&behind)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_fills_days_a_first_run_never_saw_and_plan_shows_them() {
    // The lake starts at 11-05; the days before are backfilled later.
    let lake = IndicoLake::start(40, 8, "").await;
    let text = std::fs::read_to_string(lake.pipeline()).unwrap();
    std::fs::write(
        lake.pipeline(),
        text.replace(
            "history_start = \"2026-11-01\"",
            "history_start = \"2026-11-05\"",
        ),
    )
    .unwrap();
    lake.run_ok("2026-11-07");
    assert_eq!(lake.snapshot_ids().len(), 2);
    let plan = lake.cmd(
        "plan",
        &[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-06",
            "--shards",
            "2",
            "--format",
            "json",
        ],
        "2026-11-07",
        &[],
    );
    assert_success(&plan);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(plan["shards"].as_array().map(Vec::len), Some(2), "{plan}");
    // The dry run lists every Indico dataset per day, with what the lake holds.
    let dry = lake.cmd(
        "backfill",
        &[
            "--from",
            "2026-11-04",
            "--to",
            "2026-11-05",
            "--dry-run",
            "--format",
            "json",
        ],
        "2026-11-07",
        &[],
    );
    assert_success(&dry);
    let text = String::from_utf8_lossy(&dry.stdout);
    for dataset in crate::support::indico_lake::DATASETS {
        assert!(text.contains(dataset), "{dataset} missing in {text}");
    }

    let out = lake.cmd(
        "backfill",
        &["--from", "2026-11-01", "--to", "2026-11-04", "--quiet"],
        "2026-11-07",
        &[],
    );
    assert_success(&out);
    lake.assert_exactly_once_through("2026-11-06");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connect_proves_the_token_and_one_read_per_dataset() {
    let lake = IndicoLake::start(20, 3, "").await;
    let ok = lake.cmd("check", &["--connect"], "2026-11-03", &[]);
    assert_success(&ok);
    let text = stdout(&ok);
    for line in [
        "ind/token: ok",
        "ind/user_summary: ok",
        "ind/user_snapshots: ok",
        "ind/user_changelog: ok",
    ] {
        assert!(text.contains(line), "{line} missing in {text}");
    }
    std::fs::write(lake.dir.path().join("indico.token"), "not-the-token\n").unwrap();
    let refused = lake.cmd("check", &["--connect"], "2026-11-03", &[]);
    assert!(!refused.status.success());
    let text = format!(
        "{}{}",
        stdout(&refused),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(
        text.contains("ind/token: PROBLEM") && text.contains("refused"),
        "{text}"
    );
    assert!(!text.contains("not-the-token"), "the token leaked: {text}");
}
