//! A source's [`PgConnection`] → a connected session in its snapshot transaction, with
//! the errors every PostgreSQL kind reports the same way.

use crate::config::pg_connection::PgConnection;
use crate::postgres::{ConnectOptions, PgSession};
use crate::sources::RunError;

/// Resolves the password reference; the rest is the connection as configured.
pub fn connect_options(
    source_name: &str,
    connection: &PgConnection,
) -> Result<ConnectOptions, RunError> {
    let password = match &connection.password {
        Some(secret_ref) => Some(secret_ref.resolve().map_err(|e| RunError::Secret {
            source_name: source_name.to_owned(),
            source: e,
        })?),
        None => None,
    };
    Ok(ConnectOptions {
        host: connection.host.clone(),
        port: connection.port,
        database: connection.database.clone(),
        user: connection.user.clone(),
        password,
        sslmode: connection.sslmode,
        root_cert_file: connection.root_cert_file.clone(),
        connect_timeout: connection.connect_timeout,
        statement_timeout: connection.statement_timeout,
        idle_in_transaction_timeout: connection.idle_in_transaction_timeout,
        application_name: "usagelake".to_string(),
    })
}

/// Connects and opens a snapshot transaction.
pub(crate) async fn open_session(
    source_name: &str,
    connection: &PgConnection,
) -> Result<PgSession, RunError> {
    let session_error = |what| {
        let name = source_name.to_owned();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let mut session = PgSession::connect(&connect_options(source_name, connection)?)
        .await
        .map_err(session_error("connecting"))?;
    session
        .begin_snapshot()
        .await
        .map_err(session_error("opening the snapshot transaction"))?;
    Ok(session)
}
