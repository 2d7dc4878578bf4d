//! Background jobs: a job still running when a run reads past it is archived once it
//! completes (issue 11 items 1 and 2), exactly once, in its final version.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::Array;

use crate::support::cli::{LakeFixture, PipelineSpec};
use crate::support::lake::{parquet_files, read_batches, unique_ids};
use crate::support::pg::TestDb;

/// 600 finished jobs, one a minute from 2026-11-02 00:00 UTC; job 50 (nine hours before
/// the newest) is still running.
async fn jobs_db() -> TestDb {
    let db = TestDb::new().await;
    db.load_demo(100, "2026-11-01".parse().unwrap(), 1).await;
    db.exec(
        "TRUNCATE background_jobs;
         INSERT INTO background_jobs (id, job_type, progress, created_at, completed_at)
         SELECT g, 'refresh_extracts', 100,
                TIMESTAMP '2026-11-02' + g * interval '1 minute',
                TIMESTAMP '2026-11-02' + g * interval '1 minute' + interval '30 seconds'
         FROM generate_series(1, 600) g;
         UPDATE background_jobs SET completed_at = NULL, progress = 40 WHERE id = 50;",
    )
    .await;
    db
}

fn jobs_lake(db: &TestDb, lookback_minutes: u32, extra_toml: &str) -> LakeFixture {
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.datasets = Some(r#"["background_jobs"]"#);
    spec.lookback_minutes = lookback_minutes;
    let lake = LakeFixture::new(&spec);
    // Small batches: the lookback window is batch-granular, and should not reach job 50.
    let mut text = std::fs::read_to_string(&lake.pipeline)
        .unwrap()
        .replace("batch_rows = 1000", "batch_rows = 50");
    text.push_str(extra_toml);
    std::fs::write(&lake.pipeline, text).unwrap();
    lake
}

/// `completed_at` (µs) of every archived copy of job `id`.
fn completed_at_of(dataset: &Path, id: i64) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for file in parquet_files(dataset) {
        for batch in read_batches(&file) {
            let ids = batch
                .column_by_name("id")
                .unwrap()
                .as_primitive::<Int64Type>();
            let done = batch
                .column_by_name("completed_at")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            for i in (0..batch.num_rows()).filter(|&i| ids.value(i) == id) {
                out.push(done.is_valid(i).then(|| done.value(i)));
            }
        }
    }
    out
}

/// `rows_read` of background_jobs in the newest run summary.
fn rows_read_last_run(lake: &LakeFixture) -> u64 {
    let runs = lake.root().join("_usagelake/runs");
    let mut files: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(files.last().unwrap()).unwrap()).unwrap();
    summary["sources"][0]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "background_jobs")
        .and_then(|d| d["rows_read"].as_u64())
        .unwrap()
}

#[tokio::test]
async fn running_job_behind_the_lookback_is_archived_once_it_completes() {
    let db = jobs_db().await;
    let lake = jobs_lake(&db, 60, "");
    lake.run_ok(&[]);
    let dataset = lake.dataset_dir("background_jobs");
    assert_eq!(
        unique_ids(&dataset, "id").len(),
        599,
        "the running job waits"
    );
    assert!(completed_at_of(&dataset, 50).is_empty());

    db.exec(
        "UPDATE background_jobs SET completed_at = TIMESTAMP '2026-11-02 12:00', progress = 100
         WHERE id = 50;
         INSERT INTO background_jobs (id, job_type, progress, created_at, completed_at)
         SELECT g, 'refresh_extracts', 100, TIMESTAMP '2026-11-02' + g * interval '1 minute',
                TIMESTAMP '2026-11-02' + g * interval '1 minute'
         FROM generate_series(601, 610) g;",
    )
    .await;
    lake.run_ok(&[]);
    assert_eq!(unique_ids(&dataset, "id").len(), 610);
    assert_eq!(completed_at_of(&dataset, 50).len(), 1);
    assert!(completed_at_of(&dataset, 50)[0].is_some());
}

#[tokio::test]
async fn incomplete_job_is_replaced_by_its_final_version() {
    let db = jobs_db().await;
    let lake = jobs_lake(&db, 0, "include_incomplete_jobs = true\n");
    lake.run_ok(&[]);
    let dataset = lake.dataset_dir("background_jobs");
    assert_eq!(unique_ids(&dataset, "id").len(), 600);
    assert_eq!(
        completed_at_of(&dataset, 50),
        vec![None],
        "archived as running"
    );

    db.exec("UPDATE background_jobs SET progress = 80 WHERE id = 50")
        .await;
    lake.run_ok(&[]);
    assert_eq!(completed_at_of(&dataset, 50), vec![None], "still running");

    db.exec(
        "UPDATE background_jobs SET completed_at = TIMESTAMP '2026-11-02 12:00', progress = 100
         WHERE id = 50",
    )
    .await;
    lake.run_ok(&[]);
    assert_eq!(unique_ids(&dataset, "id").len(), 600);
    let done = completed_at_of(&dataset, 50);
    assert_eq!(done.len(), 1, "one copy: {done:?}");
    assert!(
        done[0].is_some(),
        "the final version replaced the running one"
    );

    assert!(
        rows_read_last_run(&lake) > 500,
        "re-read from the running job"
    );
    // Final now: the next run re-reads only its last batch, not from job 50 on.
    lake.run_ok(&[]);
    assert!(rows_read_last_run(&lake) <= 50);
    assert_eq!(completed_at_of(&dataset, 50).len(), 1);
}
