//! A fake Indico: a real HTTP server on 127.0.0.1 for the tests and the demo.
//!
//! Serves the token exchange (`POST /auth/users/refresh_token`) and the GraphQL
//! endpoint (`POST /graph/api/graphql`) from a deterministic [`Truth`], and misbehaves
//! the way the platform does: access tokens expire mid-paging (401), the platform
//! hibernates (503 with `Retry-After`), GraphQL errors arrive next to partial data, a
//! cursor fails to advance, `aggregateCount` disagrees, pages are slow. A query that
//! selects a field the schema lacks is rejected before it runs, as a real server does.
//! Every request is logged (tokens masked) so tests can assert on what was sent.

mod graph;
pub mod truth;

use std::collections::HashMap;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use chrono::NaiveDate;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

use serde_json::{json, Map, Value};

use crate::http::fake_server::{self, Body, FakeService};

pub use truth::{generate, Truth};

use super::graphql::{parse_operation, Schema};
use graph::PageArgs;

/// The API token the fake accepts.
pub const API_TOKEN: &str = "fake-indico-api-token-51c7";

/// A one-shot fault, fired by the n-th GraphQL request (1-based, retries included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Revoke every access token just before this request: it gets 401.
    ExpireTokens,
    /// HTTP 503 with `Retry-After` while the platform "wakes up".
    Hibernating { retry_after_secs: u64 },
    /// HTTP 200 with the real `data` and an `errors` entry (a resolver failed).
    GraphqlError { message: String },
    /// Answer with `endCursor` = the `after` asked for, and `hasNextPage`.
    RepeatCursor,
    /// `aggregateCount` one higher than the rows there are.
    WrongCount,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub path: String,
    /// `userSnapshot`, `userChangelog`, … (the first selected root field).
    pub field: Option<String>,
    pub variables: Map<String, Value>,
    pub status: u16,
    pub fault: Option<Fault>,
}

pub struct FakeIndico {
    truth: Truth,
}

impl FakeIndico {
    /// `users` users over `days` days from `first_day`; the same seed gives the same data.
    pub fn generate(users: usize, first_day: NaiveDate, days: u32, seed: u64) -> Self {
        FakeIndico {
            truth: truth::generate(users, first_day, days, seed),
        }
    }

    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    /// Binds 127.0.0.1:0 and serves until the handle is dropped. Returns `host:port`.
    pub async fn start(self) -> std::io::Result<(FakeIndicoHandle, String)> {
        let state = Arc::new(State {
            truth: self.truth,
            schema: Schema::indico(),
            inner: Mutex::default(),
        });
        let (server, address) = fake_server::serve(state.clone()).await?;
        let handle = FakeIndicoHandle {
            state,
            _server: server,
        };
        Ok((handle, address.to_string()))
    }
}

/// Controls and inspects a running fake; dropping it stops the server.
pub struct FakeIndicoHandle {
    state: Arc<State>,
    _server: fake_server::RunningServer,
}

impl FakeIndicoHandle {
    pub fn truth(&self) -> &Truth {
        &self.state.truth
    }

    /// Fire `fault` on the `nth` GraphQL request (1-based, counted since start).
    pub fn inject(&self, nth: u32, fault: Fault) {
        self.state.lock().faults.insert(nth, fault);
    }

    /// Delay before answering each GraphQL request.
    pub fn set_page_latency(&self, latency: Duration) {
        self.state.lock().latency = latency;
    }

    pub fn graphql_requests(&self) -> u32 {
        self.state.lock().graphql_count
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.lock().log.clone()
    }

    /// Every access token ever issued (to check none leaks into an error).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().issued.clone()
    }
}

#[derive(Default)]
struct Inner {
    faults: HashMap<u32, Fault>,
    graphql_count: u32,
    latency: Duration,
    valid: Vec<String>,
    issued: Vec<String>,
    log: Vec<LoggedRequest>,
    /// Rows of a paged answer per (field, date(s), filters): pages of one read come
    /// from one list, as a server's cursor over one result set would.
    pages: HashMap<String, Arc<Vec<Value>>>,
}

struct State {
    truth: Truth,
    schema: Schema,
    inner: Mutex<Inner>,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not wedge the fake for the others.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FakeService for State {
    async fn handle(&self, request: Request<Incoming>) -> Response<Body> {
        let path = request.uri().path().to_string();
        let bearer = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let is_post = request.method() == hyper::Method::POST;
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let mut logged = LoggedRequest {
            path: path.clone(),
            field: None,
            variables: Map::new(),
            status: 200,
            fault: None,
        };
        let (status, reply, retry_after) = match (is_post, path.as_str()) {
            (true, "/auth/users/refresh_token") => self.exchange(bearer.as_deref()),
            (true, "/graph/api/graphql") => {
                self.graphql(bearer.as_deref(), &body, &mut logged).await
            }
            _ => (
                404,
                json!({"error_type": "NotFound", "message": "no such route"}),
                None,
            ),
        };
        logged.status = status;
        self.lock().log.push(logged);
        let mut response = Response::builder()
            .status(status)
            .header("content-type", "application/json");
        if let Some(seconds) = retry_after {
            response = response.header("retry-after", seconds.to_string());
        }
        if let Some(token) = reply.get("auth_token").and_then(Value::as_str) {
            response = response.header("set-cookie", format!("auth_token={token}; HttpOnly"));
        }
        response
            .body(
                Full::new(Bytes::from(reply.to_string()))
                    .map_err(|never| match never {})
                    .boxed(),
            )
            .expect("static response parts are valid")
    }
}

impl State {
    fn exchange(&self, bearer: Option<&str>) -> (u16, Value, Option<u64>) {
        if bearer != Some(API_TOKEN) {
            return (
                401,
                json!({"error_type": "InvalidAuthentication", "message": "Invalid refresh token"}),
                None,
            );
        }
        let mut inner = self.lock();
        let token = format!(
            "fake-access-{}-{}",
            inner.issued.len() + 1,
            rand::random::<u32>()
        );
        inner.valid.push(token.clone());
        inner.issued.push(token.clone());
        (200, json!({ "auth_token": token }), None)
    }

    async fn graphql(
        &self,
        bearer: Option<&str>,
        body: &[u8],
        logged: &mut LoggedRequest,
    ) -> (u16, Value, Option<u64>) {
        let (fault, latency) = {
            let mut inner = self.lock();
            inner.graphql_count += 1;
            let n = inner.graphql_count;
            let fault = inner.faults.remove(&n);
            if fault == Some(Fault::ExpireTokens) {
                inner.valid.clear();
            }
            (fault, inner.latency)
        };
        logged.fault = fault.clone();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(Fault::Hibernating { retry_after_secs }) = fault {
            let message = "Platform is hibernating; it will be available shortly";
            return (
                503,
                json!({"error_type": "Hibernating", "message": message}),
                Some(retry_after_secs),
            );
        }
        let authorized = bearer.is_some_and(|t| self.lock().valid.iter().any(|v| v == t));
        if !authorized {
            let message = "Authentication credentials were invalid or expired";
            return (
                401,
                json!({"error_type": "AuthenticationFailed", "message": message}),
                None,
            );
        }
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return (
                400,
                json!({"errors": [{"message": "POST body is not JSON"}]}),
                None,
            );
        };
        let text = request.get("query").and_then(Value::as_str).unwrap_or("");
        let variables = request
            .get("variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        logged.variables = variables.clone();
        let operation = match parse_operation(text) {
            Ok(operation) => operation,
            Err(message) => return (200, json!({"errors": [{"message": message}]}), None),
        };
        let problems = self.schema.validate(&operation);
        if !problems.is_empty() {
            // Validation fails the whole document: no `data` at all.
            let errors: Vec<Value> = problems.iter().map(|m| json!({"message": m})).collect();
            return (200, json!({ "errors": errors }), None);
        }
        let mut data = Map::new();
        for selection in &operation.selections {
            logged.field.get_or_insert_with(|| selection.name.clone());
            let full = self.resolve(&selection.name, &variables, fault.as_ref());
            data.insert(
                selection.name.clone(),
                graph::project(&full, &selection.children),
            );
        }
        let mut reply = json!({ "data": data });
        if let Some(Fault::GraphqlError { message }) = &fault {
            reply["errors"] = json!([{"message": message, "path": [logged.field]}]);
        }
        (200, reply, None)
    }

    fn resolve(&self, field: &str, variables: &Map<String, Value>, fault: Option<&Fault>) -> Value {
        let truth = &self.truth;
        let args = PageArgs::from(variables);
        let repeat = fault == Some(&Fault::RepeatCursor);
        let skew = i64::from(fault == Some(&Fault::WrongCount));
        let filter_key = args
            .filters
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        match field {
            "userSummary" => {
                let Some(date) = graph::date_arg(variables, "date") else {
                    return Value::Null;
                };
                graph::summary_json(&truth.snapshot(date))
            }
            "userSnapshot" => {
                let Some(date) = graph::date_arg(variables, "date") else {
                    return Value::Null;
                };
                let rows = self.rows(format!("snapshot {date} {filter_key}"), || {
                    truth
                        .snapshot(date)
                        .iter()
                        .filter(|(u, _)| {
                            args.filters
                                .as_ref()
                                .is_none_or(|f| graph::matches(f, u.id, &u.email))
                        })
                        .map(|(u, s)| graph::user_json(u, s))
                        .collect()
                });
                graph::page_json(rows, &args, repeat, skew)
            }
            "userChangelog" => {
                let (Some(from), Some(to)) = (
                    graph::date_arg(variables, "sdate"),
                    graph::date_arg(variables, "edate"),
                ) else {
                    return Value::Null;
                };
                let rows = self.rows(format!("changelog {from} {to} {filter_key}"), || {
                    truth
                        .changes_between(from, to)
                        .into_iter()
                        .filter(|c| {
                            let email = truth
                                .user(c.user_id)
                                .map(|u| u.email.as_str())
                                .unwrap_or("");
                            args.filters
                                .as_ref()
                                .is_none_or(|f| graph::matches(f, c.user_id, email))
                        })
                        .map(|c| graph::change_json(truth, c))
                        .collect()
                });
                graph::page_json(rows, &args, repeat, skew)
            }
            _ => Value::Null,
        }
    }

    fn rows(&self, key: String, build: impl FnOnce() -> Vec<Value>) -> Arc<Vec<Value>> {
        if let Some(rows) = self.lock().pages.get(&key) {
            return rows.clone();
        }
        let rows = Arc::new(build());
        let mut inner = self.lock();
        // Bounded: a 30-day backfill of 10,000 users would otherwise keep every day.
        if inner.pages.len() > 8 {
            inner.pages.clear();
        }
        inner.pages.insert(key, rows.clone());
        rows
    }
}
