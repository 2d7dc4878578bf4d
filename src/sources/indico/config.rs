//! `IndicoSourceConfig`: what an `indico` source in a pipeline file says.
//!
//! The pipeline parser fills it (keys documented in `pipelines/indico.example.toml`);
//! tests build it directly. The API token is a reference (env var or file), resolved
//! when the source connects, so a rotated token is picked up by the next run.

use std::time::Duration;

use chrono::NaiveDate;

use crate::config::SecretRef;
use crate::extract::http::{ClientOptions, RetryPolicy};

pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The server's own default `limit` is 100; far larger pages risk gateway timeouts.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Changelog days re-read below the last archived day on every run: an entry written
/// late (a slow transaction, a clock skew) for a day already archived is picked up.
pub const DEFAULT_CHANGELOG_OVERLAP_DAYS: u32 = 2;
/// How far back a first run goes when `history_start` is not set.
pub const DEFAULT_HISTORY_DAYS: u64 = 30;

#[derive(Debug, Clone)]
pub struct IndicoSourceConfig {
    /// Unique per pipeline; the first folder level under the lake root.
    pub name: String,
    /// `app.indico.io` (no scheme); `host:port` is fine.
    pub host: String,
    /// `https` (default) or `http`.
    pub protocol: String,
    pub api_token: SecretRef,
    /// Only these users (with `user_emails`: users matching either list).
    pub user_ids: Vec<i32>,
    pub user_emails: Vec<String>,
    /// `limit` per page. Default [`DEFAULT_PAGE_SIZE`].
    pub page_size: u32,
    /// First UTC day a source with no archived day reads. None: 30 days before today.
    pub history_start: Option<NaiveDate>,
    /// See [`DEFAULT_CHANGELOG_OVERLAP_DAYS`].
    pub changelog_overlap_days: u32,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Also bounds the wait while the platform hibernates (503 + `Retry-After`):
    /// at most `max_attempts` tries, each wait capped at `max_retry_after`.
    pub retry: RetryPolicy,
}

impl IndicoSourceConfig {
    /// Defaults for everything but the name, the host and the token.
    pub fn new(name: impl Into<String>, host: impl Into<String>, api_token: SecretRef) -> Self {
        let client = ClientOptions::default();
        IndicoSourceConfig {
            name: name.into(),
            host: host.into(),
            protocol: "https".into(),
            api_token,
            user_ids: Vec::new(),
            user_emails: Vec::new(),
            page_size: DEFAULT_PAGE_SIZE,
            history_start: None,
            changelog_overlap_days: DEFAULT_CHANGELOG_OVERLAP_DAYS,
            connect_timeout: client.connect_timeout,
            request_timeout: client.request_timeout,
            // A hibernating platform takes a minute or two to wake: more patience than
            // the default five tries.
            retry: RetryPolicy {
                max_attempts: 8,
                max_retry_after: Duration::from_secs(180),
                ..client.retry
            },
        }
    }

    /// `protocol://host`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.protocol, self.host.trim_end_matches('/'))
    }

    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry.clone(),
        }
    }

    /// The `filters` variable, or JSON null when every user is wanted. Two lists name
    /// two sets of users to keep, so they are OR-ed (the Python client ANDs `userId`
    /// and `userEmail`, which for lists of different people matches nobody).
    pub fn filters(&self) -> serde_json::Value {
        use serde_json::json;
        match (self.user_ids.is_empty(), self.user_emails.is_empty()) {
            (true, true) => serde_json::Value::Null,
            (false, true) => json!({ "userId": self.user_ids }),
            (true, false) => json!({ "userEmail": self.user_emails }),
            (false, false) => json!({ "OR": [
                { "userId": self.user_ids },
                { "userEmail": self.user_emails }
            ]}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_or_the_two_lists() {
        let mut c = IndicoSourceConfig::new("i", "h", SecretRef::Env("T".into()));
        assert_eq!(c.filters(), serde_json::Value::Null);
        c.user_ids = vec![1, 2];
        assert_eq!(c.filters(), json!({"userId": [1, 2]}));
        c.user_emails = vec!["a@x".into()];
        assert_eq!(
            c.filters(),
            json!({"OR": [{"userId": [1, 2]}, {"userEmail": ["a@x"]}]})
        );
        assert_eq!(c.base_url(), "https://h");
    }
}
