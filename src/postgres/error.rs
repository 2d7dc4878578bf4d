//! Errors of the PostgreSQL extractor. Every variant names what a user needs to act on
//! (host, table, column, row, the SQL file that failed) and never a password.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExtractError {
    #[error(
        "cannot connect to PostgreSQL at {host}:{port} database {database:?} as user {user:?}: {source} \
         (check host/port reachability, pg_hba.conf and the password reference)"
    )]
    Connect {
        host: String,
        port: u16,
        database: String,
        user: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("query {sql_name} failed for table {table:?}: {source}")]
    Query {
        /// Table the query was about, or `<session>` for session-level statements.
        table: String,
        /// File under `sql/extract/` that holds the statement.
        sql_name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("COPY of table {table:?} failed: {source}")]
    Copy {
        table: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("cannot decode table {table:?} column {column:?} at row {row} of the COPY stream: {message}")]
    Decode {
        table: String,
        /// Column name, or `<stream>` for framing errors (header, tuple, trailer).
        column: String,
        /// 1-based row number within this COPY stream (0 = header).
        row: u64,
        message: String,
    },

    #[error(
        "table {table:?} column {column:?} is {actual} on the server but the spec expects {expected:?}, \
         which it cannot be read as without loss; update the table spec"
    )]
    TypeMismatch {
        table: String,
        column: String,
        expected: super::types::PgType,
        actual: String,
    },

    #[error(
        "table {table:?} column {column:?} has type {type_name}, which the extractor does not support; \
         remove the column from the table spec"
    )]
    UnsupportedType {
        table: String,
        column: String,
        type_name: String,
    },

    #[error(
        "table public.{table:?} does not exist or is not visible to this user \
         (is repository access enabled and is the user `readonly`?)"
    )]
    MissingTable { table: String },

    #[error(
        "user {user:?} may not SELECT from table public.{table:?}; use the `readonly` repository user \
         or grant SELECT on it"
    )]
    PermissionDenied { table: String, user: String },

    #[error("table {table:?} has no column {column:?}, which the spec requires (server version too old or too new?)")]
    MissingColumn { table: String, column: String },

    #[error("table {table:?} column {column:?} holds secrets and is never extracted; remove it from the table spec")]
    SecretColumn { table: String, column: String },

    #[error("invalid read range for table {table:?}: {message}")]
    InvalidRange { table: String, message: String },

    #[error("TLS setup failed for sslmode=require: {message}")]
    Tls { message: String },
}
