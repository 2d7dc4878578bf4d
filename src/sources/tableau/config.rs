//! `[[sources]] kind = "tableau"`: the Tableau Server repository and its keys.

use std::path::Path;
use std::time::Duration;

use crate::config::parse::{Problems, Table};
use crate::config::{ForbiddenKey, SecretRef, SourceKind, SslMode};
use crate::sources::tableau::tables::DATASETS;
use crate::sources::SourceConfig;

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
}

impl TableauSource {
    /// The configured datasets, or every dataset the kind knows.
    pub fn datasets(&self) -> Vec<&str> {
        match &self.datasets {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => DATASETS.to_vec(),
        }
    }
}

pub const KIND: SourceKind = SourceKind {
    name: "tableau",
    keys: &[
        "host",
        "port",
        "database",
        "user",
        "password_env",
        "password_file",
        "sslmode",
        "datasets",
        "batch_rows",
        "lookback_minutes",
        "include_incomplete_jobs",
        "enrich",
        "connect_timeout_seconds",
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
        ],
    );
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

    // Every integer below was range-checked above, so the casts cannot truncate.
    Some(SourceConfig::Tableau(TableauSource {
        name,
        host: host?.to_owned(),
        port: port.map_or(DEFAULT_TABLEAU_PORT, |port| port as u16),
        database: database.to_owned(),
        user: user.to_owned(),
        password,
        sslmode: sslmode.unwrap_or(DEFAULT_SSLMODE),
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
    }))
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
