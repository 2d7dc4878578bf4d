//! `ApiClient`: one reqwest client per run, shared by every request of every API source.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{HttpError, HttpErrorKind};
use super::retry::{is_transient_code, parse_retry_after, RetryPolicy};
use crate::config::Secret;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// Whole request, body included. Default 60 s.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// How the API reports errors inside responses. Default: it does not.
    pub errors: ErrorFormat,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// `application/x-www-form-urlencoded` body; used for credentials so they never sit
    /// in a URL (generateToken is POST-only for that reason, reference §3.1).
    PostForm,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::PostForm => "POST",
        }
    }
}

/// One logical request. Secret parameters and headers are kept apart from the plain
/// ones so that nothing derived for errors or logs can ever include them.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: Method,
    url: String,
    params: Vec<(String, String)>,
    secret_params: Vec<(String, Secret)>,
    headers: Vec<(String, String)>,
    secret_headers: Vec<(String, Secret)>,
    context: String,
}

impl ApiRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        ApiRequest {
            method,
            url: url.into(),
            params: Vec::new(),
            secret_params: Vec::new(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            context: String::new(),
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    pub fn post_form(url: impl Into<String>) -> Self {
        Self::new(Method::PostForm, url)
    }

    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    pub fn secret_param(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secret_params.push((name.into(), value));
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn secret_header(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secret_headers.push((name.into(), value));
        self
    }

    /// What this request is, for error messages: page cursor, slice, filters.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn error(&self, attempts: u32, kind: HttpErrorKind) -> HttpError {
        // Drop any query string the caller may have put in the URL itself.
        let url = self.url.split('?').next().unwrap_or_default().to_string();
        let context = if self.context.is_empty() {
            "-".to_string()
        } else {
            self.context.clone()
        };
        HttpError {
            method: self.method.as_str(),
            url,
            context,
            attempts,
            kind,
        }
    }
}

/// Outcome of one attempt: done, worth another attempt (with the server's wish on when),
/// or final.
enum Attempt {
    Done(Value),
    Retry(HttpErrorKind, Option<Duration>),
    Fail(HttpErrorKind),
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    retry: RetryPolicy,
    errors: ErrorFormat,
}

impl ApiClient {
    pub fn new(options: &ClientOptions) -> Result<Self, HttpError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("usagelake/", env!("CARGO_PKG_VERSION")))
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
            errors: options.errors,
        })
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request`, retrying transient failures, and returns the JSON body of the
    /// first success. Error envelopes (see [`ErrorFormat`]) are errors even under HTTP 200.
    pub async fn send_json(&self, request: &ApiRequest) -> Result<Value, HttpError> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.attempt(request).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(kind) => return Err(request.error(attempt, kind)),
                Attempt::Retry(kind, retry_after) => {
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
        }
    }

    /// [`send_json`](Self::send_json), then deserialize into `T`.
    pub async fn send<T: DeserializeOwned>(&self, request: &ApiRequest) -> Result<T, HttpError> {
        let value = self.send_json(request).await?;
        serde_json::from_value(value).map_err(|e| {
            request.error(
                1,
                HttpErrorKind::Decode {
                    status: 200,
                    message: e.to_string(),
                },
            )
        })
    }

    async fn attempt(&self, request: &ApiRequest) -> Attempt {
        let builder = match self.build(request) {
            Ok(builder) => builder,
            Err(message) => return Attempt::Fail(HttpErrorKind::Build(message)),
        };
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return transport(e),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        // A reset mid-body surfaces here, after the status line was already fine.
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return transport(e),
        };
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
        };
        Ok(builder.headers(headers))
    }
}

fn transport(e: reqwest::Error) -> Attempt {
    let e = e.without_url();
    if e.is_builder() {
        Attempt::Fail(HttpErrorKind::Build(e.to_string()))
    } else {
        // Connect errors, resets, timeouts and truncated bodies are all worth another try.
        Attempt::Retry(HttpErrorKind::Transport(e), None)
    }
}

/// Decides what a complete response means. APIs may report errors as HTTP 200 with an
/// envelope, so the body is inspected whatever the status.
fn classify(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    errors: &ErrorFormat,
) -> Attempt {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    let envelope = parsed.as_ref().ok().and_then(errors.envelope);
    if let Some((code, message)) = envelope {
        let kind = HttpErrorKind::Api {
            status,
            code,
            message,
        };
        return if is_transient_code(code) || is_transient_code(i64::from(status)) {
            Attempt::Retry(kind, retry_after)
        } else {
            Attempt::Fail(kind)
        };
    }
    if !(200..300).contains(&status) {
        let message = String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string();
        let kind = if errors.status_codes.contains(&status) {
            // The API's own code as a bare status: report it as the code the caller handles.
            HttpErrorKind::Api {
                status,
                code: i64::from(status),
                message,
            }
        } else {
            HttpErrorKind::Status { status, message }
        };
        return if is_transient_code(i64::from(status)) {
            Attempt::Retry(kind, retry_after)
        } else {
            Attempt::Fail(kind)
        };
    }
    match parsed {
        Ok(value) => Attempt::Done(value),
        // A 200 with a body that is not JSON is most likely cut short by a proxy; another
        // attempt is cheap and bounded.
        Err(e) => Attempt::Retry(
            HttpErrorKind::Decode {
                status,
                message: e.to_string(),
            },
            None,
        ),
    }
}

/// reqwest is built with `rustls-no-provider` (the default aws-lc-rs provider needs
/// cmake); install ring as the process-wide provider once. An already installed
/// provider (another component got there first) is fine.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(a: Attempt) -> (&'static str, Option<i64>) {
        match a {
            Attempt::Done(_) => ("done", None),
            Attempt::Retry(HttpErrorKind::Api { code, .. }, _) => ("retry", Some(code)),
            Attempt::Retry(_, _) => ("retry", None),
            Attempt::Fail(HttpErrorKind::Api { code, .. }) => ("fail", Some(code)),
            Attempt::Fail(_) => ("fail", None),
        }
    }

    /// A JSON API whose errors look like `{"fault": <code>}`, whatever the status.
    fn fault(value: &Value) -> Option<(i64, String)> {
        let code = value.get("fault")?.as_i64()?;
        Some((code, "fault".into()))
    }

    const FAULTS: ErrorFormat = ErrorFormat {
        envelope: fault,
        status_codes: &[498],
    };

    #[test]
    fn error_envelopes_under_200_are_errors() {
        let c = |body: &str| kind_of(classify(200, body.as_bytes(), None, &FAULTS));
        assert_eq!(c(r#"{"items":[]}"#), ("done", None));
        assert_eq!(c(r#"{"fault":503}"#), ("retry", Some(503)));
        assert_eq!(c(r#"{"fault":403}"#), ("fail", Some(403)));
        assert_eq!(c("<html>truncated"), ("retry", None));
        // Without an error format, the same body is data.
        let plain = kind_of(classify(
            200,
            br#"{"fault":403}"#,
            None,
            &ErrorFormat::default(),
        ));
        assert_eq!(plain, ("done", None));
    }

    #[test]
    fn statuses() {
        let c = |status, body: &[u8]| kind_of(classify(status, body, None, &FAULTS));
        assert_eq!(c(503, b""), ("retry", None));
        assert_eq!(c(429, b"{}"), ("retry", None));
        assert_eq!(c(404, b"not here"), ("fail", None));
        assert_eq!(c(498, b""), ("fail", Some(498)));
    }
}
