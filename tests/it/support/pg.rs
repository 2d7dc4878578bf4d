//! A fresh PostgreSQL database per test.
//!
//! With `USAGELAKE_TEST_PG_URL` (a server URL, e.g. `postgres://postgres@localhost:5432/postgres`)
//! every test gets a new database `t_<pid>_<n>` in that server. Without it, the first
//! test to ask starts ONE private cluster for the whole test binary; it lives in a
//! static (never dropped), so the cluster's reaper stops it when the binary exits.
//!
//! Clients are never shared between tests: each `#[tokio::test]` has its own runtime and
//! a connection task spawned on one runtime dies with it.

#![allow(dead_code)]

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use chrono::NaiveDate;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};
use usagelake::pgcluster::{ClusterOptions, PgCluster};

pub const ENV_URL: &str = "USAGELAKE_TEST_PG_URL";

pub const DEMO_SCHEMA_SQL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sql/demo/tableau_schema.sql"
));
pub const DEMO_DATA_SQL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sql/demo/tableau_data.sql"
));
pub const DEMO_ACTIVITY_SQL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sql/demo/tableau_activity.sql"
));
pub const BENCH_SQL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/sql/bench/http_requests.sql"
));

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The binary-wide private cluster. The error is kept as text so every test that asks
/// after a failed start reports the same cause instead of retrying.
pub fn private_cluster() -> &'static PgCluster {
    static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();
    let cluster = CLUSTER
        .get_or_init(|| PgCluster::start(ClusterOptions::ephemeral()).map_err(|e| error_chain(&e)));
    match cluster {
        Ok(cluster) => cluster,
        Err(e) => panic!("starting the private test cluster failed: {e}"),
    }
}

pub struct TestDb {
    /// URL of this test's own database.
    pub url: String,
    pub name: String,
    pub client: Client,
    host: String,
    port: u16,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            DB_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let url = match std::env::var(ENV_URL) {
            Ok(server_url) => {
                let admin = connect(&server_url).await;
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap_or_else(|e| {
                        panic!("creating database {name} in {ENV_URL}: {}", error_chain(&e))
                    });
                with_database(&server_url, &name)
            }
            Err(_) => {
                let cluster = private_cluster();
                cluster
                    .create_database(&name)
                    .await
                    .unwrap_or_else(|e| panic!("{}", error_chain(&e)));
                cluster.url(&name)
            }
        };
        let config = tokio_postgres::Config::from_str(&url).expect("test database URL parses");
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let client = connect(&url).await;
        TestDb {
            url,
            name,
            client,
            host,
            port,
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dbname(&self) -> &str {
        &self.name
    }

    /// Runs statements with the simple query protocol; panics with the server's message.
    pub async fn exec(&self, sql: &str) {
        if let Err(e) = self.client.batch_execute(sql).await {
            panic!(
                "SQL failed in {}: {}\n--- at ---\n{}",
                self.name,
                error_chain(&e),
                error_line(&e, sql)
            );
        }
    }

    /// Creates the Tableau-like repository tables and fills them deterministically.
    pub async fn load_demo(&self, n_requests: i32, first_day: NaiveDate, days: i32) {
        self.exec(DEMO_SCHEMA_SQL).await;
        self.exec(DEMO_DATA_SQL).await;
        self.exec(DEMO_ACTIVITY_SQL).await;
        self.exec(&format!(
            "SELECT usagelake_demo_generate({n_requests}, DATE '{first_day}', {days})"
        ))
        .await;
    }

    /// A single-value query, for assertions.
    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'a> tokio_postgres::types::FromSql<'a>,
    {
        match self.client.query_one(sql, &[]).await {
            Ok(row) => row.get(0),
            Err(e) => panic!("query failed in {}: {}\n{sql}", self.name, error_chain(&e)),
        }
    }
}

/// Connects and drives the connection on the calling test's runtime.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {}", error_chain(&e)));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Replaces the database of a `postgres://` URL, keeping credentials and query options.
pub fn with_database(url: &str, database: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        panic!("{ENV_URL} must be a postgres:// URL, got a key=value string");
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let query = rest[authority_end..]
        .find('?')
        .map(|i| &rest[authority_end + i..])
        .unwrap_or("");
    format!(
        "{}{}/{}{}",
        &url[..scheme_end],
        &rest[..authority_end],
        database,
        query
    )
}

/// Display of an error with its sources; for a server error, the server's message, detail
/// and context (tokio_postgres's own Display just says "db error").
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        if let Some(db) = e.downcast_ref::<tokio_postgres::error::DbError>() {
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" (detail: {detail})"));
            }
            if let Some(context) = db.where_() {
                text.push_str(&format!(" (where: {context})"));
            }
        }
        source = e.source();
    }
    text
}

/// "line N: <text>" of the statement text a server error points into.
fn error_line(error: &tokio_postgres::Error, sql: &str) -> String {
    match error.as_db_error().and_then(|db| db.position()) {
        Some(tokio_postgres::error::ErrorPosition::Original(pos)) => {
            let offset: usize = sql.chars().take(*pos as usize).map(char::len_utf8).sum();
            let line = sql[..offset.min(sql.len())].lines().count().max(1);
            format!("line {line}: {}", sql.lines().nth(line - 1).unwrap_or(""))
        }
        _ => truncate(sql, 2000).to_string(),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[test]
fn with_database_keeps_credentials_and_options() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "t_1"),
        "postgres://u:p@h:5432/t_1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t_1"), "postgres://h/t_1");
    assert_eq!(
        with_database("postgresql://h:1?x=y", "d"),
        "postgresql://h:1/d?x=y"
    );
}
