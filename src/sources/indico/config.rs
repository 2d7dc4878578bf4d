//! `[[sources]] kind = "indico"`: the pipeline-file section ([`KIND`], [`IndicoSource`])
//! and [`IndicoSourceConfig`], what the reader needs. Every key is documented in
//! `pipelines/indico.example.toml`; tests build the config directly. The API token is a
//! reference (env var or file), resolved when the source connects, so a rotated token
//! is picked up by the next run.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use toml::de::DeValue;

use super::DATASETS;
use crate::config::parse::{Problems, Table};
use crate::config::{parse_secret_ref, ForbiddenKey, SecretRef, SourceKind};
use crate::http::{ClientOptions, RetryPolicy};
use crate::sources::SourceConfig;

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

    /// GraphQL errors arrive as `errors` next to `data` (HTTP 200): the client reads
    /// them itself (`client::decode`), so the shared client knows no envelope.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry.clone(),
            ..ClientOptions::default()
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

pub const MAX_OVERLAP_DAYS: i64 = 31;
pub const MAX_REQUEST_TIMEOUT_SECONDS: i64 = 600;
pub const MAX_RETRIES: i64 = 20;

/// `[[sources]] kind = "indico"`.
#[derive(Debug, Clone)]
pub struct IndicoSource {
    /// None means every dataset.
    pub datasets: Option<Vec<String>>,
    pub config: IndicoSourceConfig,
}

impl IndicoSource {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The configured datasets narrowed by `--dataset` (empty: all), in run order.
    pub fn selected<'a>(&'a self, requested: &[String]) -> Vec<&'a str> {
        self.datasets()
            .into_iter()
            .filter(|d| requested.is_empty() || requested.iter().any(|r| r == d))
            .collect()
    }

    /// The datasets a run archives, in run order.
    pub fn datasets(&self) -> Vec<&str> {
        match &self.datasets {
            Some(list) => DATASETS
                .iter()
                .copied()
                .filter(|d| list.iter().any(|l| l == d))
                .collect(),
            None => DATASETS.to_vec(),
        }
    }
}

pub const KIND: SourceKind<SourceConfig> = SourceKind {
    name: "indico",
    keys: &[
        "host",
        "protocol",
        "api_token_env",
        "api_token_file",
        "user_ids",
        "user_emails",
        "page_size",
        "history_start",
        "changelog_overlap_days",
        "datasets",
        "request_timeout_seconds",
        "max_retries",
    ],
    // Pipeline files get committed and copied around; tokens must not.
    forbidden: &[ForbiddenKey {
        key: "api_token",
        message: "inline API tokens are not allowed; use api_token_env or api_token_file",
        hint: Some("api_token_env = \"INDICO_API_TOKEN\", or api_token_file = \"secrets/indico_api_token.txt\" (relative to this file)"),
    }],
    parse,
};

fn parse(p: &mut Problems, t: &Table, name: String, base_dir: &Path) -> Option<SourceConfig> {
    let host = host(p, t);
    let protocol = t
        .choice(p, "protocol", &[("https", "https"), ("http", "http")])
        .unwrap_or("https");
    if protocol == "http" {
        if let Some(host) = &host {
            let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
            if !matches!(bare, "127.0.0.1" | "localhost" | "[::1]") {
                let span = t.span("protocol");
                let message = "plain http would send the API token unencrypted; use https";
                p.report(span.as_ref(), t.key("protocol"), message, None);
            }
        }
    }
    let api_token = parse_secret_ref(p, t, base_dir, "api_token", "INDICO_API_TOKEN");
    let user_ids = user_ids(p, t);
    let user_emails = user_emails(p, t);
    let page_size = t.integer(p, "page_size", 1..=i64::from(MAX_PAGE_SIZE));
    let history_start = history_start(p, t);
    let overlap = t.integer(p, "changelog_overlap_days", 0..=MAX_OVERLAP_DAYS);
    let datasets = crate::config::datasets::dataset_list(p, t, DATASETS, |_| None);
    let timeout = t.integer(
        p,
        "request_timeout_seconds",
        1..=MAX_REQUEST_TIMEOUT_SECONDS,
    );
    let max_retries = t.integer(p, "max_retries", 0..=MAX_RETRIES);

    // Integers were range-checked above, so the casts cannot truncate.
    let mut config = IndicoSourceConfig::new(name, host?, api_token?);
    config.protocol = protocol.to_string();
    config.user_ids = user_ids;
    config.user_emails = user_emails;
    config.page_size = page_size.map_or(DEFAULT_PAGE_SIZE, |n| n as u32);
    config.history_start = history_start;
    if let Some(days) = overlap {
        config.changelog_overlap_days = days as u32;
    }
    if let Some(seconds) = timeout {
        config.request_timeout = Duration::from_secs(seconds as u64);
    }
    if let Some(retries) = max_retries {
        config.retry.max_attempts = retries as u32 + 1;
    }
    Some(SourceConfig::Indico(Box::new(IndicoSource {
        datasets,
        config,
    })))
}

/// A host name with an optional port: no scheme, path or credentials.
fn host(p: &mut Problems, t: &Table) -> Option<String> {
    let text = t.required_string(p, "host")?;
    let problem = if text.contains("://") {
        Some("must be a host name without a scheme; set protocol = \"http\" for plain http")
    } else if text.contains(['/', '?', '#', '@', ' ']) {
        Some("must be a host name (optionally with :port), without a path")
    } else {
        None
    };
    match problem {
        Some(message) => {
            let span = t.span("host");
            let hint = Some("host = \"app.indico.io\"".to_owned());
            p.report(span.as_ref(), t.key("host"), message, hint);
            None
        }
        None => Some(text.to_owned()),
    }
}

fn user_ids(p: &mut Problems, t: &Table) -> Vec<i32> {
    let Some(value) = t.value("user_ids") else {
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        let message = format!(
            "expected an array of user ids, found {}",
            value.get_ref().type_str()
        );
        p.report(Some(&value.span()), t.key("user_ids"), message, None);
        return Vec::new();
    };
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = match item.get_ref() {
            DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix())
                .ok()
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| *n > 0),
            _ => None,
        };
        match id {
            Some(id) => ids.push(id),
            None => p.report(
                Some(&item.span()),
                format!("{}[{i}]", t.key("user_ids")),
                "must be a positive user id (an integer)",
                None,
            ),
        }
    }
    ids
}

fn user_emails(p: &mut Problems, t: &Table) -> Vec<String> {
    let Some(listed) = t.string_list(p, "user_emails") else {
        return Vec::new();
    };
    let mut emails = Vec::with_capacity(listed.len());
    for (i, (email, span)) in listed.into_iter().enumerate() {
        if email.contains('@') && !email.contains(char::is_whitespace) {
            emails.push(email.to_owned());
        } else {
            let key = format!("{}[{i}]", t.key("user_emails"));
            p.report(Some(&span), key, "is not an email address", None);
        }
    }
    emails
}

/// `"2026-01-01"` or a bare TOML date `2026-01-01`: a UTC day, as the API's dates are.
fn history_start(p: &mut Problems, t: &Table) -> Option<NaiveDate> {
    let value = t.value("history_start")?;
    let date = match value.get_ref() {
        DeValue::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt
            .date
            .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())),
        _ => None,
    };
    if date.is_none() {
        let hint = Some("history_start = \"2026-01-01\" (a UTC day)".to_owned());
        let message = "expected a date like \"2026-01-01\"";
        p.report(Some(&value.span()), t.key("history_start"), message, hint);
    }
    date
}

#[cfg(test)]
mod unit_tests {
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

#[cfg(test)]
mod tests;
