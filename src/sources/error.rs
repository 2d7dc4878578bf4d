//! Run failures, each naming the source and dataset it happened in.

use crate::config::SecretError;
use crate::load::lock::LockError;
use crate::load::state::StateError;
use crate::load::LoadError;
use crate::postgres::ExtractError;

/// The error of an HTTP API source (its own thiserror enum), boxed.
pub type ApiError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("source `{source_name}`: cannot read its password")]
    Secret {
        source_name: String,
        #[source]
        source: SecretError,
    },
    #[error("source `{source_name}`, dataset `{dataset}`: extract failed")]
    Extract {
        source_name: String,
        dataset: String,
        /// Boxed like `Api`: the largest variant sets the size of every `Result`.
        #[source]
        source: Box<ExtractError>,
    },
    /// An HTTP API source failed. The cause names the slice, page cursor and filters
    /// (or the credential) involved.
    #[error("source `{source_name}`, dataset `{dataset}`: {api} extract failed")]
    Api {
        source_name: String,
        dataset: String,
        /// The API's name for people, e.g. the product.
        api: &'static str,
        #[source]
        source: ApiError,
    },
    #[error("source `{source_name}`: connecting to the {api} failed")]
    ApiConnect {
        source_name: String,
        /// What was connected to, for people.
        api: &'static str,
        #[source]
        source: ApiError,
    },
    #[error("source `{source_name}`: {what} failed")]
    Session {
        source_name: String,
        what: &'static str,
        #[source]
        source: Box<ExtractError>,
    },
    #[error("source `{source_name}`, dataset `{dataset}`: writing the lake failed")]
    Load {
        source_name: String,
        dataset: String,
        #[source]
        source: LoadError,
    },
    #[error("lake housekeeping (recovery at start or staging cleanup at the end) failed")]
    Recover(#[source] LoadError),
    #[error("source `{source_name}`: state")]
    State {
        source_name: String,
        #[source]
        source: StateError,
    },
    #[error("source `{source_name}`, dataset `{dataset}`: the writer thread stopped unexpectedly")]
    WriterLost {
        source_name: String,
        dataset: String,
    },
    #[error("source `{source_name}`, dataset `{}`: {}", .restart.dataset, .restart.describe())]
    KeysRestarted {
        source_name: String,
        restart: Box<crate::sources::pg_tables::coverage::KeyRestart>,
    },
    #[error("dataset `{dataset}` is not in any source of this pipeline (known: {known})")]
    UnknownDataset { dataset: String, known: String },
    #[error("source `{source_name}`: rebuilding the enriched datasets failed")]
    Transform {
        source_name: String,
        #[source]
        source: crate::transform::TransformError,
    },
    /// Sources or datasets failed while the others went on; each failure is in the run
    /// summary and the ledger. `failures` lists `source[/dataset]: error` lines.
    #[error("{} source(s) or dataset(s) failed, the others ran:\n  {}", failures.len(), failures.join("\n  "))]
    DatasetsFailed {
        failures: Vec<String>,
        /// What the run did, failures included, for the caller to print.
        summary: Box<crate::pipeline::RunSummary>,
    },
    #[error(transparent)]
    Events(Box<crate::sources::events::EventsError>),
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Lock(#[from] LockError),
}

impl RunError {
    /// Mistakes in how the command was called map to exit code 2.
    pub fn is_usage_error(&self) -> bool {
        matches!(self, RunError::UnknownDataset { .. })
    }
}
