//! `[[sources]] kind = "tableau"`: the Tableau Server repository and its keys.

#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use crate::config::parse::{Problems, Table};
use crate::config::{ForbiddenKey, SecretRef, SourceKind, SslMode};
use crate::sources::session_settings::{self, SessionSettings};
use crate::sources::tableau::tables::DATASETS;
use crate::sources::SourceConfig;
use crate::transform::sessions::LoginPolicy;

/// The repository's port (Tableau: `tsm data-access repository-access enable`).
pub const DEFAULT_TABLEAU_PORT: u16 = 8060;
pub const DEFAULT_TABLEAU_DATABASE: &str = "workgroup";
/// The account Tableau recommends for reading the repository tables.
pub const DEFAULT_TABLEAU_USER: &str = "readonly";
pub const DEFAULT_SSLMODE: SslMode = SslMode::Prefer;
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
pub const MAX_BATCH_ROWS: usize = 1_000_000;
pub const DEFAULT_LOOKBACK_MINUTES: u64 = 60;
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: u64 = 10;
pub const MAX_CONNECT_TIMEOUT_SECONDS: u64 = 600;
/// A first run's COPY of a big http_requests (tens of millions of rows) takes minutes;
/// an hour leaves room for slow servers while bounding a stuck one.
pub const DEFAULT_STATEMENT_TIMEOUT_SECONDS: u64 = 3600;
/// Between statements the client only writes the lake; ten idle minutes means the lake's
/// file system is stuck, and the locks must go back to Tableau.
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: u64 = 600;
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
/// PostgreSQL takes these settings in ms as a 32-bit int.
const MAX_SESSION_TIMEOUT_SECONDS: i64 = i32::MAX as i64 / 1000;

/// `[[sources]] kind = "tableau"`: the Tableau Server repository ("workgroup" database).
#[derive(Debug, Clone)]
pub struct TableauSource {
    /// Unique per pipeline; the first folder level under the lake root.
    pub name: String,
    pub host: String,
    /// Default 8060.
    pub port: u16,
    /// Default `workgroup`.
    pub database: String,
    /// Default `readonly`.
    pub user: String,
    /// None: no password (trust/peer auth, e.g. the demo).
    pub password: Option<SecretRef>,
    pub sslmode: SslMode,
    /// PEM certificate(s) that `verify-ca`/`verify-full` trust (relative paths are
    /// relative to the pipeline file): the repository's `server.crt`, or its CA.
    pub root_cert_file: Option<std::path::PathBuf>,
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
    /// Connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// `statement_timeout` of the snapshot transaction. Default 1 hour.
    pub statement_timeout: Duration,
    /// `idle_in_transaction_session_timeout` of the snapshot transaction. Default 10 min.
    pub idle_in_transaction_timeout: Duration,
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
    let password = password(p, t, base_dir);
    let sslmode = t.choice(
        p,
        "sslmode",
        &[
            ("disable", SslMode::Disable),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyCa),
            ("verify-full", SslMode::VerifyFull),
        ],
    );
    let root_cert_file = t.string(p, "root_cert_file").map(|f| base_dir.join(f));
    if matches!(sslmode, Some(SslMode::VerifyCa | SslMode::VerifyFull)) && root_cert_file.is_none()
    {
        let span = t.span("sslmode");
        let message = "verify-ca and verify-full need root_cert_file, the certificate to trust";
        let hint = Some(
            "root_cert_file = \"certs/tableau-repository.crt\" (Tableau: the repository's \
             server.crt after `tsm security repository-ssl enable`)"
                .to_owned(),
        );
        p.report(span.as_ref(), t.key("sslmode"), message, hint);
    }
    let datasets = datasets(p, t);
    let batch_rows = t.integer(p, "batch_rows", 1..=MAX_BATCH_ROWS as i64);
    let lookback_minutes = t.integer(p, "lookback_minutes", 0..=i64::MAX);
    let include_incomplete_jobs = t.boolean(p, "include_incomplete_jobs");
    let enrich = t.boolean(p, "enrich");
    let connect_timeout = t.integer(
        p,
        "connect_timeout_seconds",
        1..=MAX_CONNECT_TIMEOUT_SECONDS as i64,
    );

    let statement_timeout = t.integer(
        p,
        "statement_timeout_seconds",
        1..=MAX_SESSION_TIMEOUT_SECONDS,
    );
    let idle_timeout = t.integer(
        p,
        "idle_in_transaction_timeout_seconds",
        1..=MAX_SESSION_TIMEOUT_SECONDS,
    );
    let sessions = session_settings::parse(p, t, DEFAULT_SESSIONS, None);

    // Every integer below was range-checked above, so the casts cannot truncate.
    Some(SourceConfig::Tableau(Box::new(TableauSource {
        name,
        host: host?.to_owned(),
        port: port.map_or(DEFAULT_TABLEAU_PORT, |port| port as u16),
        database: database.to_owned(),
        user: user.to_owned(),
        password,
        sslmode: sslmode.unwrap_or(DEFAULT_SSLMODE),
        root_cert_file,
        datasets,
        batch_rows: batch_rows.map_or(DEFAULT_BATCH_ROWS, |rows| rows as usize),
        lookback: Duration::from_secs(
            lookback_minutes
                .map_or(DEFAULT_LOOKBACK_MINUTES, |minutes| minutes as u64)
                .saturating_mul(60),
        ),
        include_incomplete_jobs: include_incomplete_jobs.unwrap_or(false),
        enrich: enrich.unwrap_or(true),
        connect_timeout: Duration::from_secs(
            connect_timeout.map_or(DEFAULT_CONNECT_TIMEOUT_SECONDS, |s| s as u64),
        ),
        statement_timeout: Duration::from_secs(
            statement_timeout.map_or(DEFAULT_STATEMENT_TIMEOUT_SECONDS, |s| s as u64),
        ),
        idle_in_transaction_timeout: Duration::from_secs(
            idle_timeout.map_or(DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS, |s| s as u64),
        ),
        sessions,
    })))
}

fn password(p: &mut Problems, t: &Table, base_dir: &Path) -> Option<SecretRef> {
    let env = t.string(p, "password_env");
    let file = t.string(p, "password_file");
    if t.value("password_env").is_some() && t.value("password_file").is_some() {
        let span = t.span("password_file");
        let message = "set either password_env or password_file, not both";
        p.report(span.as_ref(), t.key("password_file"), message, None);
        return None;
    }
    if let Some(var) = env {
        // A value that cannot be a variable name is most likely the password itself,
        // pasted into the wrong key: say so without repeating it.
        let is_var_name = var
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
        if !is_var_name {
            let span = t.span("password_env");
            let message = "must be the name of an environment variable (letters, digits, _), not the password itself";
            let hint = Some("password_env = \"TABLEAU_REPO_PASSWORD\"".to_owned());
            p.report(span.as_ref(), t.key("password_env"), message, hint);
            return None;
        }
        return Some(SecretRef::Env(var.to_owned()));
    }
    file.map(|file| SecretRef::File(base_dir.join(file)))
}

fn datasets(p: &mut Problems, t: &Table) -> Option<Vec<String>> {
    crate::config::datasets::dataset_list(p, t, DATASETS, |_| None)
}
