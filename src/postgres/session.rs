//! One connection to a source database and its snapshot transaction.
//!
//! The snapshot is a plain `BEGIN … REPEATABLE READ, READ ONLY` sent with
//! `batch_execute` on the client itself (no `Transaction<'a>` borrow), so the session can
//! be shared by `&self` between discovery, bounds and several COPY streams in turn.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use arrow_array::RecordBatch;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, CopyOutStream, NoTls};

use super::copy_binary::CopyDecoder;
use super::discover::{self, Catalog, CatalogColumn, DISCOVER_COLUMNS_SQL};
use super::error::ExtractError;
use super::spec::{ResolvedTable, TableSpec};
use super::statement::{self, RowRange, Statement};
use super::tls;
use crate::config::{Secret, SslMode};

const BEGIN_SNAPSHOT_SQL: &str = include_str!("../../sql/extract/begin_snapshot.sql");
const END_SNAPSHOT_SQL: &str = include_str!("../../sql/extract/end_snapshot.sql");
/// `Query.table` for statements that concern the session, not a table.
const SESSION: &str = "<session>";

/// Where and how to connect. `Debug` prints the password as `***` (see [`Secret`]).
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Host name, IP, or a Unix socket directory (starting with `/`).
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<Secret>,
    pub sslmode: SslMode,
    /// PEM certificate(s) `verify-ca` / `verify-full` trust (see `tls`).
    pub root_cert_file: Option<std::path::PathBuf>,
    pub connect_timeout: Duration,
    /// Longest statement (a whole table's COPY) in the snapshot transaction.
    pub statement_timeout: Duration,
    /// Longest the snapshot transaction may sit idle (the client writing the lake):
    /// past it the server ends the session and releases its locks.
    pub idle_in_transaction_timeout: Duration,
    /// Shown in `pg_stat_activity`, so a DBA can tell who holds the snapshot.
    pub application_name: String,
}

/// A connected source database. Methods take `&self`: statements run one at a time on
/// the one connection, inside the snapshot once [`PgSession::begin_snapshot`] ran.
pub struct PgSession {
    client: Client,
    connection: JoinHandle<()>,
    user: String,
    is_in_snapshot: bool,
    /// (statement, idle in transaction) limits of the snapshot transaction.
    timeouts: (Duration, Duration),
}

impl PgSession {
    pub async fn connect(opts: &ConnectOptions) -> Result<PgSession, ExtractError> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&opts.host)
            .port(opts.port)
            .dbname(&opts.database)
            .user(&opts.user)
            .connect_timeout(opts.connect_timeout)
            .application_name(&opts.application_name);
        if let Some(password) = &opts.password {
            config.password(password.expose());
        }
        let connect_error = |source| ExtractError::Connect {
            host: opts.host.clone(),
            port: opts.port,
            database: opts.database.clone(),
            user: opts.user.clone(),
            source,
        };
        let (client, connection) = match opts.sslmode {
            SslMode::Disable => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                let (client, connection) = config.connect(NoTls).await.map_err(connect_error)?;
                (client, spawn_connection(connection))
            }
            // prefer needs a TLS connector too: without one tokio-postgres never sends
            // the SSL request and always speaks plain text. With one it asks first and
            // falls back to plain text only when the server declines.
            mode => {
                config.ssl_mode(match mode {
                    SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                    _ => tokio_postgres::config::SslMode::Require,
                });
                let connector = tls::connector(mode, opts.root_cert_file.as_deref())?;
                let (client, connection) =
                    config.connect(connector).await.map_err(connect_error)?;
                (client, spawn_connection(connection))
            }
        };
        tracing::debug!(host = %opts.host, port = opts.port, database = %opts.database, "connected to PostgreSQL");
        Ok(PgSession {
            client,
            connection,
            user: opts.user.clone(),
            is_in_snapshot: false,
            timeouts: (opts.statement_timeout, opts.idle_in_transaction_timeout),
        })
    }

    /// Whether this session is encrypted, as the server sees it (`pg_stat_ssl`).
    pub async fn is_encrypted(&self) -> Result<bool, ExtractError> {
        let row = self
            .client
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl \
                 WHERE pid = pg_catalog.pg_backend_pid()), false)",
                &[],
            )
            .await
            .map_err(|source| ExtractError::Query {
                table: SESSION.into(),
                sql_name: "pg_stat_ssl",
                source,
            })?;
        row.try_get(0).map_err(|source| ExtractError::Query {
            table: SESSION.into(),
            sql_name: "pg_stat_ssl",
            source,
        })
    }

    /// BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY (`sql/extract/begin_snapshot.sql`):
    /// every later read sees one snapshot, and long COPYs are not cancelled by timeouts.
    pub async fn begin_snapshot(&mut self) -> Result<(), ExtractError> {
        let sql = BEGIN_SNAPSHOT_SQL
            .replace(
                "{statement_timeout_ms}",
                &self.timeouts.0.as_millis().to_string(),
            )
            .replace(
                "{idle_in_transaction_timeout_ms}",
                &self.timeouts.1.as_millis().to_string(),
            );
        self.client
            .batch_execute(&sql)
            .await
            .map_err(|source| ExtractError::Query {
                table: SESSION.into(),
                sql_name: "begin_snapshot.sql",
                source,
            })?;
        self.is_in_snapshot = true;
        Ok(())
    }

    /// Ends the snapshot (if any) and closes the connection.
    pub async fn finish(self) -> Result<(), ExtractError> {
        let PgSession {
            client,
            connection,
            is_in_snapshot,
            ..
        } = self;
        let ended = if is_in_snapshot {
            client
                .batch_execute(END_SNAPSHOT_SQL)
                .await
                .map_err(|source| ExtractError::Query {
                    table: SESSION.into(),
                    sql_name: "end_snapshot.sql",
                    source,
                })
        } else {
            Ok(())
        };
        // Dropping the client sends Terminate; the connection task then ends by itself.
        drop(client);
        let _ = connection.await;
        ended
    }

    /// Matches `spec` against the live catalog (`sql/extract/discover_columns.sql`).
    /// Ok(None) when the table is absent and `spec.is_optional`.
    pub async fn resolve(&self, spec: &TableSpec) -> Result<Option<ResolvedTable>, ExtractError> {
        discover::reject_secret_columns(spec)?;
        let catalog = self.describe(&spec.schema, &spec.table).await?;
        discover::match_spec(spec, catalog, &self.user)
    }

    /// What the catalog says about `schema.table` (a table, view, materialized view,
    /// partitioned or foreign table): absent, not readable, or its columns in order.
    pub async fn describe(&self, schema: &str, table: &str) -> Result<Catalog, ExtractError> {
        let query_error = |source| ExtractError::Query {
            table: table.to_owned(),
            sql_name: "discover_columns.sql",
            source,
        };
        let rows = self
            .client
            .query(DISCOVER_COLUMNS_SQL, &[&schema, &table])
            .await
            .map_err(query_error)?;
        let catalog = match rows.first() {
            None => Catalog::Absent,
            Some(row) if !row.try_get::<_, bool>("can_select").map_err(query_error)? => {
                Catalog::NoPrivilege
            }
            Some(_) => {
                let mut columns = Vec::with_capacity(rows.len());
                for row in &rows {
                    // NULL name: the table exists but has no columns.
                    let Some(name) = row
                        .try_get::<_, Option<String>>("column_name")
                        .map_err(query_error)?
                    else {
                        continue;
                    };
                    columns.push(CatalogColumn {
                        name,
                        type_oid: row.try_get("type_oid").map_err(query_error)?,
                        type_name: row.try_get("type_name").map_err(query_error)?,
                    });
                }
                Catalog::Columns(columns)
            }
        };
        Ok(catalog)
    }

    /// Streams `table`'s rows in `range` as batches of at most `batch_rows` rows with
    /// schema `table.schema`. Rows come in server order (no ORDER BY: it would cost a
    /// sort or index scan on the busiest table, and partitions are cut by time anyway).
    pub fn copy_batches<'a>(
        &'a self,
        table: &'a ResolvedTable,
        range: &RowRange,
        batch_rows: usize,
    ) -> impl Stream<Item = Result<RecordBatch, ExtractError>> + Send + 'a {
        let (sql, startup_error) = match statement::copy_sql(table, range) {
            Ok(statement) => (statement.sql, None),
            Err(error) => (String::new(), Some(error)),
        };
        let state = CopyState {
            client: &self.client,
            table,
            sql,
            startup_error,
            stream: None,
            decoder: CopyDecoder::new(table, batch_rows),
            ready: VecDeque::new(),
            is_done: false,
        };
        stream::unfold(state, |mut state| async move {
            let item = state.next_batch().await?;
            if item.is_err() {
                state.is_done = true;
            }
            Some((item, state))
        })
    }

    /// min/max of an event table's key under its row filter; None when it has no rows.
    pub async fn key_bounds(
        &self,
        table: &ResolvedTable,
    ) -> Result<(Option<i64>, Option<i64>), ExtractError> {
        let statement = statement::key_bounds_sql(table)?;
        let row = self.query_one(table, &statement).await?;
        let get = |i| {
            row.try_get::<_, Option<i64>>(i)
                .map_err(|source| query_error(table, &statement, source))
        };
        Ok((get(0)?, get(1)?))
    }

    /// Smallest key matching the event table's `pending` predicate; None when nothing is
    /// pending or the table has no such predicate.
    pub async fn min_pending_key(
        &self,
        table: &ResolvedTable,
    ) -> Result<Option<i64>, ExtractError> {
        let Some(statement) = statement::min_pending_sql(table)? else {
            return Ok(None);
        };
        let row = self.query_one(table, &statement).await?;
        row.try_get(0)
            .map_err(|source| query_error(table, &statement, source))
    }

    /// Event time (µs, UTC) of the first row whose key is `>= key`; None above the last
    /// row. One primary-key probe (`sql/extract/time_at_key.sql`).
    pub async fn time_at_key(
        &self,
        table: &ResolvedTable,
        key: i64,
    ) -> Result<Option<i64>, ExtractError> {
        let statement = statement::time_at_key_sql(table, key)?;
        tracing::trace!(table = %table.spec.table, key, "time_at_key");
        let row = self
            .client
            .query_opt(&statement.sql, &[])
            .await
            .map_err(|source| query_error(table, &statement, source))?;
        match row {
            None => Ok(None),
            Some(row) => row
                .try_get(0)
                .map_err(|source| query_error(table, &statement, source)),
        }
    }

    /// Event time (µs, UTC) of the row whose key is exactly `key`; None if there is none.
    pub async fn time_of_key(
        &self,
        table: &ResolvedTable,
        key: i64,
    ) -> Result<Option<i64>, ExtractError> {
        let statement = statement::time_of_key_sql(table, key)?;
        let row = self
            .client
            .query_opt(&statement.sql, &[])
            .await
            .map_err(|source| query_error(table, &statement, source))?;
        match row {
            None => Ok(None),
            Some(row) => row
                .try_get(0)
                .map_err(|source| query_error(table, &statement, source)),
        }
    }

    /// Rows `copy_batches(table, range, …)` returns in this snapshot.
    pub async fn count_rows(
        &self,
        table: &ResolvedTable,
        range: &RowRange,
    ) -> Result<i64, ExtractError> {
        let statement = statement::count_sql(table, range)?;
        let row = self.query_one(table, &statement).await?;
        row.try_get(0)
            .map_err(|source| query_error(table, &statement, source))
    }

    async fn query_one(
        &self,
        table: &ResolvedTable,
        statement: &Statement,
    ) -> Result<tokio_postgres::Row, ExtractError> {
        tracing::debug!(table = %table.spec.table, sql = statement.name, "query");
        self.client
            .query_one(&statement.sql, &[])
            .await
            .map_err(|source| query_error(table, statement, source))
    }
}

fn query_error(
    table: &ResolvedTable,
    statement: &Statement,
    source: tokio_postgres::Error,
) -> ExtractError {
    ExtractError::Query {
        table: table.spec.table.clone(),
        sql_name: statement.name,
        source,
    }
}

/// Drives the connection's socket on the runtime; errors end up in the client's next
/// call, so here they are only logged.
fn spawn_connection<F>(connection: F) -> JoinHandle<()>
where
    F: Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "PostgreSQL connection ended with an error");
        }
    })
}

/// State of one `copy_batches` stream: COPY starts on first poll, chunks are decoded as
/// they arrive, and finished batches queue in `ready` (one chunk can complete several).
struct CopyState<'a> {
    client: &'a Client,
    table: &'a ResolvedTable,
    sql: String,
    /// A range that cannot be rendered is reported as the stream's first item.
    startup_error: Option<ExtractError>,
    stream: Option<Pin<Box<CopyOutStream>>>,
    decoder: CopyDecoder,
    ready: VecDeque<RecordBatch>,
    is_done: bool,
}

impl CopyState<'_> {
    /// None: the stream is over (after the last batch or after an error).
    async fn next_batch(&mut self) -> Option<Result<RecordBatch, ExtractError>> {
        loop {
            if let Some(batch) = self.ready.pop_front() {
                return Some(Ok(batch));
            }
            if self.is_done {
                return None;
            }
            if let Some(error) = self.startup_error.take() {
                self.is_done = true;
                return Some(Err(error));
            }
            let copy_error = |source| ExtractError::Copy {
                table: self.table.spec.table.clone(),
                source,
            };
            let stream = match &mut self.stream {
                Some(stream) => stream,
                None => {
                    tracing::debug!(table = %self.table.spec.table, "COPY start");
                    match self.client.copy_out(self.sql.as_str()).await {
                        Ok(stream) => self.stream.insert(Box::pin(stream)),
                        Err(source) => return Some(Err(copy_error(source))),
                    }
                }
            };
            match stream.next().await {
                Some(Ok(chunk)) => {
                    if let Err(error) = self.decoder.feed(&chunk, &mut self.ready) {
                        return Some(Err(error));
                    }
                }
                Some(Err(source)) => return Some(Err(copy_error(source))),
                None => {
                    self.is_done = true;
                    match self.decoder.finish() {
                        Ok(Some(batch)) => self.ready.push_back(batch),
                        Ok(None) => {}
                        Err(error) => return Some(Err(error)),
                    }
                }
            }
        }
    }
}
