//! End-to-end runs of the binary against a real PostgreSQL holding the demo repository.

use std::collections::BTreeMap;

use crate::support::cli::{assert_success, LakeFixture, PipelineSpec};
use crate::support::lake::{counts_by_partition, fingerprint, parquet_files, unique_ids};
use crate::support::pg::TestDb;

const TZ: &str = "America/New_York";

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

async fn demo_db(requests: i32) -> TestDb {
    let db = TestDb::new().await;
    db.load_demo(requests, day("2026-11-01"), 7).await;
    db
}

fn fixture(db: &TestDb, datasets: Option<&str>) -> LakeFixture {
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.time_zone = TZ;
    spec.datasets = datasets;
    LakeFixture::new(&spec)
}

/// The source's rows per local date, computed by Postgres with explicit zones (never the
/// server's TimeZone setting, which the harness deliberately sets to something else).
async fn source_counts(db: &TestDb, table: &str) -> BTreeMap<String, i64> {
    let sql = format!(
        "SELECT to_char((created_at AT TIME ZONE 'UTC' AT TIME ZONE '{TZ}')::date, 'YYYY-MM-DD') AS d, count(*)
         FROM {table} GROUP BY 1 ORDER BY 1"
    );
    db.client
        .query(&sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn first_run_matches_source_and_second_run_changes_nothing() {
    let db = demo_db(20_000).await;
    let lake = fixture(&db, None);
    lake.run_ok(&[]);

    let requests = lake.dataset_dir("http_requests");
    assert_eq!(
        counts_by_partition(&requests, "id"),
        source_counts(&db, "http_requests").await
    );
    assert_eq!(unique_ids(&requests, "id").len(), 20_000);
    let events = lake.dataset_dir("historical_events");
    assert_eq!(
        counts_by_partition(&events, "id"),
        source_counts(&db, "historical_events").await
    );

    let before = fingerprint(&lake.root().join("tab"));
    let events_before = fingerprint(&events);
    lake.run_ok(&[]);
    let after = fingerprint(&lake.root().join("tab"));
    // Raw event partitions are untouched; only today's snapshot files are replaced (and the
    // derived datasets built from them: requests_enriched, logins, usage_daily).
    let is_raw_event = |p: &std::path::Path| {
        let p = p.to_string_lossy();
        p.contains("event_date=")
            && !["requests_enriched", "logins", "usage_daily"]
                .iter()
                .any(|d| p.contains(&format!("/{d}/")))
    };
    let event_files = |fp: &BTreeMap<std::path::PathBuf, _>| {
        fp.keys()
            .filter(|p| is_raw_event(p))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(event_files(&before), event_files(&after));
    assert_eq!(events_before, fingerprint(&events));
    for (path, stamp) in &before {
        if is_raw_event(path) {
            assert_eq!(
                after.get(path),
                Some(stamp),
                "{} was rewritten",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn late_committed_lower_id_is_picked_up() {
    let db = demo_db(5_000).await;
    let lake = fixture(&db, Some(r#"["http_requests"]"#));
    // Hold back one id in the recent past: it "commits" after the first run.
    let late_id: i64 = db
        .client
        .query_one(
            "SELECT id FROM http_requests ORDER BY id DESC OFFSET 10 LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    db.exec(&format!("CREATE TABLE held AS SELECT * FROM http_requests WHERE id = {late_id}; DELETE FROM http_requests WHERE id = {late_id};")).await;
    lake.run_ok(&[]);
    let dir = lake.dataset_dir("http_requests");
    assert!(!unique_ids(&dir, "id").contains(&late_id));

    db.exec("INSERT INTO http_requests SELECT * FROM held")
        .await;
    lake.run_ok(&[]);
    let ids = unique_ids(&dir, "id");
    assert!(ids.contains(&late_id), "late row {late_id} missing");
    assert_eq!(ids.len(), 5_000);
}

#[tokio::test]
async fn source_purge_never_shrinks_the_archive() {
    let db = demo_db(5_000).await;
    let lake = fixture(&db, Some(r#"["http_requests", "historical_events"]"#));
    lake.run_ok(&[]);
    let dir = lake.dataset_dir("http_requests");
    let before = counts_by_partition(&dir, "id");
    // Tableau's cleanup keeps ~7 days; keep only the last 2 of the demo week.
    db.exec("DELETE FROM http_requests WHERE created_at < TIMESTAMP '2026-11-06 00:00:00'")
        .await;
    db.exec("DELETE FROM historical_events WHERE created_at < TIMESTAMP '2026-11-06 00:00:00'")
        .await;
    lake.run_ok(&[]);
    assert_eq!(counts_by_partition(&dir, "id"), before);
    assert_eq!(unique_ids(&dir, "id").len(), 5_000);
}

#[tokio::test]
async fn event_dates_follow_the_pipeline_zone_across_dst() {
    let db = TestDb::new().await;
    db.exec(include_str!("../../sql/demo/tableau_schema.sql"))
        .await;
    db.exec(
        "INSERT INTO http_requests (id, created_at, action) VALUES
           (1, '2026-03-08 04:59:00', 'a'),  -- 23:59 EST on 03-07
           (2, '2026-03-08 06:30:00', 'a'),  -- 01:30 EST
           (3, '2026-03-08 07:30:00', 'a'),  -- 03:30 EDT
           (4, '2026-11-01 05:30:00', 'a'),  -- 01:30 EDT
           (5, '2026-11-01 06:30:00', 'a'),  -- 01:30 EST
           (6, '2026-11-02 04:59:59', 'a'),  -- 23:59:59 EST on 11-01
           (7, '2026-11-02 05:00:00', 'a')   -- 00:00 EST on 11-02",
    )
    .await;
    let lake = fixture(&db, Some(r#"["http_requests"]"#));
    lake.run_ok(&[]);
    let got: BTreeMap<String, Vec<i64>> =
        crate::support::lake::ids_by_partition(&lake.dataset_dir("http_requests"), "id")
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v)
            })
            .collect();
    let want: BTreeMap<String, Vec<i64>> = [
        ("2026-03-07", vec![1]),
        ("2026-03-08", vec![2, 3]),
        ("2026-11-01", vec![4, 5, 6]),
        ("2026-11-02", vec![7]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn no_secret_column_or_value_reaches_the_lake() {
    let db = demo_db(2_000).await;
    let lake = fixture(&db, None);
    lake.run_ok(&[]);
    let secrets = [
        "hashed_password",
        "salt",
        "keychain",
        "protected_password",
        "embedded",
        "hashed_secret",
    ];
    let files = parquet_files(&lake.root());
    assert!(files.len() > 10);
    for file in &files {
        let batches = crate::support::lake::read_batches(file);
        if let Some(batch) = batches.first() {
            for field in batch.schema().fields() {
                assert!(
                    !secrets.contains(&field.name().as_str()),
                    "{} in {}",
                    field.name(),
                    file.display()
                );
            }
        }
    }
    // The demo's fake secret values all carry this marker; no byte of any file may hold it.
    let marker = "usagelake-fake-secret";
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "secret in {}",
            file.display()
        );
    }
}

#[tokio::test]
async fn date_range_rerun_adds_nothing_and_keeps_the_watermark() {
    let db = demo_db(5_000).await;
    let lake = fixture(&db, Some(r#"["http_requests"]"#));
    lake.run_ok(&[]);
    let state_path = lake.root().join("_usagelake/state/tab.json");
    let state_before = std::fs::read_to_string(&state_path).unwrap();
    let dir = lake.dataset_dir("http_requests");
    let fp = fingerprint(&dir);
    let out = lake.run(&["--from", "2026-11-03", "--to", "2026-11-04"]);
    assert_success(&out);
    assert_eq!(fingerprint(&dir), fp);
    assert_eq!(std::fs::read_to_string(&state_path).unwrap(), state_before);
}

#[tokio::test]
async fn check_connect_reports_every_dataset_readable() {
    let db = demo_db(1_000).await;
    let lake = fixture(&db, None);
    let out = crate::support::cli::usagelake(
        &["check", lake.pipeline.to_str().unwrap(), "--connect"],
        &[],
        &[],
    );
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for dataset in usagelake::sources::tableau::tables::DATASETS {
        assert!(
            stdout.contains(&format!("tab/{dataset}: ok")),
            "{dataset} not ok:\n{stdout}"
        );
    }
    // Nothing is written by a check.
    assert!(!lake.root().exists());
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let db = demo_db(1_000).await;
    let lake = fixture(&db, Some(r#"["http_requests"]"#));
    let out = crate::support::cli::usagelake(
        &[
            "run",
            lake.pipeline.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[],
        &[],
    );
    assert_success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value.get("level").is_some(), "{line}");
    }
}
