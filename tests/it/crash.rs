//! A crash at any write step, followed by normal runs, converges to exactly the source:
//! zero lost rows, zero duplicates, no staging left behind.

use std::os::unix::process::ExitStatusExt;

use crate::support::cli::{assert_success, LakeFixture, PipelineSpec};
use crate::support::lake::{counts_by_partition, unique_ids};
use crate::support::pg::TestDb;

/// Every crash point; `published:3` dies between two renames of one run.
const FAILPOINTS: &[&str] = &[
    "stage_written",
    "published",
    "published:3",
    "before_state",
    "state_written",
    "snapshot_published",
    "partition_merged",
];

/// Cut-offs for the source's visible rows: three days at once (several partitions in one
/// run), whole days, then two-hour steps through the last day, so the last day's
/// partition is rewritten (merged with new rows) on every run.
fn cutoffs() -> Vec<String> {
    let mut out: Vec<String> = (3..=6)
        .map(|d| format!("TIMESTAMP '2026-11-01' + interval '{d} days'"))
        .collect();
    out.extend((1..=12).map(|h| format!("TIMESTAMP '2026-11-07' + interval '{} hours'", 2 * h)));
    out.push("TIMESTAMP '2026-11-09'".to_string());
    out
}

#[tokio::test]
async fn crash_at_each_write_step_then_run_converges() {
    let db = TestDb::new().await;
    db.load_demo(6_000, "2026-11-01".parse().unwrap(), 7).await;
    db.exec("CREATE TABLE all_requests AS SELECT * FROM http_requests")
        .await;
    let total: i64 = db.scalar("SELECT count(*) FROM all_requests").await;
    for failpoint in FAILPOINTS {
        db.exec("TRUNCATE http_requests").await;
        let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
        spec.time_zone = "America/New_York";
        spec.datasets = Some(r#"["http_requests", "users"]"#);
        spec.lookback_minutes = 0;
        let lake = LakeFixture::new(&spec);
        let mut crashed = false;
        for cutoff in cutoffs() {
            db.exec(&format!(
                "INSERT INTO http_requests SELECT * FROM all_requests WHERE created_at < {cutoff} ON CONFLICT (id) DO NOTHING"
            ))
            .await;
            // Armed until it fires once; every later run is a normal one.
            let env: Vec<(&str, &str)> = if crashed {
                vec![]
            } else {
                vec![("USAGELAKE_FAILPOINT", failpoint)]
            };
            let out = lake.run_with_env(&[], &env);
            if !crashed && out.status.signal() == Some(nix::libc::SIGABRT) {
                crashed = true;
                // Before any recovery, a reader sees no row twice.
                unique_ids(&lake.dataset_dir("http_requests"), "id");
            } else {
                assert_success(&out);
            }
        }
        assert!(crashed, "failpoint {failpoint} was never reached");
        let out = lake.run(&[]);
        assert_success(&out);
        let dir = lake.dataset_dir("http_requests");
        assert_eq!(
            unique_ids(&dir, "id").len() as i64,
            total,
            "after crash at {failpoint}"
        );
        assert_eq!(
            counts_by_partition(&dir, "id").values().sum::<i64>(),
            total,
            "{failpoint}"
        );
        let staging = lake.root().join("_usagelake/staging");
        assert!(
            std::fs::read_dir(&staging).map_or(true, |d| d.count() == 0),
            "staging left behind after {failpoint}"
        );
        assert!(
            std::fs::read_dir(lake.root().join("_usagelake/journal"))
                .map_or(true, |d| d.count() == 0),
            "journal left behind after {failpoint}"
        );
    }
}
