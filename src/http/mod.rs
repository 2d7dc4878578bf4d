//! The retrying HTTP client shared by every API source.
//!
//! Owns transport concerns only: timeouts, bounded retries with jittered exponential
//! backoff, `Retry-After`, and turning error envelopes carried by HTTP 200 responses
//! into errors, read with the format each API supplies (`ErrorFormat`). Paging, auth
//! and Arrow conversion belong to each source. `fake_server` is the HTTP plumbing the
//! API fakes share.

mod classify;
mod client;
mod error;
pub mod fake_server;
mod redirect;
mod request;
mod retry;

pub use client::{ApiClient, ClientOptions, ErrorFormat, DEFAULT_MAX_BODY_BYTES};
pub use error::{HttpError, HttpErrorKind};
pub use request::{ApiRequest, Method};
pub use retry::{backoff_delay, is_transient_code, parse_retry_after, RetryPolicy};
