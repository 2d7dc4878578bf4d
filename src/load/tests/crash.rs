//! Real crashes: the test binary re-runs itself as a child with `USAGELAKE_FAILPOINT`
//! armed, the child aborts at the crash point (no destructors, like `kill -9`), then
//! the parent runs `recover` and the same load again and checks every row is in the
//! lake exactly once.

use std::process::Command;

use super::*;

const LAKE_ENV: &str = "USAGELAKE_TEST_CRASH_LAKE";

/// The child's load: two partitions, small row groups, one open partition at a time.
fn child_load(layout: &LakeLayout, run_id: &str) -> WriteSummary {
    let opts = WriterOptions {
        max_open_partitions: 1,
        ..options(run_id, 4)
    };
    // Alternating days with one open partition: several staged files per partition.
    let batches = [
        day_batch(DAY1, 0, 10),
        day_batch(DAY2, 100, 10),
        day_batch(DAY1, 10, 10),
        day_batch(DAY2, 110, 10),
    ];
    write_all(layout, opts, &batches)
}

fn expected_ids() -> Vec<i64> {
    (0..20).chain(100..120).collect()
}

/// Entry point of the child process; does nothing when run normally.
#[test]
#[ignore]
fn crash_child() {
    if let Ok(lake) = std::env::var(LAKE_ENV) {
        child_load(&LakeLayout::new(lake), "crashed-run");
    }
}

fn crash_then_resume(failpoint: &str) {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    // A prior run so that a compaction has something to replace.
    write_all(&layout, options("prior", 1000), &[day_batch(DAY1, 0, 5)]);
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "load::tests::crash::crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LAKE_ENV, dir.path())
        .env("USAGELAKE_FAILPOINT", failpoint)
        .output()
        .unwrap();
    let name = failpoint.split(':').next().unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        !status.status.success() && stderr.contains(&format!("failpoint {name} reached")),
        "{failpoint}: the child must abort at the failpoint; stderr: {stderr}"
    );

    // Before any recovery, a reader sees every row of the prior run exactly once.
    let before = all_ids(&layout);
    assert_no_duplicates(&before);
    assert!(
        (0..5).all(|id| before.contains(&id)),
        "{failpoint}: a row of the prior run is missing: {before:?}"
    );

    let report = recover(&layout).unwrap();
    assert!(
        report
            .staging_removed
            .iter()
            .any(|d| d.ends_with("crashed-run")),
        "{failpoint}: {report:?}"
    );
    // Whatever was published before the crash is kept; nothing is ever duplicated.
    assert_no_duplicates(&all_ids(&layout));
    child_load(&layout, "resume-run");
    assert_eq!(
        all_ids(&layout),
        expected_ids(),
        "{failpoint}: every row exactly once after resume"
    );
}

#[test]
fn crash_at_every_publish_point_loses_and_duplicates_nothing() {
    for failpoint in [
        "stage_written",
        "stage_written:3",
        "partition_merged",
        "published",
        "published:2",
    ] {
        crash_then_resume(failpoint);
    }
}
