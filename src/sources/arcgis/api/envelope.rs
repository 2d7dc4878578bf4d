//! How an ArcGIS portal reports errors (reference §3.4): mostly as HTTP 200 with an
//! error object in the body, and token trouble as the non-standard statuses 498
//! (invalid or expired token) and 499 (token required). The shared HTTP client reads
//! every response with [`ERROR_FORMAT`].

use serde_json::Value;

use crate::http::{ErrorFormat, HttpError};

/// Handed to the HTTP client in `ArcgisSourceConfig::client_options`.
pub const ERROR_FORMAT: ErrorFormat = ErrorFormat {
    envelope: error_envelope,
    status_codes: &[498, 499],
};

/// 498 (invalid/expired token) or 499 (token required), as body code or status:
/// the caller renews its token once and retries the same request.
pub fn is_token_rejected(error: &HttpError) -> bool {
    matches!(error.code(), Some(498 | 499))
}

/// The ArcGIS error shapes (reference §3.4): `{"error":{"code","message","details"}}`,
/// admin-style `{"status":"error"|"failed","code","messages"}`, and billing-style
/// top-level `{"code": >= 400, "message"}`.
pub fn error_envelope(value: &Value) -> Option<(i64, String)> {
    let object = value.as_object()?;
    if let Some(error) = object.get("error").and_then(Value::as_object) {
        let code = error.get("code").and_then(code_of).unwrap_or(0);
        let mut message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let details: Vec<&str> = error
            .get("details")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !details.is_empty() {
            message = format!("{message} ({})", details.join("; "));
        }
        return Some((code, message));
    }
    let status = object.get("status").and_then(Value::as_str);
    let code = object.get("code").and_then(code_of);
    if matches!(status, Some("error" | "failed" | "failure")) || code.is_some_and(|c| c >= 400) {
        let message = ["message", "statusMessage"]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_str).map(str::to_string))
            .or_else(|| {
                object.get("messages").and_then(Value::as_array).map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            })
            .unwrap_or_default();
        return Some((code.unwrap_or(0), message));
    }
    None
}

/// Codes arrive as numbers, and occasionally as numeric strings.
fn code_of(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::is_transient_code;

    /// What the client does with a 200 carrying `body`: done, or retry/fail with a code.
    fn verdict(body: &str) -> (&'static str, Option<i64>) {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return ("retry", None);
        };
        match error_envelope(&value) {
            None => ("done", None),
            Some((code, _)) if is_transient_code(code) => ("retry", Some(code)),
            Some((code, _)) => ("fail", Some(code)),
        }
    }

    #[test]
    fn envelopes_under_200_are_errors() {
        let c = |body: &str| verdict(body);
        assert_eq!(c(r#"{"items":[]}"#), ("done", None));
        assert_eq!(
            c(r#"{"error":{"code":503,"message":"busy"}}"#),
            ("retry", Some(503))
        );
        assert_eq!(
            c(r#"{"error":{"code":"429","message":"slow down"}}"#),
            ("retry", Some(429))
        );
        assert_eq!(
            c(r#"{"error":{"code":403,"message":"no"}}"#),
            ("fail", Some(403))
        );
        assert_eq!(
            c(r#"{"error":{"code":498,"message":"Invalid token."}}"#),
            ("fail", Some(498))
        );
        assert_eq!(
            c(r#"{"status":"error","messages":["Token Expired."],"code":498}"#),
            ("fail", Some(498))
        );
        assert_eq!(c(r#"{"code":500,"message":"oops"}"#), ("retry", Some(500)));
        assert_eq!(c(r#"{"code":200,"items":[]}"#), ("done", None));
        assert_eq!(c("<html>truncated"), ("retry", None));
    }
}
