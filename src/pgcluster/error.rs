//! Errors of the private PostgreSQL cluster. Every variant names the command or data
//! directory involved and, when the server said something, the tail of its log.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries not found (looked for {missing} in: {searched}); \
         install them with `apt-get install -y postgresql`"
    )]
    BinariesNotFound { missing: String, searched: String },

    #[error(
        "running as root, but there is no `postgres` OS user to run the server as \
         (PostgreSQL refuses to run as root); `apt-get install -y postgresql` creates it"
    )]
    NoPostgresUser,

    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` failed ({status}) for data dir {data_dir}:\n{output_tail}")]
    Initdb {
        command: String,
        data_dir: PathBuf,
        status: String,
        output_tail: String,
    },

    #[error("postgres exited during startup ({status}); command `{command}`, data dir {data_dir}, log tail:\n{log_tail}")]
    StartFailed {
        command: String,
        data_dir: PathBuf,
        status: String,
        log_tail: String,
    },

    #[error("postgres on port {port} was not ready after {waited:?}; data dir {data_dir}, log tail:\n{log_tail}")]
    StartTimeout {
        port: u16,
        waited: Duration,
        data_dir: PathBuf,
        log_tail: String,
    },

    #[error("connecting to {url}")]
    Connect {
        url: String,
        #[source]
        source: tokio_postgres::Error,
    },

    #[error("running SQL in database {database}: {detail}")]
    Sql {
        database: String,
        detail: String,
        #[source]
        source: tokio_postgres::Error,
    },
}

impl ClusterError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ClusterError::Io {
            action,
            path,
            source,
        }
    }

    /// Server-side SQL errors carry message, detail and position only in `DbError`;
    /// the plain `Display` of tokio_postgres::Error just says "db error".
    pub(crate) fn sql(database: &str, source: tokio_postgres::Error) -> Self {
        let detail = match source.as_db_error() {
            Some(db) => {
                let mut text = format!("{}: {}", db.severity(), db.message());
                if let Some(d) = db.detail() {
                    text.push_str(&format!(" (detail: {d})"));
                }
                if let Some(w) = db.where_() {
                    text.push_str(&format!(" (where: {w})"));
                }
                text
            }
            None => source.to_string(),
        };
        ClusterError::Sql {
            database: database.to_string(),
            detail,
            source,
        }
    }
}
