//! The fake's endpoints: tokens, history pages, users pages.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{json, Map, Value};

use super::{Call, Reply, State, ADMIN_PASSWORD, ADMIN_USERNAME, CLIENT_ID, CLIENT_SECRET, ORG_ID};

impl State {
    pub(super) fn mint(&self, path: &str, call: &Call) -> Reply {
        let p = |k: &str| call.params.get(k).map(String::as_str).unwrap_or("");
        let now = now_ms();
        let (ok, minutes, referer) = if path.ends_with("/generateToken") {
            let ok = p("username") == ADMIN_USERNAME && p("password") == ADMIN_PASSWORD;
            (
                ok,
                p("expiration").parse().unwrap_or(60),
                Some(p("referer").to_string()).filter(|r| !r.is_empty()),
            )
        } else {
            let ok = p("grant_type") == "client_credentials"
                && p("client_id") == CLIENT_ID
                && p("client_secret") == CLIENT_SECRET;
            (ok, 120, None)
        };
        if !ok {
            return Reply::Json(
                200,
                json!({"error": {"code": 400, "message": "Unable to generate token.", "details": ["Invalid username or password."]}}),
            );
        }
        let mut inner = self.lock();
        let token = format!("FAKETOKEN{:04}x{:x}", inner.issued.len() + 1, now);
        let expires = now + i64::from(minutes) * 60_000;
        inner
            .tokens
            .insert(token.clone(), (expires, referer.clone()));
        inner.issued.push(token.clone());
        if path.ends_with("/generateToken") {
            Reply::Json(
                200,
                json!({"token": token, "expires": expires, "ssl": false}),
            )
        } else {
            Reply::Json(
                200,
                json!({"access_token": token, "expires_in": i64::from(minutes) * 60}),
            )
        }
    }

    /// `None` when the token is good; otherwise the envelope ArcGIS would send.
    pub(super) fn check_token(&self, call: &Call) -> Option<Reply> {
        let Some(token) = &call.token else {
            return Some(Reply::Json(
                200,
                json!({"error": {"code": 499, "message": "Token Required"}}),
            ));
        };
        let inner = self.lock();
        match inner.tokens.get(token) {
            // A referer-bound token is only valid with the same Referer (reference §3.1).
            Some((expires, bound))
                if *expires > now_ms() && (bound.is_none() || *bound == call.referer) =>
            {
                None
            }
            _ => Some(Reply::Json(
                200,
                json!({"error": {"code": 498, "message": "Invalid token.", "details": ["Invalid token."]}}),
            )),
        }
    }

    pub(super) fn history(&self, path: &str, call: &Call) -> Reply {
        let p = |k: &str| call.params.get(k).map(String::as_str).unwrap_or("");
        if !path.contains(&format!("/portals/{ORG_ID}/")) && !path.contains("/portals/self/") {
            return Reply::Json(
                200,
                json!({"error": {"code": 400, "message": "Invalid org id"}}),
            );
        }
        let from = p("fromDate").parse().unwrap_or(i64::MIN);
        let to = p("toDate").parse().unwrap_or(i64::MAX);
        let num = p("num").parse::<usize>().unwrap_or(25).clamp(1, 100);
        let (ignore_filters, repeat, retained_from) = {
            let inner = self.lock();
            (
                inner.ignore_filters,
                inner.repeat_next_key,
                inner.retained_from,
            )
        };
        let list =
            |name: &str| -> Vec<&str> { p(name).split(',').filter(|s| !s.is_empty()).collect() };
        let filters = [
            ("types", "idType"),
            ("actors", "actor"),
            ("owners", "owner"),
            ("actions", "action"),
            ("ips", "ip"),
        ]
        .map(|(param, field)| (field, list(param)));
        let mut matching: Vec<&Map<String, Value>> = self
            .truth
            .events
            .iter()
            // Without all=true only org-targeted events (idType `a`) come back (§1.2).
            .filter(|e| p("all") == "true" || e["idType"] == "a")
            // toDate inclusive here: the real one is undocumented, so the client trims.
            .filter(|e| (from..=to).contains(&e["created"].as_i64().unwrap_or_default()))
            .filter(|e| e["created"].as_i64().unwrap_or_default() >= retained_from)
            .filter(|e| {
                ignore_filters
                    || filters.iter().all(|(field, wanted)| {
                        wanted.is_empty()
                            || wanted.contains(&e.get(*field).and_then(Value::as_str).unwrap_or(""))
                    })
            })
            .collect();
        if p("sortOrder") == "desc" {
            matching.reverse();
        }
        let position = match p("start") {
            "" => 0,
            key => match decode_key(key) {
                Some(position) => position,
                None => {
                    return Reply::Json(
                        200,
                        json!({"error": {"code": 400, "message": "Invalid start key"}}),
                    )
                }
            },
        };
        let page: Vec<Value> = matching
            .iter()
            .skip(position)
            .take(num)
            .map(|e| Value::Object((*e).clone()))
            .collect();
        let end = position + page.len();
        let mut body = json!({"num": page.len(), "items": page});
        if repeat && !p("start").is_empty() {
            body["nextKey"] = json!(p("start"));
        } else if end < matching.len() {
            body["nextKey"] = json!(encode_key(end, matching[end]));
        }
        Reply::Json(200, body)
    }

    pub(super) fn users(&self, call: &Call) -> Reply {
        let p = |k: &str| call.params.get(k).map(String::as_str).unwrap_or("");
        let start = p("start").parse::<usize>().unwrap_or(1).max(1);
        let num = p("num").parse::<usize>().unwrap_or(10).clamp(1, 100);
        let overrides = self.lock().last_login.clone();
        let total = self.truth.users.len();
        let users: Vec<Value> = self.truth.users
            [(start - 1).min(total)..(start - 1 + num).min(total)]
            .iter()
            .map(|u| {
                let mut u = u.clone();
                if let Some(ms) = u
                    .get("username")
                    .and_then(Value::as_str)
                    .and_then(|n| overrides.get(n))
                {
                    u.insert("lastLogin".into(), json!(ms));
                }
                Value::Object(u)
            })
            .collect();
        let next = start + users.len();
        let next_start = if next > total { -1 } else { next as i64 };
        Reply::Json(
            200,
            json!({"total": total, "start": start, "num": users.len(), "nextStart": next_start, "users": users}),
        )
    }
}

/// Opaque like the real key (base64url of a DynamoDB-style key, reference §1.5), with
/// the position this fake needs to resume.
fn encode_key(position: usize, event: &Map<String, Value>) -> String {
    let key = json!({"created": {"N": event["created"].to_string()}, "id": {"S": event["id"]}, "orgId": {"S": ORG_ID}, "pos": position});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_string())
}

fn decode_key(key: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    usize::try_from(value.get("pos")?.as_u64()?).ok()
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
