//! `ApiClient`: one reqwest client per run, shared by every request of every API source.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::Url;
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
    /// Largest response body read; a bigger one fails the request (not retried). A page
    /// of 100 history events or users is ~50–150 KB, so the default leaves a wide
    /// margin while keeping a misbehaving server from filling memory.
    pub max_body_bytes: usize,
    /// How the API reports errors inside responses. Default: it does not.
    pub errors: ErrorFormat,
}

/// [`ClientOptions::max_body_bytes`] by default: 8 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 << 20;

/// Same-origin redirects followed per request at most.
const MAX_REDIRECTS: usize = 5;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// `application/x-www-form-urlencoded` body; used for credentials so they never sit
    /// in a URL (generateToken is POST-only for that reason, reference §3.1).
    PostForm,
    /// A JSON body (GraphQL), or none at all (a token exchange).
    PostJson,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::PostForm | Method::PostJson => "POST",
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
    /// For `PostJson`. Never holds a secret: tokens travel in `secret_headers`.
    json_body: Option<serde_json::Value>,
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
            json_body: None,
            context: String::new(),
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    pub fn post_form(url: impl Into<String>) -> Self {
        Self::new(Method::PostForm, url)
    }

    /// A POST with `body` as JSON, or with no body when `None`.
    pub fn post_json(url: impl Into<String>, body: Option<serde_json::Value>) -> Self {
        let mut request = Self::new(Method::PostJson, url);
        request.json_body = body;
        request
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

/// Redirects are followed only within the origin (scheme, host, port) the request was
/// sent to. reqwest would otherwise carry every header we set (the token in
/// `X-Esri-Authorization`, the `Referer`) to any host a redirect names, downgrade to
/// plain http, and re-send a POST body (the password form) on 307/308. Stopping hands
/// the 3xx to [`ApiClient::attempt`], which fails the request and names the target.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| is_same_origin(first, attempt.url()));
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Same scheme, host and port: `https://a` → `http://a` is another origin (a downgrade),
/// and so is another port on the same host.
fn is_same_origin(first: &Url, next: &Url) -> bool {
    first.origin() == next.origin()
}

/// Where a refused redirect pointed, for the error: scheme, host, port and path, never
/// the query (it may carry a token).
fn redacted_location(from: &Url, location: &str) -> String {
    match from.join(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(unparsable Location)".into(),
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
        // An envelope without a code (the format reports 0) says nothing about what went
        // wrong; it is treated like any other garbage answer: retried, a bounded number
        // of times.
        return if code == 0 || is_transient_code(code) || is_transient_code(i64::from(status)) {
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
        assert_eq!(c(r#"{"items":[{"id":"#), ("retry", None));
        // An envelope that names no code (the format reports 0) is garbage too:
        // bounded retries, then fail.
        assert_eq!(c(r#"{"fault":0}"#), ("retry", Some(0)));
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
    fn redirects_stay_within_the_origin() {
        let url = |s: &str| Url::parse(s).unwrap();
        let portal = url("https://portal.example.com/sharing/rest/generateToken");
        assert!(is_same_origin(
            &portal,
            &url("https://portal.example.com/other/path?q=1")
        ));
        assert!(is_same_origin(
            &portal,
            &url("https://portal.example.com:443/x")
        ));
        assert!(!is_same_origin(
            &portal,
            &url("http://portal.example.com/sharing/rest/generateToken")
        ));
        assert!(!is_same_origin(
            &portal,
            &url("https://portal.example.com:8443/x")
        ));
        assert!(!is_same_origin(&portal, &url("https://evil.example.net/x")));
        assert!(!is_same_origin(
            &portal,
            &url("https://sub.portal.example.com/x")
        ));
    }

    #[test]
    fn redirect_targets_are_shown_without_query() {
        let from =
            Url::parse("https://portal.example.com/sharing/rest/portals/self/history?token=SECRET")
                .unwrap();
        assert_eq!(
            redacted_location(&from, "https://evil.example.net/x?token=SECRET#f"),
            "https://evil.example.net/x"
        );
        assert_eq!(
            redacted_location(&from, "/other?token=SECRET"),
            "https://portal.example.com/other"
        );
        assert_eq!(
            redacted_location(&from, "http://user:pw@portal.example.com/"),
            "http://portal.example.com/"
        );
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
