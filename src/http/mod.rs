//! The retrying HTTP client shared by every API source.
//!
//! Owns transport concerns only: timeouts, bounded retries with jittered exponential
//! backoff, `Retry-After`, and turning error envelopes carried by HTTP 200 responses
//! into errors, read with the format each API supplies (`ErrorFormat`). Paging, auth
//! and Arrow conversion belong to each source.

mod client;
mod error;
mod retry;

pub use client::{ApiClient, ApiRequest, ClientOptions, ErrorFormat, Method};
pub use error::{HttpError, HttpErrorKind};
pub use retry::{backoff_delay, is_transient_code, parse_retry_after, RetryPolicy};
