//! `kind = "postgres"`: any PostgreSQL table or view (an application's audit table, a
//! login log) archived incrementally into partitioned Parquet, through the same
//! COPY-binary extractor (`crate::postgres`) and lake writer as the BI repository.
//!
//! - `config`: the section, its `[[sources.tables]]` and their optional `auth` mapping;
//! - `relation`: a configured table matched against the catalog (its spec, how it is
//!   read, naive local times → UTC);
//! - `run`: one incremental run (by integer key like Tableau's logs, or by a timestamp
//!   watermark with a lookback), then `auth` rebuilds `auth_events`, `auth_rejected` and
//!   `sessions` for the days written;
//! - `backfill`: re-reading a local day by the partition column; `status`, `check`.
//!
//! The folder is `pg` so it does not shadow the shared `crate::postgres` module.

pub mod auth;
pub mod backfill;
pub(crate) mod check;
pub mod config;
mod observe;
pub mod relation;
pub mod run;
pub mod status;

pub use config::PostgresSource;

use crate::postgres::PgSession;
use crate::sources::{pg_tables, RunError};

/// What people read in errors of this kind (`RunError::Api`).
pub(crate) const API: &str = "PostgreSQL";

/// Connects and opens a snapshot transaction (one per table and run, so a table that
/// fails cannot abort the others' transaction).
pub(crate) async fn open_session(source: &PostgresSource) -> Result<PgSession, RunError> {
    pg_tables::session::open_session(&source.name, &source.connection).await
}

/// The error of a configured table the catalog does not match.
pub(crate) fn relation_error(
    source: &PostgresSource,
    dataset: &str,
    error: relation::RelationError,
) -> RunError {
    match error {
        relation::RelationError::Catalog(e) => RunError::Extract {
            source_name: source.name.clone(),
            dataset: dataset.to_string(),
            source: Box::new(e),
        },
        other => RunError::Api {
            source_name: source.name.clone(),
            dataset: dataset.to_string(),
            api: API,
            source: Box::new(other),
        },
    }
}
