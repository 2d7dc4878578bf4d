//! Run failures, each naming the source and dataset it happened in.

use crate::config::SecretError;
use crate::extract::arcgis::ArcgisError;
use crate::extract::postgres::ExtractError;
use crate::load::LoadError;
use crate::pipeline::lock::LockError;
use crate::pipeline::state::StateError;

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
        /// Boxed like `Arcgis`: the largest variant sets the size of every `Result`.
        #[source]
        source: Box<ExtractError>,
    },
    /// The cause names the slice, page cursor and filters (or the credential) involved.
    #[error("source `{source_name}`, dataset `{dataset}`: ArcGIS extract failed")]
    Arcgis {
        source_name: String,
        dataset: String,
        /// Boxed: HTTP errors carry the URL and cursor, and `RunError` travels in every
        /// `Result` of the run.
        #[source]
        source: Box<ArcgisError>,
    },
    #[error("source `{source_name}`: connecting to the ArcGIS portal failed")]
    ArcgisConnect {
        source_name: String,
        #[source]
        source: Box<ArcgisError>,
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
    #[error("dataset `{dataset}` is not in any source of this pipeline (known: {known})")]
    UnknownDataset { dataset: String, known: String },
    #[error("source `{source_name}`: rebuilding the enriched datasets failed")]
    Transform {
        source_name: String,
        #[source]
        source: crate::transform::TransformError,
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
