//! The retrying HTTP client shared by every API source (ArcGIS now, Indico next).
//!
//! Owns transport concerns only: timeouts, bounded retries with jittered exponential
//! backoff, `Retry-After`, and turning ArcGIS-style error envelopes carried by HTTP 200
//! responses into errors. Paging, auth and Arrow conversion belong to each source.

mod client;
mod error;
mod retry;

pub use client::{ApiClient, ApiRequest, ClientOptions, Method, DEFAULT_MAX_BODY_BYTES};
pub use error::{HttpError, HttpErrorKind};
pub use retry::{backoff_delay, parse_retry_after, RetryPolicy};
