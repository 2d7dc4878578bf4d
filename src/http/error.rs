//! `HttpError`: what failed, where, and after how many attempts; never a secret.
//!
//! `url` is the endpoint without its query string (a `token` parameter would live
//! there), and transport errors are stored with reqwest's URL stripped for the same
//! reason. `context` is the caller's description of the request (slice, page cursor,
//! filters) so a failed page can be found and replayed.

use std::fmt;

#[derive(Debug, thiserror::Error)]
#[error("{method} {url} ({context}): {kind} after {attempts} attempt(s)")]
pub struct HttpError {
    pub method: &'static str,
    pub url: String,
    pub context: String,
    pub attempts: u32,
    pub kind: HttpErrorKind,
}

#[derive(Debug)]
pub enum HttpErrorKind {
    /// Connect error, reset, timeout or a body cut short.
    Transport(reqwest::Error),
    /// A non-2xx status without a recognisable error body.
    Status { status: u16, message: String },
    /// The API's own error, read from the body by its `ErrorFormat` (or one of its
    /// non-standard statuses), whatever the HTTP status was.
    Api {
        status: u16,
        code: i64,
        message: String,
    },
    /// The body was not the JSON we expected.
    Decode { status: u16, message: String },
    /// The request could not even be built (bad URL in the pipeline file).
    Build(String),
}

impl fmt::Display for HttpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // reqwest's Display names only the failure kind once the URL is stripped; its
            // source chain (hyper, io) says why, so print it too.
            HttpErrorKind::Transport(e) => {
                write!(f, "transport error: {e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(inner) = source {
                    write!(f, ": {inner}")?;
                    source = inner.source();
                }
                Ok(())
            }
            HttpErrorKind::Status { status, message } => write!(f, "HTTP {status}: {message}"),
            HttpErrorKind::Api {
                status,
                code,
                message,
            } => {
                write!(f, "API error {code}: {message} (HTTP {status})")
            }
            HttpErrorKind::Decode { status, message } => {
                write!(f, "unreadable response (HTTP {status}): {message}")
            }
            HttpErrorKind::Build(message) => write!(f, "bad request: {message}"),
        }
    }
}

impl HttpError {
    /// The API's error code, or the HTTP status when there was no envelope.
    pub fn code(&self) -> Option<i64> {
        match &self.kind {
            HttpErrorKind::Api { code, .. } => Some(*code),
            HttpErrorKind::Status { status, .. } => Some(i64::from(*status)),
            _ => None,
        }
    }
}
