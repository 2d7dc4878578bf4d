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
    /// The server redirected to another origin (or to plain http); not followed, so no
    /// credential left for it. `location` has no query string.
    Redirect { status: u16, location: String },
    /// The body was larger than the client's limit; reading stopped there.
    TooLarge { status: u16, limit: usize },
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
            HttpErrorKind::Redirect { status, location } => write!(
                f,
                "HTTP {status} redirect to {location} refused: redirects are followed only \
                 within the same scheme, host and port, so credentials never leave for \
                 another server (point portal_url at the final address)"
            ),
            HttpErrorKind::TooLarge { status, limit } => write!(
                f,
                "response body (HTTP {status}) larger than the {} limit; reading stopped \
                 there (raise max_response_mb if the server really sends pages this large)",
                human_bytes(*limit)
            ),
        }
    }
}

/// `8 MiB`, `512 KiB`, `300 bytes`.
fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
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
