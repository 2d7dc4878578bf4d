//! The faults the fake portal can inject, when they fire, and what each does to a reply.
//!
//! Each one is a misbehaviour a real portal or the proxies in front of it show
//! (reference §3.4, §6): rate limits, gateway errors, resets, revoked tokens, truncated
//! or HTML bodies, a repeated paging cursor, redirects elsewhere, oversized bodies.

use std::collections::HashMap;

use bytes::Bytes;

use super::Endpoint;

/// A fault fired by the n-th request to an endpoint (one-shot), or by every n-th one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: <secs>` and an error envelope.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 503 with a plain-text body.
    Unavailable,
    /// HTTP 200 with the real body's `Content-Length`, half the body, then a closed
    /// connection.
    ResetMidBody,
    /// Revoke every issued token just before handling the request: the client sees 498
    /// in a 200 body, as ArcGIS sends it.
    ExpireTokens,
    /// HTTP 200 carrying `{"error":{"code","message"}}`.
    ErrorEnvelope { code: i64, message: String },
    /// A complete HTTP 200 whose JSON body is cut in half (a proxy that truncated it):
    /// `Content-Length` matches what is sent, so only the JSON is broken.
    InvalidJson,
    /// This body, verbatim, as `application/json` with this status: JSON of the wrong
    /// shape, an envelope without a code, anything a test needs.
    Raw { status: u16, body: String },
    /// An HTML error page, as a load balancer or proxy serves it, with this status
    /// (200 included: some proxies do).
    HtmlPage { status: u16 },
    /// History: answer with `nextKey` equal to the request's `start` (the cursor just
    /// used) instead of the next one. A first page (no `start`) is served normally.
    RepeatNextKey,
    /// Answer with this redirect status and `Location`, without handling the request.
    Redirect { status: u16, location: String },
    /// The real reply plus a `padding` string making the body at least `bytes` long;
    /// sent with `Content-Length` or, when `declare_length` is false, chunked.
    LargeBody { bytes: usize, declare_length: bool },
}

/// One-shot faults by request number, and periodic ones (every n-th request).
#[derive(Default)]
pub(super) struct FaultPlan {
    once: HashMap<(Endpoint, u32), Fault>,
    /// Checked in insertion order; the first period dividing the request number wins.
    every: Vec<(Endpoint, u32, Fault)>,
}

impl FaultPlan {
    pub(super) fn once(&mut self, endpoint: Endpoint, nth: u32, fault: Fault) {
        self.once.insert((endpoint, nth), fault);
    }

    pub(super) fn every(&mut self, endpoint: Endpoint, period: u32, fault: Fault) {
        self.every.push((endpoint, period.max(1), fault));
    }

    /// The fault for request `n` (1-based) to `endpoint`, if any. One-shot faults win.
    pub(super) fn take(&mut self, endpoint: Endpoint, n: u32) -> Option<Fault> {
        if let Some(fault) = self.once.remove(&(endpoint, n)) {
            return Some(fault);
        }
        self.every
            .iter()
            .find(|(e, period, _)| *e == endpoint && n.is_multiple_of(*period))
            .map(|(_, _, fault)| fault.clone())
    }
}

/// `body` with a `"padding"` member that makes it at least `bytes` long; a body that is
/// not a JSON object is padded with spaces (still valid JSON).
pub(super) fn pad(body: &Bytes, bytes: usize) -> Bytes {
    let missing = bytes.saturating_sub(body.len());
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.insert("padding".into(), "x".repeat(missing).into());
            Bytes::from(serde_json::Value::Object(map).to_string())
        }
        _ => {
            let mut padded = body.to_vec();
            padded.resize(body.len() + missing, b' ');
            Bytes::from(padded)
        }
    }
}

/// What a proxy's error page looks like.
pub(super) fn html_page(status: u16) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>{status} Bad Gateway</title></head>\
         <body><h1>Bad Gateway</h1><p>The proxy server received an invalid response \
         from an upstream server.</p></body></html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_wins_then_first_matching_period() {
        let mut plan = FaultPlan::default();
        plan.every(Endpoint::History, 7, Fault::Unavailable);
        plan.every(Endpoint::History, 2, Fault::InvalidJson);
        plan.once(Endpoint::History, 14, Fault::ExpireTokens);
        assert_eq!(plan.take(Endpoint::History, 1), None);
        assert_eq!(plan.take(Endpoint::History, 2), Some(Fault::InvalidJson));
        assert_eq!(plan.take(Endpoint::History, 14), Some(Fault::ExpireTokens));
        assert_eq!(plan.take(Endpoint::History, 14), Some(Fault::Unavailable));
        assert_eq!(plan.take(Endpoint::Users, 14), None);
    }

    #[test]
    fn padding_keeps_json_valid() {
        let padded = pad(&Bytes::from_static(br#"{"items":[]}"#), 1000);
        assert!(padded.len() >= 1000);
        let value: serde_json::Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(value["items"], serde_json::json!([]));
    }
}
