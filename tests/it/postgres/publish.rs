//! A `postgres` run never holds a source transaction while the lake publishes (merges
//! into existing partitions, renames, fsyncs): each table is read into staged files in
//! its own snapshot transaction, the transaction ends, then the rows are published and
//! only then is the table's state saved. Like the Tableau kind's
//! `snapshot::no_snapshot_transaction_is_open_while_the_lake_publishes`: the run pauses
//! where a table starts publishing and the test looks at the server from outside.

use super::PgLake;
use crate::support::cli::assert_success;
use crate::support::lake::total_rows;
use crate::support::wait::PausedRun;

/// A table read by id and one read by a timestamp watermark (both ways of reading).
const SETUP: &str = "
CREATE TABLE by_id (id bigserial PRIMARY KEY, at timestamptz, what text);
CREATE TABLE by_time (at timestamptz, what text, ref integer PRIMARY KEY);
INSERT INTO by_id (at, what)
  SELECT '2026-01-10 08:00+00'::timestamptz + n * interval '1 hour', 'e' || n
  FROM generate_series(1, 30) n;
INSERT INTO by_time (at, what, ref)
  SELECT '2026-01-10 08:00+00'::timestamptz + n * interval '1 hour', 'e' || n, n
  FROM generate_series(1, 20) n;
";

const TABLES: &str = r#"
[[sources.tables]]
relation = "by_id"
incremental_by = "id"
partition_by = "at"

[[sources.tables]]
relation = "by_time"
incremental_by = "at"
key = "ref"
partition_by = "at"
"#;

/// The states of this test database's usagelake sessions that are inside a transaction.
async fn open_transactions(lake: &PgLake) -> Vec<String> {
    lake.db
        .client
        .query(
            "SELECT state FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'usagelake' AND xact_start IS NOT NULL",
            &[&lake.db.dbname()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect()
}

/// The source's state file (`{}` before any table saved its state).
fn state(lake: &PgLake) -> serde_json::Value {
    let path = lake.dir.path().join("lake/_usagelake/state/app.json");
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => serde_json::json!({}),
    }
}

#[tokio::test]
async fn no_transaction_is_open_while_the_lake_publishes_and_state_follows_the_publish() {
    // The first table's publish, then the second's (the first's is done and saved).
    for (hit, saved_before) in [(1, vec![]), (2, vec!["by_id"])] {
        let lake = PgLake::new(SETUP, TABLES).await;
        let paused = PausedRun::start(&lake.pipeline, "publish_started", Some(hit));

        let open = open_transactions(&lake).await;
        let state_while_publishing = state(&lake);
        let out = paused.resume();
        assert!(
            open.is_empty(),
            "publish {hit}: the run held a transaction on the source while publishing: {open:?}"
        );
        // Crash safety: a table's state is saved only after its rows are published.
        let saved: Vec<&str> = ["by_id", "by_time"]
            .into_iter()
            .filter(|d| !state_while_publishing["datasets"][*d].is_null())
            .collect();
        assert_eq!(
            saved, saved_before,
            "publish {hit}: {state_while_publishing:#}"
        );
        assert_success(&out);
        assert_eq!(total_rows(&lake.dataset("by_id")), 30);
        assert_eq!(total_rows(&lake.dataset("by_time")), 20);
        let state = state(&lake);
        assert_eq!(state["datasets"]["by_id"]["rows_total"].as_u64(), Some(30));
        assert_eq!(
            state["datasets"]["by_time"]["rows_total"].as_u64(),
            Some(20)
        );
    }
}
