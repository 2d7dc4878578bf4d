//! `ApiClient`: one reqwest client per run, shared by every request of every API source.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::classify::{classify, transport, Attempt};
use super::error::{HttpError, HttpErrorKind};
use super::redirect::{redacted_location, redirect_policy};
use super::request::{ApiRequest, Method};
use super::retry::{parse_retry_after, RetryPolicy};

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// Whole request, body included. Default 60 s.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Largest response body read; a bigger one fails the request (not retried). A page
    /// of 100 history events or users is ~50–150 KB, so the default leaves a wide
    /// margin while keeping a misbehaving server from filling memory.
    pub max_body_bytes: usize,
    /// How the API reports errors inside responses. Default: it does not.
    pub errors: ErrorFormat,
}

/// [`ClientOptions::max_body_bytes`] by default: 8 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 << 20;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            errors: ErrorFormat::default(),
        }
    }
}

/// How an API reports errors that HTTP alone does not show. Many JSON APIs answer
/// HTTP 200 with an error object in the body; the client reads every response with the
/// API's format, so transient ones are retried and the rest fail with the API's code
/// (`HttpErrorKind::Api`). Each API source supplies its own.
#[derive(Debug, Clone, Copy)]
pub struct ErrorFormat {
    /// The API's error in a parsed JSON body, as (code, message); None when the body is
    /// a normal answer.
    pub envelope: fn(&Value) -> Option<(i64, String)>,
    /// Non-standard HTTP statuses the API uses as its own error codes, reported as
    /// `HttpErrorKind::Api` with the status as the code even without a body.
    pub status_codes: &'static [u16],
}

impl Default for ErrorFormat {
    fn default() -> Self {
        ErrorFormat {
            envelope: |_| None,
            status_codes: &[],
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    retry: RetryPolicy,
    max_body_bytes: usize,
    errors: ErrorFormat,
}

impl ApiClient {
    pub fn new(options: &ClientOptions) -> Result<Self, HttpError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("usagelake/", env!("CARGO_PKG_VERSION")))
            .redirect(redirect_policy())
            .build()
            .map_err(|e| HttpError {
                method: "-",
                url: String::new(),
                context: "building the HTTP client".into(),
                attempts: 0,
                kind: HttpErrorKind::Build(e.without_url().to_string()),
            })?;
        Ok(ApiClient {
            http,
            retry: options.retry.clone(),
            max_body_bytes: options.max_body_bytes,
            errors: options.errors,
        })
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request`, retrying transient failures, and returns the JSON body of the
    /// first success. Error envelopes (see [`ErrorFormat`]) are errors even under HTTP 200.
    pub async fn send_json(&self, request: &ApiRequest) -> Result<Value, HttpError> {
        self.send_decoded(request, Ok).await
    }

    /// [`send_json`](Self::send_json), deserialized into `T`. JSON of another shape (a
    /// token answer `{}` with neither token nor error) is a garbage answer like a cut
    /// body: retried a bounded number of times, then a `Decode` error.
    pub async fn send<T: DeserializeOwned>(&self, request: &ApiRequest) -> Result<T, HttpError> {
        self.send_decoded(request, |value| {
            serde_json::from_value(value).map_err(|e| e.to_string())
        })
        .await
    }

    async fn send_decoded<T>(
        &self,
        request: &ApiRequest,
        decode: impl Fn(Value) -> Result<T, String>,
    ) -> Result<T, HttpError> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let (kind, retry_after) = match self.attempt(request).await {
                Attempt::Done(value) => match decode(value) {
                    Ok(decoded) => return Ok(decoded),
                    Err(message) => (
                        HttpErrorKind::Decode {
                            status: 200,
                            message,
                        },
                        None,
                    ),
                },
                Attempt::Fail(kind) => return Err(request.error(attempt, kind)),
                Attempt::Retry(kind, retry_after) => (kind, retry_after),
            };
            if attempt >= max_attempts {
                return Err(request.error(attempt, kind));
            }
            let wait = self.retry.delay(attempt, retry_after);
            tracing::debug!(
                url = request.url.as_str(), context = request.context.as_str(),
                attempt, wait_ms = wait.as_millis() as u64, reason = %kind,
                "retrying request"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, request: &ApiRequest) -> Attempt {
        let builder = match self.build(request) {
            Ok(builder) => builder,
            Err(message) => return Attempt::Fail(HttpErrorKind::Build(message)),
        };
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return transport(e),
        };
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            // The policy stopped here: the target is another origin (see `redirect_policy`).
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|to| redacted_location(response.url(), to))
                .unwrap_or_else(|| "(no Location)".into());
            return Attempt::Fail(HttpErrorKind::Redirect { status, location });
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let limit = self.max_body_bytes;
        let too_large = HttpErrorKind::TooLarge { status, limit };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Attempt::Fail(too_large);
        }
        // Read chunk by chunk so a body without Content-Length (chunked) is cut off at
        // the limit instead of being buffered whole first.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > limit => {
                    return Attempt::Fail(too_large)
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                // A reset mid-body surfaces here, after the status line was already fine.
                Err(e) => return transport(e),
            }
        }
        classify(status, &body, retry_after, &self.errors)
    }

    fn build(&self, request: &ApiRequest) -> Result<reqwest::RequestBuilder, String> {
        let mut headers = HeaderMap::new();
        let plain = request.headers.iter().map(|(n, v)| (n, v.as_str()));
        let secret = request.secret_headers.iter().map(|(n, v)| (n, v.expose()));
        for (name, value) in plain.chain(secret) {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            // The value is not echoed: it may be a token.
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name}"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let params: Vec<(&str, &str)> = request
            .params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(
                request
                    .secret_params
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.expose())),
            )
            .collect();
        let builder = match request.method {
            Method::Get => self.http.get(&request.url).query(&params),
            Method::PostForm => self.http.post(&request.url).form(&params),
            Method::PostJson => {
                let builder = self.http.post(&request.url).query(&params);
                match &request.json_body {
                    Some(body) => builder.json(body),
                    None => builder,
                }
            }
        };
        Ok(builder.headers(headers))
    }
}

/// reqwest is built with `rustls-no-provider` (the default aws-lc-rs provider needs
/// cmake); install ring as the process-wide provider once. An already installed
/// provider (another component got there first) is fine.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
