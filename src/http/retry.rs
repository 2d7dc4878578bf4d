//! Retry policy: which failures are transient, how long to wait between attempts.

use std::time::{Duration, SystemTime};

/// Bounded retries with jittered exponential backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included. Default 5.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles per attempt. Default 500 ms.
    pub initial_backoff: Duration,
    /// Cap on one backoff. Default 30 s.
    pub max_backoff: Duration,
    /// Cap on an honoured `Retry-After`, so a hostile or buggy server cannot park the
    /// run for hours. Default 120 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failed_attempts + 1`: the server's `Retry-After` when it
    /// sent one (capped), else jittered exponential backoff.
    pub fn delay(&self, failed_attempts: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.max_retry_after),
            None => backoff_delay(self, failed_attempts, rand::random_range(0.0..1.0)),
        }
    }
}

/// Exponential backoff with "equal jitter": half the step is fixed, half is random, so
/// concurrent slices that failed together do not retry in lockstep, yet every retry
/// still waits at least half the nominal step. `unit` is a random number in [0, 1).
pub fn backoff_delay(policy: &RetryPolicy, failed_attempts: u32, unit: f64) -> Duration {
    let exponent = failed_attempts.saturating_sub(1).min(30);
    let step = policy
        .initial_backoff
        .saturating_mul(1u32 << exponent)
        .min(policy.max_backoff);
    let half = step / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// HTTP statuses (and API error codes that reuse them) worth retrying: rate limiting
/// and gateway/server hiccups (for one API's evidence: arcgisutils PR #99).
pub fn is_transient_code(code: i64) -> bool {
    matches!(code, 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date in
/// the past means "now". Anything else is ignored (the caller falls back to backoff).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is a valid RFC 2822 date.
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(
        u64::try_from(at.timestamp_millis()).ok()?,
    ))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(10),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = policy();
        assert_eq!(backoff_delay(&p, 1, 0.0), Duration::from_millis(50));
        assert_eq!(backoff_delay(&p, 1, 1.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(&p, 2, 0.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(&p, 3, 0.5), Duration::from_millis(300));
        // 100 ms * 2^9 is far past the cap.
        assert_eq!(backoff_delay(&p, 10, 1.0), Duration::from_millis(1000));
        assert_eq!(
            backoff_delay(&p, u32::MAX, 1.0),
            Duration::from_millis(1000)
        );
        for _ in 0..100 {
            let d = p.delay(2, None);
            assert!(
                d >= Duration::from_millis(100) && d <= Duration::from_millis(200),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:42 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(10)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn transient_codes() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_transient_code(code));
        }
        for code in [400, 403, 404, 498, 499, 501] {
            assert!(!is_transient_code(code));
        }
    }
}
