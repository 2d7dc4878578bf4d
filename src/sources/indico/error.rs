//! `IndicoError`: every way an Indico extract fails, with what a user needs to act
//! (operation, date, page cursor) and never a token.

use crate::config::SecretError;
use crate::http::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum IndicoError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The API token was refused at the exchange, or a fresh access token was refused
    /// right after a refresh (a second 401).
    #[error("Indico authentication failed at {host}: {message}")]
    Auth { host: String, message: String },
    #[error("cannot read the Indico API token")]
    Secret(#[source] SecretError),
    /// HTTP 200 with a non-empty `errors` array: the query failed, even if `data` came
    /// back partly filled (a partial page would be archived as if complete).
    #[error("Indico GraphQL errors in {operation} ({context}): {messages}")]
    Graphql {
        operation: &'static str,
        context: String,
        messages: String,
    },
    /// The server answered a next page with a cursor it had already given: following it
    /// would loop forever, so the read fails and nothing of it is archived.
    #[error(
        "{operation} ({context}): endCursor {cursor} does not advance; stopping instead of looping"
    )]
    CursorLoop {
        operation: &'static str,
        context: String,
        cursor: i64,
    },
    /// `hasNextPage` with no `endCursor`: there is no way to ask for the next page.
    #[error("{operation} ({context}): hasNextPage without an endCursor after cursor {after:?}")]
    MissingCursor {
        operation: &'static str,
        context: String,
        after: Option<i64>,
    },
    /// The pages held a different number of rows than `aggregateCount` announced.
    #[error("{operation} ({context}): read {read} row(s) but aggregateCount is {expected}")]
    CountMismatch {
        operation: &'static str,
        context: String,
        read: u64,
        expected: i64,
    },
    /// A response that is JSON but not the documented shape (`data` missing, a row
    /// without its key).
    #[error("unexpected Indico response to {operation} ({context}): {message}")]
    Response {
        operation: &'static str,
        context: String,
        message: String,
    },
    #[error("building an Arrow batch for {dataset}: {source}")]
    Arrow {
        dataset: &'static str,
        #[source]
        source: arrow_schema::ArrowError,
    },
}
