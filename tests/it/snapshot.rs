//! The snapshot transaction bounds itself (issue 11 item 12): a run stuck between
//! statements (a hung shared drive under the lake) must not hold its share locks, which
//! block Tableau's own cleanup TRUNCATE, for longer than `idle_in_transaction_timeout`,
//! and a run never holds it while the lake writer publishes.

use std::time::{Duration, Instant};

use usagelake::config::SslMode;
use usagelake::postgres::{
    ColumnSpec, ConnectOptions, PgSession, PgType, RowRange, TableKind, TableSpec,
};

use crate::support::cli::{assert_success, LakeFixture, PipelineSpec};
use crate::support::lake::unique_ids;
use crate::support::pg::TestDb;
use crate::support::wait::PausedRun;

#[tokio::test]
async fn an_idle_snapshot_is_ended_by_the_server_and_releases_its_locks() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE http_requests (id bigint PRIMARY KEY, created_at timestamp)")
        .await;
    let opts = ConnectOptions {
        host: db.host().into(),
        port: db.port(),
        database: db.dbname().into(),
        user: "postgres".into(),
        password: None,
        sslmode: SslMode::Disable,
        root_cert_file: None,
        connect_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(3600),
        idle_in_transaction_timeout: Duration::from_secs(1),
        application_name: "usagelake-idle-test".into(),
    };
    let mut session = PgSession::connect(&opts).await.unwrap();
    session.begin_snapshot().await.unwrap();
    // Reading the table takes the share lock a COPY holds until the transaction ends.
    let spec = TableSpec {
        dataset: "http_requests".into(),
        schema: "public".into(),
        table: "http_requests".into(),
        columns: vec![ColumnSpec {
            name: "id".into(),
            pg_type: PgType::Int8,
            is_required: true,
        }],
        kind: TableKind::Snapshot,
        is_optional: false,
        row_filter: None,
    };
    let count = session
        .count_rows(
            &session.resolve(&spec).await.unwrap().unwrap(),
            &RowRange::All,
        )
        .await
        .unwrap();
    assert_eq!(count, 0);

    // The client now "waits on the file system": the server must end the session.
    let is_gone = || async {
        let n: i64 = db
            .client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name = 'usagelake-idle-test'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        n == 0
    };
    // Polls a condition with a deadline, as `support::wait::wait_for` does for sync code.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !is_gone().await {
        assert!(
            Instant::now() < deadline,
            "the idle snapshot transaction kept its session and locks"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(session);
}

/// Issue 11 item 12: the run ends its snapshot transaction before the lake writer
/// publishes (merges into existing partitions, renames, fsyncs), so a slow or hung drive
/// never keeps locks on the repository. The run pauses where the first dataset starts
/// publishing and the test looks at the repository's sessions from outside.
#[tokio::test]
async fn no_snapshot_transaction_is_open_while_the_lake_publishes() {
    let db = TestDb::new().await;
    db.load_demo(2_000, "2026-11-01".parse().unwrap(), 3).await;
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.datasets = Some(r#"["http_requests", "users"]"#);
    let lake = LakeFixture::new(&spec);
    let paused = PausedRun::start(&lake.pipeline, "publish_started", None);

    let open: Vec<String> = db
        .client
        .query(
            "SELECT state FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'usagelake' AND xact_start IS NOT NULL",
            &[&db.dbname()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
        .collect();
    let out = paused.resume();
    assert!(
        open.is_empty(),
        "the run held a transaction on the repository while publishing: {open:?}"
    );
    assert_success(&out);
    assert_eq!(
        unique_ids(&lake.dataset_dir("http_requests"), "id").len(),
        2_000
    );
}
