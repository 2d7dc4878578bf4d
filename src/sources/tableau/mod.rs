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

use crate::postgres::{PgSession, ResolvedTable, TableKind};
use crate::sources::{pg_tables, RunError};

/// Connects and opens the snapshot transaction every read of one run (or day) shares.
pub(crate) async fn open_session(source: &TableauSource) -> Result<PgSession, RunError> {
    pg_tables::session::open_session(&source.name, &source.connection).await
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
