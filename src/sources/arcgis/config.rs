//! `[[sources]] kind = "arcgis"`: an ArcGIS Online organization or an ArcGIS Enterprise
//! portal. Credentials are parsed in `arcgis_auth.rs`; every key is documented in
//! `pipelines/arcgis.example.toml`.

mod auth;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use toml::de::DeValue;

use crate::config::parse::{Problems, Table};
use crate::config::{ForbiddenKey, SourceKind};
use crate::sources::arcgis::api::{
    ArcgisSourceConfig, HistoryFilters, SortOrder, DATASETS, DEFAULT_USER_FIELDS,
};
use crate::sources::session_settings::{self, SessionSettings};
use crate::sources::SourceConfig;
use crate::transform::sessions::LoginPolicy;

pub const DEFAULT_SLICE_HOURS: u32 = 24;
/// A month: wider windows only make a failed slice more expensive to redo.
pub const MAX_SLICE_HOURS: u32 = 744;
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Sharing-API rate limits are undocumented (reference §3.4); stay polite.
pub const MAX_CONCURRENCY: usize = 16;
pub const DEFAULT_OVERLAP_MINUTES: u32 = 60;
pub const MAX_OVERLAP_MINUTES: u32 = 7 * 24 * 60;
/// How far back a first run reads history when `history_start` is not set. Retention
/// is undocumented (assume ≤ 2 years, reference §1.6) and a busy org has millions of
/// events a year, so the default first run is short; set `history_start` to backfill.
pub const DEFAULT_HISTORY_DAYS: u64 = 30;
pub const MAX_REQUEST_TIMEOUT_SECONDS: u64 = 600;
pub const MAX_RETRIES: u32 = 10;
pub const MAX_RETRY_BACKOFF_MS: u64 = 60_000;
pub const MAX_RETRY_AFTER_SECONDS: u64 = 3_600;
pub const MAX_RESPONSE_MB: u64 = 1_024;
/// ArcGIS logs sign-ins but no sign-outs, and a portal logs one sign-in per browser tab or
/// token refresh: policy `same` (a sign-in while signed in is absorbed and counted), ended
/// two hours after the latest sign-in (ArcGIS Online's default web session, the token
/// lifetime).
pub const DEFAULT_SESSIONS: SessionSettings = SessionSettings {
    login_policy: LoginPolicy::Same,
    max_session_hours: 2,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArcgisPlatform {
    /// ArcGIS Online: org history, users, logins.
    Online,
    /// ArcGIS Enterprise: no history endpoint (reference §1.1), so users and logins only.
    Enterprise,
}

impl ArcgisPlatform {
    pub fn has_history(self) -> bool {
        self == ArcgisPlatform::Online
    }
}

/// `[[sources]] kind = "arcgis"`.
#[derive(Debug, Clone)]
pub struct ArcgisSource {
    pub platform: ArcgisPlatform,
    /// None means every dataset the platform has.
    pub datasets: Option<Vec<String>>,
    /// First local day (pipeline zone) of history for a source with no watermark yet.
    /// None: [`DEFAULT_HISTORY_DAYS`] before the run date.
    pub history_start: Option<NaiveDate>,
    /// What the extractor needs: name, portal, credentials, filters, paging, HTTP.
    pub portal: ArcgisSourceConfig,
    /// How sign-ins become `sessions` (default [`DEFAULT_SESSIONS`]).
    pub sessions: SessionSettings,
}

impl ArcgisSource {
    pub fn name(&self) -> &str {
        &self.portal.name
    }

    /// The datasets a run archives, in run order: the configured ones, or every dataset
    /// the platform has (`history` only on Online).
    pub fn datasets(&self) -> Vec<&str> {
        match &self.datasets {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => DATASETS
                .iter()
                .copied()
                .filter(|d| *d != "history" || self.platform.has_history())
                .collect(),
        }
    }
}

pub const KIND: SourceKind<SourceConfig> = SourceKind {
    name: "arcgis",
    keys: &[
        "portal_url",
        "platform",
        "org_id",
        "username",
        "password_env",
        "password_file",
        "referer",
        "token_expiration_minutes",
        "client_id",
        "client_secret_env",
        "client_secret_file",
        "token_env",
        "token_file",
        "datasets",
        "types",
        "actors",
        "owners",
        "actions",
        "ips",
        "sort_order",
        "slice_hours",
        "concurrency",
        "overlap_minutes",
        "history_start",
        "user_fields",
        "log_fields",
        "request_timeout_seconds",
        "max_retries",
        "retry_backoff_ms",
        "max_retry_after_seconds",
        "max_response_mb",
        session_settings::LOGIN_POLICY,
        session_settings::MAX_SESSION_HOURS,
    ],
    // Pipeline files get committed and copied around; credentials must not.
    forbidden: &[
        ForbiddenKey {
            key: "password",
            message: "inline passwords are not allowed; use password_env or password_file",
            hint: Some("password_env = \"ARCGIS_PASSWORD\", or password_file = \"secrets/arcgis.pw\" (relative to this file)"),
        },
        ForbiddenKey {
            key: "client_secret",
            message: "inline client secrets are not allowed; use client_secret_env or client_secret_file",
            hint: Some("client_secret_env = \"ARCGIS_CLIENT_SECRET\""),
        },
        ForbiddenKey {
            key: "token",
            message: "inline tokens are not allowed; use token_env or token_file",
            hint: Some("token_env = \"ARCGIS_TOKEN\""),
        },
    ],
    parse,
};

fn parse(p: &mut Problems, t: &Table, name: String, base_dir: &Path) -> Option<SourceConfig> {
    let portal_url = portal_url(p, t);
    let platform = t
        .choice(
            p,
            "platform",
            &[
                ("online", ArcgisPlatform::Online),
                ("enterprise", ArcgisPlatform::Enterprise),
            ],
        )
        .unwrap_or(ArcgisPlatform::Online);
    let org_id = org_id(p, t);
    let auth = auth::auth(p, t, base_dir, portal_url.as_deref());
    let datasets = datasets(p, t, platform);
    let history = HistoryFilters {
        types: filter(p, t, "types"),
        actors: filter(p, t, "actors"),
        owners: filter(p, t, "owners"),
        actions: filter(p, t, "actions"),
        ips: filter(p, t, "ips"),
        sort_order: t
            .choice(
                p,
                "sort_order",
                &[("asc", SortOrder::Asc), ("desc", SortOrder::Desc)],
            )
            .unwrap_or_default(),
    };
    let slice_hours = t.integer(p, "slice_hours", 1..=i64::from(MAX_SLICE_HOURS));
    let concurrency = t.integer(p, "concurrency", 1..=MAX_CONCURRENCY as i64);
    let overlap = t.integer(p, "overlap_minutes", 0..=i64::from(MAX_OVERLAP_MINUTES));
    let history_start = history_start(p, t);
    let user_fields = field_list(p, t, "user_fields", false);
    let log_fields = field_list(p, t, "log_fields", true);
    if let (Some(logged), Some(users)) = (&log_fields, &user_fields) {
        check_log_fields(p, t, logged, users);
    }
    let timeout = t.integer(
        p,
        "request_timeout_seconds",
        1..=MAX_REQUEST_TIMEOUT_SECONDS as i64,
    );
    let max_retries = t.integer(p, "max_retries", 0..=i64::from(MAX_RETRIES));
    let backoff_ms = t.integer(p, "retry_backoff_ms", 1..=MAX_RETRY_BACKOFF_MS as i64);
    let retry_after = t.integer(
        p,
        "max_retry_after_seconds",
        0..=MAX_RETRY_AFTER_SECONDS as i64,
    );
    let max_response_mb = t.integer(p, "max_response_mb", 1..=MAX_RESPONSE_MB as i64);
    let no_logouts = "ArcGIS logs no sign-outs, so its sessions end only by timeout";
    let sessions = session_settings::parse(p, t, DEFAULT_SESSIONS, Some(no_logouts));

    // Every integer below was range-checked above, so the casts cannot truncate.
    let mut portal = ArcgisSourceConfig::new(name, portal_url?, auth?);
    portal.org_id = org_id.unwrap_or_else(|| "self".into());
    portal.history = history;
    portal.slice_hours = slice_hours.map_or(DEFAULT_SLICE_HOURS, |h| h as u32);
    portal.concurrency = concurrency.map_or(DEFAULT_CONCURRENCY, |c| c as usize);
    portal.overlap_minutes = overlap.map_or(DEFAULT_OVERLAP_MINUTES, |m| m as u32);
    if let Some(Some(fields)) = user_fields {
        portal.user_fields = fields;
    }
    portal.log_fields = log_fields.flatten().unwrap_or_default();
    if let Some(seconds) = timeout {
        portal.request_timeout = Duration::from_secs(seconds as u64);
    }
    if let Some(retries) = max_retries {
        portal.retry.max_attempts = retries as u32 + 1;
    }
    if let Some(ms) = backoff_ms {
        portal.retry.initial_backoff = Duration::from_millis(ms as u64);
        // The cap stays at least the first step, so a long first backoff still doubles.
        portal.retry.max_backoff = portal.retry.max_backoff.max(portal.retry.initial_backoff);
    }
    if let Some(seconds) = retry_after {
        portal.retry.max_retry_after = Duration::from_secs(seconds as u64);
    }
    if let Some(mb) = max_response_mb {
        portal.max_response_bytes = (mb as usize) << 20;
    }
    Some(SourceConfig::Arcgis(Box::new(ArcgisSource {
        platform,
        datasets,
        history_start,
        portal,
        sessions,
    })))
}

/// An `http(s)://` URL with a host. Plain http only on this machine: generateToken
/// sends the password in the body and every request carries the token.
fn portal_url(p: &mut Problems, t: &Table) -> Option<String> {
    let text = t.required_string(p, "portal_url")?;
    let span = t.span("portal_url");
    let hint = Some(
        "e.g. \"https://myorg.maps.arcgis.com\" or \"https://gis.example.com/portal\"".to_owned(),
    );
    let problem = match reqwest::Url::parse(text) {
        Err(e) => Some(format!("not a URL ({e})")),
        Ok(url) if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() => {
            Some("must be an https:// URL with a host".into())
        }
        Ok(url) if url.query().is_some() || url.fragment().is_some() => {
            Some("must not carry a query string or fragment".into())
        }
        Ok(url)
            if url.scheme() == "http"
                && !matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) =>
        {
            Some("plain http would send the password and tokens unencrypted; use https://".into())
        }
        Ok(_) => None,
    };
    match problem {
        Some(message) => {
            p.report(span.as_ref(), t.key("portal_url"), message, hint);
            None
        }
        None => Some(text.to_owned()),
    }
}

fn org_id(p: &mut Problems, t: &Table) -> Option<String> {
    let id = t.string(p, "org_id")?;
    if id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Some(id.to_owned());
    }
    let span = t.span("org_id");
    let hint = Some("the organization id (Organization > Settings), or \"self\"".to_owned());
    p.report(span.as_ref(), t.key("org_id"), "is not an org id", hint);
    None
}

fn datasets(p: &mut Problems, t: &Table, platform: ArcgisPlatform) -> Option<Vec<String>> {
    crate::config::datasets::dataset_list(p, t, DATASETS, |dataset| {
        (dataset == "history" && !platform.has_history()).then(|| {
            let message = "ArcGIS Enterprise has no org history endpoint (Online only)";
            let hint = "remove \"history\": `logins` records sign-ins from users' lastLogin";
            (message.to_owned(), Some(hint.to_owned()))
        })
    })
}

/// A history filter: values are joined with commas into one request parameter, so a
/// value may not contain one.
fn filter(p: &mut Problems, t: &Table, name: &str) -> Vec<String> {
    let Some(listed) = t.string_list(p, name) else {
        return Vec::new();
    };
    let mut values = Vec::with_capacity(listed.len());
    for (i, (value, span)) in listed.into_iter().enumerate() {
        if value.is_empty() || value.contains(',') {
            let key = format!("{}[{i}]", t.key(name));
            let message =
                "must be one non-empty value without commas; list several as separate strings";
            p.report(Some(&span), key, message, None);
        } else {
            values.push(value.to_owned());
        }
    }
    values
}

/// `"2026-01-01"` or a bare TOML date `2026-01-01`.
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
        let hint =
            Some("history_start = \"2026-01-01\" (a day in the pipeline's time_zone)".to_owned());
        let message = "expected a date like \"2026-01-01\"";
        p.report(Some(&value.span()), t.key("history_start"), message, hint);
    }
    date
}

/// User field names: they become Parquet column names, so plain identifiers only.
/// `Some(None)` = absent; `None` = present but wrong (already reported).
fn field_list(
    p: &mut Problems,
    t: &Table,
    name: &str,
    may_be_empty: bool,
) -> Option<Option<Vec<String>>> {
    if t.value(name).is_none() {
        return Some(None);
    }
    let listed = t.string_list(p, name)?;
    if listed.is_empty() && !may_be_empty {
        let span = t.span(name);
        let hint = Some(format!("remove `{name}` for the default fields"));
        p.report(
            span.as_ref(),
            t.key(name),
            "must list at least one field",
            hint,
        );
        return None;
    }
    let mut fields: Vec<String> = Vec::with_capacity(listed.len());
    let mut ok = true;
    for (i, (field, span)) in listed.into_iter().enumerate() {
        let key = format!("{}[{i}]", t.key(name));
        let message = if !field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            "must be an ArcGIS user field name such as \"lastLogin\" (letters, digits, _)"
        } else if fields.iter().any(|seen| seen == field) {
            "is listed twice"
        } else {
            fields.push(field.to_owned());
            continue;
        };
        ok = false;
        p.report(Some(&span), key, message, None);
    }
    ok.then_some(Some(fields))
}

/// Each `logins` row copies its log fields from the users snapshot, so every one must be
/// a snapshot column (`username` and `lastLogin` always are).
fn check_log_fields(
    p: &mut Problems,
    t: &Table,
    logged: &Option<Vec<String>>,
    users: &Option<Vec<String>>,
) {
    let Some(logged) = logged else { return };
    let users: Vec<&str> = match users {
        Some(fields) => fields.iter().map(String::as_str).collect(),
        None => DEFAULT_USER_FIELDS.to_vec(),
    };
    for (i, field) in logged.iter().enumerate() {
        if field == "username" || field == "lastLogin" || users.contains(&field.as_str()) {
            continue;
        }
        let span = t.value("log_fields").and_then(|v| match v.get_ref() {
            DeValue::Array(items) => items.get(i).map(|item| item.span()),
            _ => None,
        });
        let key = format!("{}[{i}]", t.key("log_fields"));
        let message = format!("\"{field}\" is not one of user_fields, so logins cannot copy it");
        let hint = Some(format!("add \"{field}\" to user_fields"));
        p.report(span.as_ref(), key, message, hint);
    }
}
