//! The snapshot transaction bounds itself (issue 11 item 12): a run stuck between
//! statements (a hung shared drive under the lake) must not hold its share locks, which
//! block Tableau's own cleanup TRUNCATE, for longer than `idle_in_transaction_timeout`.

use std::time::{Duration, Instant};

use usagelake::config::SslMode;
use usagelake::postgres::{
    ColumnSpec, ConnectOptions, PgSession, PgType, RowRange, TableKind, TableSpec,
};

use crate::support::pg::TestDb;

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
