//! What one complete response means: done, worth another attempt, or final.

use std::time::Duration;

use serde_json::Value;

use super::client::ErrorFormat;
use super::error::HttpErrorKind;
use super::retry::is_transient_code;

/// Outcome of one attempt: done, worth another attempt (with the server's wish on when),
/// or final.
pub(super) enum Attempt {
    Done(Value),
    Retry(HttpErrorKind, Option<Duration>),
    Fail(HttpErrorKind),
}

pub(super) fn transport(e: reqwest::Error) -> Attempt {
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
pub(super) fn classify(
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
    fn statuses() {
        let c = |status, body: &[u8]| kind_of(classify(status, body, None, &FAULTS));
        assert_eq!(c(503, b""), ("retry", None));
        assert_eq!(c(429, b"{}"), ("retry", None));
        assert_eq!(c(404, b"not here"), ("fail", None));
        assert_eq!(c(498, b""), ("fail", Some(498)));
    }
}
