//! `ArcgisError`: every way an ArcGIS extract fails, with what a user needs to act.

use crate::config::SecretError;
use crate::http::HttpError;

use super::history::SliceRange;

#[derive(Debug, thiserror::Error)]
pub enum ArcgisError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Credentials refused, or a token still rejected right after renewal.
    #[error("ArcGIS authentication failed at {portal}: {message}")]
    Auth { portal: String, message: String },
    /// `what` names the credential ("password"); the source names the variable or file.
    #[error("cannot read the ArcGIS {what}")]
    Secret {
        what: &'static str,
        #[source]
        source: SecretError,
    },
    /// The server handed back a cursor it had already given in this slice: following
    /// it would loop forever, so the slice fails and the watermark stays put.
    #[error("history slice {slice}: nextKey {key:?} repeated; stopping instead of looping")]
    CursorLoop { slice: SliceRange, key: String },
    /// A page that parsed as JSON but not as the documented shape.
    #[error("unexpected ArcGIS response ({context}): {message}")]
    Page { context: String, message: String },
    #[error("ArcGIS source configuration: {0}")]
    Config(String),
    #[error("building an Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}
