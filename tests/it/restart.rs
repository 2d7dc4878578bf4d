//! Ids that restart below the watermark (repository restored from a backup, rebuilt, or
//! `TRUNCATE … RESTART IDENTITY`): detected, reported by `status`, and archived without
//! dropping anything once the operator starts a new key generation (issue 11 item 3).

use std::collections::BTreeSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};

use crate::ops::{command, demo_db, fixture};
use crate::support::cli::assert_success;
use crate::support::lake::{parquet_files, read_batches};
use crate::support::TestDb;

/// (id, created_at µs) of every row in the lake's http_requests, asserting none twice.
fn lake_events(dataset: &std::path::Path) -> BTreeSet<(i64, i64)> {
    let mut seen = BTreeSet::new();
    for file in parquet_files(dataset) {
        for batch in read_batches(&file) {
            let ids = batch
                .column_by_name("id")
                .unwrap()
                .as_primitive::<Int64Type>();
            let times = batch
                .column_by_name("created_at")
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>();
            for i in 0..batch.num_rows() {
                let event = (ids.value(i), times.value(i));
                assert!(seen.insert(event), "event {event:?} archived twice");
            }
        }
    }
    seen
}

async fn source_events(db: &TestDb) -> BTreeSet<(i64, i64)> {
    db.client
        .query(
            "SELECT id, floor(extract(epoch FROM created_at) * 1000000)::int8 FROM http_requests",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn ids_restarting_below_the_watermark_stop_the_run_until_a_new_key_generation() {
    let db = demo_db(3_000).await;
    let lake = fixture(&db);
    lake.run_ok(&[]);
    let dataset = lake.dataset_dir("http_requests");
    let archived = lake_events(&dataset);
    assert_eq!(archived, source_events(&db).await);
    let max_id = archived.iter().map(|e| e.0).max().unwrap();

    // Restored from a backup taken at id 2000; new events since reuse ids 2001..=2100,
    // which the lake already holds for other (older) events.
    assert!(max_id > 2100, "the demo's ids run past the restore point");
    db.exec(
        "DELETE FROM http_requests WHERE id > 2000;
         INSERT INTO http_requests (id, controller, action, created_at)
         SELECT g, 'views', 'show', TIMESTAMP '2026-11-09 10:00' + g * interval '1 second'
         FROM generate_series(2001, 2100) g",
    )
    .await;
    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1), "the run must stop");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("restarted") && stderr.contains("--new-key-generation http_requests"),
        "{stderr}"
    );
    assert_eq!(lake_events(&dataset), archived, "nothing written meanwhile");
    let status = command(&lake, &["status"]);
    assert_eq!(
        status.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("restarted"));

    // The operator's way on: a new key generation keeps colliding ids apart.
    assert_success(&lake.run(&["--new-key-generation", "http_requests"]));
    let after = lake_events(&dataset);
    let expected: BTreeSet<(i64, i64)> =
        archived.union(&source_events(&db).await).copied().collect();
    assert_eq!(after, expected, "old and new events, each exactly once");
    assert_eq!(after.len(), 3_000 + 100);

    // Later runs go on normally in the new generation.
    db.exec(
        "INSERT INTO http_requests (id, controller, action, created_at)
         SELECT g, 'views', 'show', TIMESTAMP '2026-11-09 12:00' + g * interval '1 second'
         FROM generate_series(2101, 2110) g",
    )
    .await;
    lake.run_ok(&[]);
    assert_eq!(lake_events(&dataset).len(), 3_110);
    let status = command(&lake, &["status"]);
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("restarted"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}

#[tokio::test]
async fn reused_ids_above_the_watermark_are_detected_by_their_times() {
    let db = demo_db(1_000).await;
    let lake = fixture(&db);
    lake.run_ok(&[]);
    // Rebuilt repository whose new events already passed the old highest id.
    db.exec(
        "TRUNCATE http_requests;
         INSERT INTO http_requests (id, controller, action, created_at)
         SELECT g, 'views', 'show', TIMESTAMP '2026-11-09 10:00' + g * interval '1 second'
         FROM generate_series(1, 1500) g",
    )
    .await;
    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("restarted"));
}
