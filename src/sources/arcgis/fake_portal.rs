//! A fake ArcGIS portal: a real HTTP server on 127.0.0.1 for the demo and the tests.
//!
//! Serves `generateToken`, `oauth2/token`, `portals/{id}/history` and
//! `portals/{id}/users` from a deterministic [`GroundTruth`], and injects the faults a
//! real portal shows (see [`Fault`]: 429 with `Retry-After`, 503, a reset mid-body,
//! revoked tokens, 200 error envelopes, truncated JSON, HTML error pages, a repeated
//! `nextKey`, redirects, oversized bodies), once or periodically, plus slow pages and
//! short-lived tokens. Every request is logged so tests can assert on what the client
//! sent.

mod endpoints;
mod faults;
mod truth;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};

use serde_json::{json, Value};

use crate::http::fake_server::{self, Body, FakeService};

pub use faults::Fault;
pub use truth::{generate_events, GroundTruth, DAYS, DAY_MS, FIRST_DAY_MS, ORG_ID};

use faults::FaultPlan;

/// Credentials the fake accepts.
pub const ADMIN_USERNAME: &str = "fake_admin";
pub const ADMIN_PASSWORD: &str = "fake-admin-password-9f3c";
pub const CLIENT_ID: &str = "fakeAppClientId";
pub const CLIENT_SECRET: &str = "fake-client-secret-7d21";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Token,
    History,
    Users,
}

/// One request as the fake saw it; credential and token values are masked.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub endpoint: Option<Endpoint>,
    pub method: String,
    pub path: String,
    pub params: BTreeMap<String, String>,
    pub has_bearer: bool,
    pub referer: Option<String>,
    pub status: u16,
    pub fault: Option<Fault>,
    /// `error.code` of the envelope answered, if any (498 for a rejected token).
    pub api_error: Option<i64>,
}

pub struct FakePortal {
    truth: GroundTruth,
}

impl FakePortal {
    /// Deterministic: the same arguments give the same events and users.
    pub fn generate(events: usize, users: usize, seed: u64) -> Self {
        FakePortal {
            truth: truth::generate(events, users, seed),
        }
    }

    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// Binds 127.0.0.1:0 and serves until the handle is dropped. Returns the portal
    /// URL (the REST API is under `/sharing/rest`).
    pub async fn start(self) -> std::io::Result<(FakePortalHandle, String)> {
        let state = Arc::new(State {
            truth: self.truth,
            inner: Mutex::default(),
        });
        let (server, address) = fake_server::serve(state.clone()).await?;
        let handle = FakePortalHandle {
            state,
            _server: server,
        };
        Ok((handle, format!("http://{address}")))
    }
}

/// Controls and inspects a running fake; dropping it stops the server.
pub struct FakePortalHandle {
    state: Arc<State>,
    _server: fake_server::RunningServer,
}

impl FakePortalHandle {
    pub fn truth(&self) -> &GroundTruth {
        &self.state.truth
    }

    /// Fire `fault` on the `nth` (1-based, counted since start, retries included)
    /// request to `endpoint`.
    pub fn inject(&self, endpoint: Endpoint, nth: u32, fault: Fault) {
        self.state.lock().faults.once(endpoint, nth, fault);
    }

    /// Fire `fault` on every `period`-th request to `endpoint` (retries included). When
    /// several periods divide a request number, the one injected first wins; a one-shot
    /// [`inject`](Self::inject) for that number wins over all of them.
    pub fn inject_every(&self, endpoint: Endpoint, period: u32, fault: Fault) {
        self.state.lock().faults.every(endpoint, period, fault);
    }

    /// Cap the lifetime of every token minted from now on, whatever the client asked
    /// for (an org's `maxTokenExpirationMinutes`, reference §3.1, but shorter).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.lock().token_lifetime = Some(lifetime);
    }

    /// Events the portal indexes from now on, in addition to the ground truth: new ones,
    /// or late ones `created` before what an earlier run already read.
    pub fn add_events(&self, events: Vec<serde_json::Map<String, Value>>) {
        self.state.lock().added_events.extend(events);
    }

    /// Every event the portal serves (ground truth plus added), sorted by `created`.
    pub fn events(&self) -> Vec<serde_json::Map<String, Value>> {
        self.state.all_events().into_owned()
    }

    /// Delay before answering each history or users page.
    pub fn set_page_latency(&self, latency: Duration) {
        self.state.lock().latency = latency;
    }

    /// Answer every history request that has `start=K` with `nextKey=K` again.
    pub fn set_repeat_next_key(&self, on: bool) {
        self.state.lock().repeat_next_key = on;
    }

    /// Ignore `types`/`actors`/`owners`/`actions`/`ips` (BUG-000120745 did).
    pub fn set_ignore_filters(&self, on: bool) {
        self.state.lock().ignore_filters = on;
    }

    /// Retention: serve no history event `created` before `ms` (the portal purged it).
    pub fn set_history_retained_from(&self, ms: i64) {
        self.state.lock().retained_from = ms;
    }

    /// Change a user's `lastLogin` (a sign-in between two runs, or -1).
    pub fn set_last_login(&self, username: &str, ms: i64) {
        self.state
            .lock()
            .last_login
            .insert(username.to_string(), ms);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.lock().log.clone()
    }

    pub fn request_count(&self, endpoint: Endpoint) -> u32 {
        self.state
            .lock()
            .counts
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Every token value ever issued (to check none leaks into an error).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().issued.clone()
    }
}

#[derive(Default)]
struct Inner {
    faults: FaultPlan,
    counts: HashMap<Endpoint, u32>,
    latency: Duration,
    repeat_next_key: bool,
    ignore_filters: bool,
    /// Events `created` before this are gone (0: everything is kept).
    retained_from: i64,
    last_login: HashMap<String, i64>,
    /// Lifetime cap on minted tokens; `None`: what the client asked for.
    token_lifetime: Option<Duration>,
    /// Events added after start, beyond the ground truth.
    added_events: Vec<serde_json::Map<String, Value>>,
    /// token → (expires ms, referer it is bound to)
    tokens: HashMap<String, (i64, Option<String>)>,
    issued: Vec<String>,
    log: Vec<LoggedRequest>,
}

struct State {
    truth: GroundTruth,
    inner: Mutex<Inner>,
}

/// A parsed request: everything the handlers need, owned.
struct Call {
    params: BTreeMap<String, String>,
    token: Option<String>,
    referer: Option<String>,
}

enum Reply {
    Json(u16, Value),
    Text(u16, &'static str),
    /// Status, content type, body.
    Raw(u16, &'static str, String),
    Redirect(u16, String),
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not wedge the fake for the others.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The ground truth, plus added events merged in by `created` (a stable sort: equal
    /// times keep their order between requests, so position cursors stay valid).
    fn all_events(&self) -> Cow<'_, [serde_json::Map<String, Value>]> {
        let added = self.lock().added_events.clone();
        if added.is_empty() {
            return Cow::Borrowed(&self.truth.events);
        }
        let mut events = self.truth.events.clone();
        events.extend(added);
        events.sort_by_key(|e| e["created"].as_i64().unwrap_or_default());
        Cow::Owned(events)
    }
}

impl FakeService for State {
    async fn handle(&self, request: Request<Incoming>) -> Response<Body> {
        let method = request.method().to_string();
        let path = request.uri().path().to_string();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let bearer = header("x-esri-authorization")
            .and_then(|v| v.strip_prefix("Bearer ").map(str::to_string));
        let referer = header("referer");
        let mut params: BTreeMap<String, String> = request
            .uri()
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        params.extend(form_urlencoded::parse(&body).into_owned());
        let token = bearer.clone().or_else(|| params.get("token").cloned());
        let call = Call {
            params,
            token,
            referer: referer.clone(),
        };

        let endpoint = route(&path);
        let (fault, latency) = {
            let mut inner = self.lock();
            let fault = endpoint.and_then(|e| {
                let count = inner.counts.entry(e).or_default();
                *count += 1;
                let n = *count;
                inner.faults.take(e, n)
            });
            if fault == Some(Fault::ExpireTokens) {
                inner.tokens.clear();
            }
            (fault, inner.latency)
        };
        if matches!(endpoint, Some(Endpoint::History | Endpoint::Users)) && !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let reply = match (&fault, endpoint) {
            (Some(Fault::RateLimited { .. }), _) => Reply::Json(
                429,
                json!({"error": {"code": 429, "message": "Too many requests."}}),
            ),
            (Some(Fault::Unavailable), _) => Reply::Text(503, "Service Unavailable"),
            (Some(Fault::ErrorEnvelope { code, message }), _) => Reply::Json(
                200,
                json!({"error": {"code": code, "message": message, "details": []}}),
            ),
            (Some(Fault::HtmlPage { status }), _) => {
                Reply::Raw(*status, "text/html", faults::html_page(*status))
            }
            (Some(Fault::Raw { status, body }), _) => {
                Reply::Raw(*status, "application/json", body.clone())
            }
            (Some(Fault::Redirect { status, location }), _) => {
                Reply::Redirect(*status, location.clone())
            }
            (_, Some(Endpoint::Token)) => self.mint(&path, &call),
            (_, Some(e)) => match self.check_token(&call) {
                Some(error) => error,
                None if e == Endpoint::History => {
                    self.history(&path, &call, fault == Some(Fault::RepeatNextKey))
                }
                None => self.users(&call),
            },
            (_, None) => Reply::Json(
                404,
                json!({"error": {"code": 400, "message": "Invalid URL"}}),
            ),
        };

        let mut logged = call.params.clone();
        for secret in ["password", "client_secret", "token"] {
            if let Some(v) = logged.get_mut(secret) {
                *v = "***".into();
            }
        }
        let api_error = match &reply {
            Reply::Json(_, value) => value["error"]["code"].as_i64(),
            _ => None,
        };
        let mut location = None;
        let (status, mut bytes, content_type) = match reply {
            Reply::Json(status, value) => {
                (status, Bytes::from(value.to_string()), "application/json")
            }
            Reply::Text(status, text) => {
                (status, Bytes::from_static(text.as_bytes()), "text/plain")
            }
            Reply::Raw(status, content_type, page) => (status, Bytes::from(page), content_type),
            Reply::Redirect(status, to) => {
                location = Some(to);
                (status, Bytes::from_static(b"Moved"), "text/plain")
            }
        };
        match &fault {
            Some(Fault::InvalidJson) => bytes = bytes.slice(..bytes.len() / 2),
            Some(Fault::LargeBody { bytes: size, .. }) => bytes = faults::pad(&bytes, *size),
            _ => {}
        }
        self.lock().log.push(LoggedRequest {
            endpoint,
            method,
            path,
            params: logged,
            has_bearer: bearer.is_some(),
            referer,
            status,
            fault: fault.clone(),
            api_error,
        });
        let mut response = Response::builder()
            .status(status)
            .header("content-type", content_type);
        if let Some(Fault::RateLimited { retry_after_secs }) = fault {
            response = response.header("retry-after", retry_after_secs.to_string());
        }
        if let Some(location) = location {
            response = response.header("location", location);
        }
        let body: Body = if let Some(Fault::LargeBody {
            declare_length: false,
            ..
        }) = fault
        {
            // No Content-Length: hyper sends it chunked, so the client cannot know the
            // size before reading.
            let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = bytes
                .chunks(64 * 1024)
                .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
                .collect();
            BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames)))
        } else if fault == Some(Fault::ResetMidBody) {
            response = response.header("content-length", bytes.len().to_string());
            let half = bytes.slice(..bytes.len() / 2);
            let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
                Ok(Frame::data(half)),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected reset",
                )),
            ];
            BodyExt::boxed(StreamBody::new(futures_util::stream::iter(frames)))
        } else {
            Full::new(bytes).map_err(|never| match never {}).boxed()
        };
        response
            .body(body)
            .expect("static response parts are valid")
    }
}

fn route(path: &str) -> Option<Endpoint> {
    let rest = path.strip_prefix("/sharing/rest/")?;
    match rest.split('/').collect::<Vec<_>>().as_slice() {
        ["generateToken"] | ["oauth2", "token"] => Some(Endpoint::Token),
        ["portals", _, "history"] => Some(Endpoint::History),
        ["portals", _, "users"] => Some(Endpoint::Users),
        _ => None,
    }
}
