//! The connection keys every PostgreSQL source kind shares (`tableau`, `postgres`):
//! password references, `sslmode` with its certificate, and session timeouts, read with
//! file:line problems like every other key, and the [`PgConnection`] they make.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::parse::{Problems, Table};
use super::{SecretRef, SslMode};

pub const DEFAULT_SSLMODE: SslMode = SslMode::Prefer;
pub const DEFAULT_CONNECT_TIMEOUT_SECONDS: u64 = 10;
pub const MAX_CONNECT_TIMEOUT_SECONDS: u64 = 600;
/// A first run's COPY of a big log (tens of millions of rows) takes minutes; an hour
/// leaves room for slow servers while bounding a stuck one.
pub const DEFAULT_STATEMENT_TIMEOUT_SECONDS: u64 = 3600;
/// Between statements the client only writes the lake; ten idle minutes means the lake's
/// file system is stuck, and the locks must go back to the database.
pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: u64 = 600;
/// PostgreSQL takes these settings in ms as a 32-bit int.
const MAX_SESSION_TIMEOUT_SECONDS: i64 = i32::MAX as i64 / 1000;

/// Where and how a PostgreSQL source kind connects, as its pipeline-file section says
/// (defaults filled in, the password still a reference). `sources::pg_tables::session`
/// turns it into a snapshot session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConnection {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// None: no password (trust/peer auth, e.g. the demo).
    pub password: Option<SecretRef>,
    pub sslmode: SslMode,
    /// PEM certificate(s) that `verify-ca`/`verify-full` trust (relative paths are
    /// relative to the pipeline file): the server's certificate, or its CA.
    pub root_cert_file: Option<PathBuf>,
    /// Connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// `statement_timeout` of the snapshot transaction. Default 1 hour.
    pub statement_timeout: Duration,
    /// `idle_in_transaction_session_timeout` of the snapshot transaction. Default 10 min.
    pub idle_in_transaction_timeout: Duration,
}

/// Examples shown in hints, so each kind's messages speak its users' language.
pub struct ConnectionHints {
    pub password_env: &'static str,
    pub root_cert_file: &'static str,
}

/// `sslmode` and `root_cert_file`: verify-ca and verify-full need the certificate.
pub fn tls(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    hints: &ConnectionHints,
) -> (Option<SslMode>, Option<PathBuf>) {
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
        p.report(
            span.as_ref(),
            t.key("sslmode"),
            message,
            Some(hints.root_cert_file.to_owned()),
        );
    }
    (sslmode, root_cert_file)
}

/// `password_env` or `password_file` (never both, never the password itself).
pub fn password(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    hints: &ConnectionHints,
) -> Option<SecretRef> {
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
            let hint = Some(format!("password_env = \"{}\"", hints.password_env));
            p.report(span.as_ref(), t.key("password_env"), message, hint);
            return None;
        }
        return Some(SecretRef::Env(var.to_owned()));
    }
    file.map(|file| SecretRef::File(base_dir.join(file)))
}

/// (connect, statement, idle in transaction) timeouts, defaults filled in.
pub fn timeouts(p: &mut Problems, t: &Table) -> (Duration, Duration, Duration) {
    let connect = t.integer(
        p,
        "connect_timeout_seconds",
        1..=MAX_CONNECT_TIMEOUT_SECONDS as i64,
    );
    let statement = t.integer(
        p,
        "statement_timeout_seconds",
        1..=MAX_SESSION_TIMEOUT_SECONDS,
    );
    let idle = t.integer(
        p,
        "idle_in_transaction_timeout_seconds",
        1..=MAX_SESSION_TIMEOUT_SECONDS,
    );
    // Range-checked above, so the casts cannot truncate.
    let seconds =
        |v: Option<i64>, default: u64| Duration::from_secs(v.map_or(default, |s| s as u64));
    (
        seconds(connect, DEFAULT_CONNECT_TIMEOUT_SECONDS),
        seconds(statement, DEFAULT_STATEMENT_TIMEOUT_SECONDS),
        seconds(idle, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS),
    )
}
