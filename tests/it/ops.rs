//! Operations: the lake lock, coverage gaps in `status` and the run ledger, against a
//! real PostgreSQL. Backfills and plans are in `backfill.rs`; both share the helpers here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use usagelake::load::lock::{LockScope, RunLock};
use usagelake::load::LakeLayout;

use crate::support::cli::{assert_success, usagelake, LakeFixture, PipelineSpec};
use crate::support::lake::{counts_by_partition, unique_ids};
use crate::support::pg::TestDb;

const TZ: &str = "America/New_York";
const LOCK_BUSY: &str = "another usagelake process is writing to this lake";

pub(crate) async fn demo_db(requests: i32) -> TestDb {
    let db = TestDb::new().await;
    db.load_demo(requests, "2026-11-01".parse().unwrap(), 7)
        .await;
    db
}

pub(crate) fn fixture(db: &TestDb) -> LakeFixture {
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.time_zone = TZ;
    spec.datasets = Some(r#"["http_requests"]"#);
    LakeFixture::new(&spec)
}

pub(crate) fn command(lake: &LakeFixture, args: &[&str]) -> Output {
    let pipeline = lake.pipeline.to_str().unwrap();
    let mut all = vec![args[0], pipeline];
    all.extend(&args[1..]);
    usagelake(&all, &[], &[])
}

/// Local date (pipeline zone) of `created_at`, as SQL.
pub(crate) fn local_day() -> String {
    format!("to_char((created_at AT TIME ZONE 'UTC' AT TIME ZONE '{TZ}')::date, 'YYYY-MM-DD')")
}

pub(crate) async fn source_counts(db: &TestDb) -> BTreeMap<String, i64> {
    let sql = format!(
        "SELECT {} AS d, count(*) FROM http_requests GROUP BY 1",
        local_day()
    );
    let rows = db.client.query(&sql, &[]).await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Moves every 7th request out of the source (into `held`), so the lake misses them
/// until they come back with their original ids (id order stays time order).
pub(crate) async fn hold_back(db: &TestDb) {
    db.exec("CREATE TABLE held AS SELECT * FROM http_requests WHERE id % 7 = 0; DELETE FROM http_requests WHERE id % 7 = 0;").await;
}

/// Every file under `dir` (not just Parquet) → its bytes: equal maps mean nothing changed.
pub(crate) fn all_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub(crate) fn partition_files(
    dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    all_bytes(dir)
        .into_iter()
        .filter(|(p, _)| keep(&p.parent().unwrap().file_name().unwrap().to_string_lossy()))
        .map(|(p, bytes)| {
            let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, (bytes, mtime))
        })
        .collect()
}

pub(crate) fn is_in_range(partition: &str) -> bool {
    [
        "event_date=2026-11-03",
        "event_date=2026-11-04",
        "event_date=2026-11-05",
    ]
    .contains(&partition)
}

#[tokio::test]
async fn a_held_lock_makes_a_second_run_exit_naming_the_holder_and_concurrent_runs_stay_exact() {
    let db = demo_db(8_000).await;
    let lake = fixture(&db);
    let layout = LakeLayout::new(lake.root());
    let held = RunLock::acquire(&layout, LockScope::Lake, "run", &lake.pipeline).unwrap();
    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(LOCK_BUSY), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names the holder: {err}"
    );
    let backfill = command(
        &lake,
        &["backfill", "--from", "2026-11-02", "--to", "2026-11-02"],
    );
    assert_eq!(
        backfill.status.code(),
        Some(1),
        "a backfill needs its days too"
    );
    drop(held);

    // Two real runs at once: each succeeds or refuses cleanly; the lake is exact.
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_usagelake"))
            .args(["run", lake.pipeline.to_str().unwrap(), "--quiet"])
            .env_remove("USAGELAKE_FAILPOINT")
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let mut successes = 0;
    for out in [&a, &b] {
        if out.status.success() {
            successes += 1;
        } else {
            assert_eq!(out.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&out.stderr).contains(LOCK_BUSY));
        }
    }
    assert!(successes >= 1);
    let dir = lake.dataset_dir("http_requests");
    assert_eq!(unique_ids(&dir, "id").len(), 8_000);
    assert_eq!(counts_by_partition(&dir, "id"), source_counts(&db).await);
}

#[tokio::test]
async fn a_stale_lock_of_a_dead_process_is_taken_over() {
    let db = demo_db(2_000).await;
    let lake = fixture(&db);
    let mut child = Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let locks = lake.root().join("_usagelake/locks");
    std::fs::create_dir_all(&locks).unwrap();
    let host = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let stale = locks.join("crashed.lock");
    std::fs::write(
        &stale,
        format!(r#"{{"host":"{host}","pid":{dead_pid},"started":"2026-11-01T02:15:00Z","command":"run","pipeline":"p.toml","scope":{{"kind":"lake"}}}}"#),
    )
    .unwrap();
    let out = usagelake(&["run", lake.pipeline.to_str().unwrap()], &[], &[]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale"));
    assert!(!stale.exists());
    assert_eq!(
        unique_ids(&lake.dataset_dir("http_requests"), "id").len(),
        2_000
    );
}

#[tokio::test]
async fn a_purge_past_the_watermark_is_a_gap_with_exit_3_and_a_run_warning() {
    let db = demo_db(6_000).await;
    let lake = fixture(&db);
    let late = format!("{} >= '2026-11-04'", local_day());
    db.exec(&format!("CREATE TABLE later AS SELECT * FROM http_requests WHERE {late}; DELETE FROM http_requests WHERE {late};")).await;
    lake.run_ok(&[]);
    let out = command(&lake, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Missed nights; meanwhile the source purged everything before 2026-11-05.
    db.exec("INSERT INTO http_requests SELECT * FROM later")
        .await;
    db.exec(&format!(
        "DELETE FROM http_requests WHERE {} < '2026-11-05'",
        local_day()
    ))
    .await;
    let out = command(&lake, &["status", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = &status["sources"][0]["datasets"][0];
    let watermark = requests["watermark"].as_i64().unwrap();
    assert_eq!(
        requests["purged"]["first_missing_key"].as_i64().unwrap(),
        watermark + 1
    );
    let oldest: i64 = db.scalar("SELECT min(id) FROM http_requests").await;
    assert_eq!(
        requests["purged"]["last_missing_key"].as_i64().unwrap(),
        oldest - 1
    );

    let out = command(&lake, &["run"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("WARNING tab/http_requests: the source purged ids"));
    let out = command(&lake, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the lost day stays visible as an empty day"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no rows on 1 day(s) between days with rows: 2026-11-04"),
        "{text}"
    );
}

#[tokio::test]
async fn ledger_reads_back_as_parquet_for_ok_and_failed_runs() {
    let db = demo_db(3_000).await;
    let lake = fixture(&db);
    lake.run_ok(&[]);
    let text = std::fs::read_to_string(&lake.pipeline).unwrap();
    let broken = lake.dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        text.replace(
            &format!("port = {}", db.port()),
            "port = 1\nconnect_timeout_seconds = 3",
        ),
    )
    .unwrap();
    let out = usagelake(&["run", broken.to_str().unwrap(), "--quiet"], &[], &[]);
    assert_eq!(out.status.code(), Some(1));

    let files = crate::support::lake::parquet_files(&lake.root().join("_usagelake/ledger"));
    assert_eq!(files.len(), 2, "{files:?}");
    let mut statuses = BTreeSet::new();
    for file in &files {
        assert!(crate::support::lake::partition_of(file).starts_with("run_date="));
        for batch in crate::support::lake::read_batches(file) {
            use arrow_array::cast::AsArray;
            use arrow_array::Array;
            let status = batch
                .column_by_name("status")
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_string();
            let error = batch.column_by_name("error").unwrap().as_string::<i32>();
            let dataset = batch.column_by_name("dataset").unwrap().as_string::<i32>();
            let written = batch
                .column_by_name("rows_written")
                .unwrap()
                .as_primitive::<arrow_array::types::Int64Type>();
            if status == "ok" {
                assert!(error.is_null(0));
                assert_eq!(dataset.value(0), "http_requests");
                assert_eq!(written.value(0), 3_000);
            } else {
                assert_eq!(status, "failed");
                assert!(error.value(0).contains("connect"), "{}", error.value(0));
                assert!(dataset.is_null(0));
            }
            statuses.insert(status);
        }
    }
    assert_eq!(
        statuses,
        BTreeSet::from(["failed".to_string(), "ok".to_string()])
    );
}
