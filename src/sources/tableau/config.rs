//! `[[sources]] kind = "tableau"`: the Tableau Server repository and its keys.

#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use crate::config::parse::{Problems, Table};
use crate::config::pg_connection::{self, ConnectionHints, PgConnection};
use crate::config::{ForbiddenKey, SourceKind};
use crate::sources::session_settings::{self, SessionSettings};
use crate::sources::tableau::tables::DATASETS;
use crate::sources::SourceConfig;
use crate::transform::sessions::LoginPolicy;

/// The repository's port (Tableau: `tsm data-access repository-access enable`).
pub const DEFAULT_TABLEAU_PORT: u16 = 8060;
pub const DEFAULT_TABLEAU_DATABASE: &str = "workgroup";
/// The account Tableau recommends for reading the repository tables.
pub const DEFAULT_TABLEAU_USER: &str = "readonly";
pub use crate::config::pg_connection::{
    DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS, DEFAULT_SSLMODE,
    DEFAULT_STATEMENT_TIMEOUT_SECONDS, MAX_CONNECT_TIMEOUT_SECONDS,
};
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
pub const MAX_BATCH_ROWS: usize = 1_000_000;
pub const DEFAULT_LOOKBACK_MINUTES: u64 = 60;
const HINTS: ConnectionHints = ConnectionHints {
    password_env: "TABLEAU_REPO_PASSWORD",
    root_cert_file: "root_cert_file = \"certs/tableau-repository.crt\" (Tableau: the repository's \
                     server.crt after `tsm security repository-ssl enable`)",
};
/// Login/Logout events → `sessions`. Tableau logs a Login per sign-in (each browser,
/// each SSO round trip) and a Logout only when the user signs out; most web sessions end
/// by the server's idle limit instead (`wgserver.session.idle_limit`, 240 minutes by
/// default). So: policy `same` (a sign-in while signed in is absorbed and counted), ended
/// four hours after the latest sign-in unless a Logout comes first.
pub const DEFAULT_SESSIONS: SessionSettings = SessionSettings {
    login_policy: LoginPolicy::Same,
    max_session_hours: 4,
};
/// What `sessions` are derived from (all three are default datasets).
pub const SESSION_DATASETS: [&str; 3] =
    ["historical_events", "historical_event_types", "hist_users"];

/// `[[sources]] kind = "tableau"`: the Tableau Server repository ("workgroup" database).
#[derive(Debug, Clone)]
pub struct TableauSource {
    /// Unique per pipeline; the first folder level under the lake root.
    pub name: String,
    /// Port default 8060, database `workgroup`, user `readonly`.
    pub connection: PgConnection,
    /// None means every dataset the source kind knows.
    pub datasets: Option<Vec<String>>,
    /// Rows per Arrow batch coming out of the extractor. Default 65 536.
    pub batch_rows: usize,
    /// How far below the watermark each run re-reads, in event time. Default 1 hour.
    pub lookback: Duration,
    /// background_jobs: archive jobs that have not completed yet. Default false.
    pub include_incomplete_jobs: bool,
    /// Rebuild the derived datasets (`requests_enriched`, `logins`, `usage_daily`,
    /// `extracts_workbooks`) after each run. Default true.
    pub enrich: bool,
    /// How Login/Logout events become `sessions` (default [`DEFAULT_SESSIONS`]).
    pub sessions: SessionSettings,
}

impl TableauSource {
    /// The configured datasets, or every dataset the kind knows.
    pub fn datasets(&self) -> Vec<&str> {
        match &self.datasets {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => DATASETS.to_vec(),
        }
    }

    /// `auth_events` and `sessions` are derived when every dataset they come from is
    /// archived ([`SESSION_DATASETS`]).
    pub fn has_sessions(&self) -> bool {
        let datasets = self.datasets();
        SESSION_DATASETS.iter().all(|d| datasets.contains(d))
    }
}

pub const KIND: SourceKind<SourceConfig> = SourceKind {
    name: "tableau",
    keys: &[
        "host",
        "port",
        "database",
        "user",
        "password_env",
        "password_file",
        "sslmode",
        "root_cert_file",
        "datasets",
        "batch_rows",
        "lookback_minutes",
        "include_incomplete_jobs",
        "enrich",
        "connect_timeout_seconds",
        "statement_timeout_seconds",
        "idle_in_transaction_timeout_seconds",
        session_settings::LOGIN_POLICY,
        session_settings::MAX_SESSION_HOURS,
    ],
    forbidden: &[ForbiddenKey {
        key: "password",
        // Pipeline files get committed and copied around; the password must not.
        message: "inline passwords are not allowed; use password_env or password_file",
        hint: Some("password_env = \"TABLEAU_REPO_PASSWORD\", or password_file = \"secrets/tableau.pw\" (relative to this file)"),
    }],
    parse,
};

fn parse(p: &mut Problems, t: &Table, name: String, base_dir: &Path) -> Option<SourceConfig> {
    let host = t.required_string(p, "host");
    let port = t.integer(p, "port", 1..=i64::from(u16::MAX));
    let database = t.string(p, "database").unwrap_or(DEFAULT_TABLEAU_DATABASE);
    let user = t.string(p, "user").unwrap_or(DEFAULT_TABLEAU_USER);
    let (password, (sslmode, root_cert_file)) = (
        pg_connection::password(p, t, base_dir, &HINTS),
        pg_connection::tls(p, t, base_dir, &HINTS),
    );
    let datasets = datasets(p, t);
    let batch_rows = t.integer(p, "batch_rows", 1..=MAX_BATCH_ROWS as i64);
    let lookback_minutes = t.integer(p, "lookback_minutes", 0..=i64::MAX);
    let include_incomplete_jobs = t.boolean(p, "include_incomplete_jobs");
    let enrich = t.boolean(p, "enrich");
    let (connect_timeout, statement_timeout, idle_in_transaction_timeout) =
        pg_connection::timeouts(p, t);
    let sessions = session_settings::parse(p, t, DEFAULT_SESSIONS, None);

    // Every integer below was range-checked above, so the casts cannot truncate.
    Some(SourceConfig::Tableau(Box::new(TableauSource {
        name,
        connection: PgConnection {
            host: host?.to_owned(),
            port: port.map_or(DEFAULT_TABLEAU_PORT, |port| port as u16),
            database: database.to_owned(),
            user: user.to_owned(),
            password,
            sslmode: sslmode.unwrap_or(DEFAULT_SSLMODE),
            root_cert_file,
            connect_timeout,
            statement_timeout,
            idle_in_transaction_timeout,
        },
        datasets,
        batch_rows: batch_rows.map_or(DEFAULT_BATCH_ROWS, |rows| rows as usize),
        lookback: Duration::from_secs(
            lookback_minutes
                .map_or(DEFAULT_LOOKBACK_MINUTES, |minutes| minutes as u64)
                .saturating_mul(60),
        ),
        include_incomplete_jobs: include_incomplete_jobs.unwrap_or(false),
        enrich: enrich.unwrap_or(true),
        sessions,
    })))
}

fn datasets(p: &mut Problems, t: &Table) -> Option<Vec<String>> {
    crate::config::datasets::dataset_list(p, t, DATASETS, |_| None)
}
