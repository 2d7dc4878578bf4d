//! `kind = "tableau"`: the Tableau Server repository ("workgroup" PostgreSQL database).
//!
//! - `config`: the pipeline-file section; `tables`: one table spec per dataset.
//! - `run`: one snapshot transaction per run; event tables read above their watermark,
//!   dimension tables snapshotted whole; then `enrich` rebuilds the derived datasets
//!   and `sessions` the Login/Logout `auth_events` and `sessions`.
//! - `backfill`: re-reading a day by key range (`pg_tables::KeyLocator`), and the plan.
//! - `status`: purge gaps against the watermark; `check`: `check --connect`.
//! - `bench`: `usagelake bench`, this kind's extract against its peers.

pub mod backfill;
pub mod bench;
pub(crate) mod check;
pub mod config;
pub mod enrich;
pub mod run;
mod sessions;
pub mod status;
pub mod tables;

pub use config::TableauSource;

use crate::postgres::{ConnectOptions, PgSession, ResolvedTable, TableKind};
use crate::sources::RunError;

pub fn connect_options(source: &TableauSource) -> Result<ConnectOptions, RunError> {
    let password = match &source.password {
        Some(secret_ref) => Some(secret_ref.resolve().map_err(|e| RunError::Secret {
            source_name: source.name.clone(),
            source: e,
        })?),
        None => None,
    };
    Ok(ConnectOptions {
        host: source.host.clone(),
        port: source.port,
        database: source.database.clone(),
        user: source.user.clone(),
        password,
        sslmode: source.sslmode,
        root_cert_file: source.root_cert_file.clone(),
        connect_timeout: source.connect_timeout,
        statement_timeout: source.statement_timeout,
        idle_in_transaction_timeout: source.idle_in_transaction_timeout,
        application_name: "usagelake".to_string(),
    })
}

/// Connects and opens the snapshot transaction every read of one run (or day) shares.
pub(crate) async fn open_session(source: &TableauSource) -> Result<PgSession, RunError> {
    let session_error = |what| {
        let name = source.name.clone();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let mut session = PgSession::connect(&connect_options(source)?)
        .await
        .map_err(session_error("connecting"))?;
    session
        .begin_snapshot()
        .await
        .map_err(session_error("opening the snapshot transaction"))?;
    Ok(session)
}

/// The source's selected event tables that exist on this server.
pub(crate) async fn event_tables(
    session: &PgSession,
    source: &TableauSource,
    requested: &[String],
) -> Result<Vec<ResolvedTable>, RunError> {
    let mut tables = Vec::new();
    for dataset in source.datasets() {
        if !(requested.is_empty() || requested.iter().any(|r| r == dataset)) {
            continue;
        }
        let spec = tables::table_spec(dataset, source.include_incomplete_jobs)
            .expect("config validation admits only known datasets");
        if !matches!(spec.kind, TableKind::Event { .. }) {
            continue; // snapshots have no history to re-read
        }
        let resolved = session
            .resolve(&spec)
            .await
            .map_err(|e| RunError::Extract {
                source_name: source.name.clone(),
                dataset: dataset.to_string(),
                source: Box::new(e),
            })?;
        tables.extend(resolved);
    }
    Ok(tables)
}
