//! `[[sources]] kind = "postgres"`: any PostgreSQL database, and its `[[sources.tables]]`
//! (each with an optional `[sources.tables.auth]` mapping to login/logout events).
//!
//! What can be checked without the server is checked here (names, choices, ranges, one
//! auth table per source); the catalog checks (the relation and its columns exist, types
//! are supported) happen in `relation` at `check --connect` and at every run.

mod auth_section;
mod names;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use toml::de::DeValue;

use crate::config::parse::{Problems, Table};
use crate::config::pg_connection::{self, ConnectionHints, PgConnection, DEFAULT_SSLMODE};
use crate::config::{did_you_mean, ForbiddenKey, SourceKind};
use crate::sources::SourceConfig;
use crate::transform::auth_events::{
    AUTH_EVENTS, DEFAULT_FAILED_LOGIN_VALUES, DEFAULT_LOGIN_VALUES, DEFAULT_LOGOUT_VALUES,
};
use crate::transform::sessions::{LoginPolicy, SessionRules, SESSIONS};
pub use names::split_relation;
use names::{dataset_name, is_folder_name};

pub const DEFAULT_PORT: u16 = 5432;
pub const DEFAULT_BATCH_ROWS: usize = 65_536;
pub const MAX_BATCH_ROWS: usize = 1_000_000;
pub const DEFAULT_LOOKBACK_MINUTES: u64 = 60;
pub const DEFAULT_MAX_SESSION_HOURS: u32 = 24;
/// A year: longer "sessions" are a missing logout, not a session.
pub const MAX_SESSION_HOURS_LIMIT: i64 = 8784;
/// Rows of an auth table that cannot be a login/logout event (unknown type, no user),
/// per day, with the reason. Derived like `auth_events`.
pub const AUTH_REJECTED: &str = "auth_rejected";

const HINTS: ConnectionHints = ConnectionHints {
    password_env: "APP_DB_PASSWORD",
    root_cert_file: "root_cert_file = \"certs/db-ca.crt\" (the server's CA certificate, PEM)",
};

/// One `[[sources]] kind = "postgres"` section.
#[derive(Debug, Clone)]
pub struct PostgresSource {
    pub name: String,
    pub connection: PgConnection,
    pub tables: Vec<PgTable>,
}

/// One `[[sources.tables]]`: a table or view archived into one dataset.
#[derive(Debug, Clone)]
pub struct PgTable {
    pub schema: String,
    pub relation: String,
    /// Folder under the source; unique within it.
    pub dataset: String,
    /// Integer (an id from a sequence) or timestamp column the watermark follows.
    pub incremental_by: String,
    /// Timestamp column whose local date (pipeline zone) is the row's `event_date`.
    pub partition_by: String,
    /// Merge key (re-read rows are dropped by it). None: `incremental_by`, which must then
    /// be an integer column (checked against the catalog).
    pub key: Option<String>,
    /// Columns to archive, in this order; None: every column of the relation.
    pub columns: Option<Vec<String>>,
    /// How far below the newest archived value each run re-reads (rows committed late).
    pub lookback: Duration,
    /// Zone of `timestamp without time zone` values.
    pub timestamp_zone: Tz,
    pub batch_rows: usize,
    pub auth: Option<AuthMapping>,
}

impl PgTable {
    /// The merge key column.
    pub fn key_column(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.incremental_by)
    }
}

/// `[sources.tables.auth]`: the table's rows as login/logout events. The event time is
/// the table's `partition_by` column, so an auth event lands on its row's day.
#[derive(Debug, Clone)]
pub struct AuthMapping {
    pub type_column: String,
    pub user_column: String,
    pub machine: Machine,
    pub login_values: Vec<String>,
    pub logout_values: Vec<String>,
    pub failed_login_values: Vec<String>,
    pub login_policy: LoginPolicy,
    /// 0: sessions never time out.
    pub max_session_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Machine {
    Column(String),
    /// One machine for every row (an application's audit table: the application).
    Fixed(String),
}

impl AuthMapping {
    pub fn session_rules(&self) -> SessionRules {
        SessionRules {
            policy: self.login_policy,
            max_session_micros: (self.max_session_hours > 0)
                .then(|| i64::from(self.max_session_hours) * 3_600_000_000),
        }
    }
}

impl PostgresSource {
    /// Raw datasets in configuration order, then the derived ones when a table feeds
    /// `auth_events`.
    pub fn datasets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.tables.iter().map(|t| t.dataset.as_str()).collect();
        if self.auth_table().is_some() {
            out.extend([AUTH_EVENTS, AUTH_REJECTED, SESSIONS]);
        }
        out
    }

    pub fn auth_table(&self) -> Option<&PgTable> {
        self.tables.iter().find(|t| t.auth.is_some())
    }

    /// The rules of the source's `sessions`, when a table feeds them.
    pub fn session_rules(&self) -> Option<SessionRules> {
        self.auth_table()?
            .auth
            .as_ref()
            .map(AuthMapping::session_rules)
    }
}

pub const KIND: SourceKind<SourceConfig> = SourceKind {
    name: "postgres",
    keys: &[
        "host",
        "port",
        "database",
        "user",
        "password_env",
        "password_file",
        "sslmode",
        "root_cert_file",
        "connect_timeout_seconds",
        "statement_timeout_seconds",
        "idle_in_transaction_timeout_seconds",
        "timestamp_time_zone",
        "batch_rows",
        "lookback_minutes",
        "tables",
    ],
    forbidden: &[ForbiddenKey {
        key: "password",
        message: "inline passwords are not allowed; use password_env or password_file",
        hint: Some("password_env = \"APP_DB_PASSWORD\", or password_file = \"secrets/app-db.pw\" (relative to this file)"),
    }],
    parse,
};

const TABLE_KEYS: &[&str] = &[
    "relation",
    "dataset",
    "incremental_by",
    "partition_by",
    "key",
    "columns",
    "lookback_minutes",
    "timestamp_time_zone",
    "batch_rows",
    "auth",
];

/// Source-level defaults a table may override.
struct TableDefaults {
    lookback: Duration,
    zone: Tz,
    batch_rows: usize,
}

fn parse(p: &mut Problems, t: &Table, name: String, base_dir: &Path) -> Option<SourceConfig> {
    let host = t.required_string(p, "host");
    let port = t.integer(p, "port", 1..=i64::from(u16::MAX));
    let database = t.required_string(p, "database");
    let user = t.required_string(p, "user");
    let password = pg_connection::password(p, t, base_dir, &HINTS);
    let (sslmode, root_cert_file) = pg_connection::tls(p, t, base_dir, &HINTS);
    let (connect_timeout, statement_timeout, idle_in_transaction_timeout) =
        pg_connection::timeouts(p, t);
    let defaults = TableDefaults {
        lookback: lookback(p, t).unwrap_or(Duration::from_secs(DEFAULT_LOOKBACK_MINUTES * 60)),
        zone: zone(p, t).unwrap_or(chrono_tz::UTC),
        batch_rows: batch_rows(p, t).unwrap_or(DEFAULT_BATCH_ROWS),
    };
    let tables = tables(p, t, &defaults);
    Some(SourceConfig::Postgres(Box::new(PostgresSource {
        name,
        connection: PgConnection {
            host: host?.to_owned(),
            port: port.map_or(DEFAULT_PORT, |port| port as u16),
            database: database?.to_owned(),
            user: user?.to_owned(),
            password,
            sslmode: sslmode.unwrap_or(DEFAULT_SSLMODE),
            root_cert_file,
            connect_timeout,
            statement_timeout,
            idle_in_transaction_timeout,
        },
        tables: tables?,
    })))
}

fn lookback(p: &mut Problems, t: &Table) -> Option<Duration> {
    t.integer(p, "lookback_minutes", 0..=i64::from(u32::MAX))
        .map(|minutes| Duration::from_secs(minutes as u64 * 60))
}

fn batch_rows(p: &mut Problems, t: &Table) -> Option<usize> {
    t.integer(p, "batch_rows", 1..=MAX_BATCH_ROWS as i64)
        .map(|rows| rows as usize)
}

fn zone(p: &mut Problems, t: &Table) -> Option<Tz> {
    let name = t.string(p, "timestamp_time_zone")?;
    let parsed = Tz::from_str(name).ok();
    if parsed.is_none() {
        let span = t.span("timestamp_time_zone");
        let hint = Some("an IANA zone name such as \"Europe/Berlin\" or \"UTC\"".to_owned());
        let message = format!("unknown time zone \"{name}\"");
        p.report(span.as_ref(), t.key("timestamp_time_zone"), message, hint);
    }
    parsed
}

/// `[[sources.tables]]`: at least one, datasets unique, at most one with `auth`.
fn tables(p: &mut Problems, t: &Table, defaults: &TableDefaults) -> Option<Vec<PgTable>> {
    let example = "[[sources.tables]] with relation, dataset, incremental_by and partition_by";
    let Some(value) = t.value("tables") else {
        t.missing(p, "tables", Some(format!("add {example}")));
        return None;
    };
    let items = match value.get_ref() {
        DeValue::Array(items) if !items.is_empty() => items,
        DeValue::Array(_) => {
            let message = "must list at least one table";
            p.report(
                Some(&value.span()),
                t.key("tables"),
                message,
                Some(example.into()),
            );
            return None;
        }
        other => {
            let message = format!(
                "expected an array of tables ([[sources.tables]]), found {}",
                other.type_str()
            );
            p.report(Some(&value.span()), t.key("tables"), message, None);
            return None;
        }
    };
    let mut out = Vec::new();
    let mut is_complete = true;
    let mut auth_at: Option<String> = None;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", t.key("tables"));
        let DeValue::Table(entries) = item.get_ref() else {
            let message = format!("expected a table, found {}", item.get_ref().type_str());
            p.report(Some(&item.span()), path, message, None);
            is_complete = false;
            continue;
        };
        let table = Table::new(entries, Some(item.span()), path);
        table.reject_unknown(p, TABLE_KEYS, &[]);
        match parse_table(p, &table, defaults) {
            Some(parsed) => {
                if parsed.auth.is_some() {
                    if let Some(first) = &auth_at {
                        let span = table.span("auth");
                        let message = "only one table per source can feed auth_events";
                        let hint = Some(format!(
                            "{first} already does; archive this table in a second postgres source"
                        ));
                        p.report(span.as_ref(), table.key("auth"), message, hint);
                    } else {
                        auth_at = Some(table.key("auth"));
                    }
                }
                if let Some(previous) = out.iter().find(|o: &&PgTable| o.dataset == parsed.dataset)
                {
                    // Without a `dataset` key the name comes from the relation.
                    let span = table.span("dataset").or_else(|| table.span("relation"));
                    let message = format!(
                        "dataset \"{}\" is already used by relation {}.{}",
                        parsed.dataset, previous.schema, previous.relation
                    );
                    let hint = Some("set a distinct dataset = \"...\" on one of them".into());
                    p.report(span.as_ref(), table.key("dataset"), message, hint);
                }
                out.push(parsed);
            }
            None => is_complete = false,
        }
    }
    is_complete.then_some(out)
}

fn parse_table(p: &mut Problems, t: &Table, defaults: &TableDefaults) -> Option<PgTable> {
    let relation = t.required_string(p, "relation").and_then(|r| {
        let parsed = split_relation(r);
        if parsed.is_none() {
            let span = t.span("relation");
            let hint = Some(
                "relation = \"audit.login_log\" (schema.table or a view; unqualified means public)"
                    .into(),
            );
            p.report(
                span.as_ref(),
                t.key("relation"),
                format!("\"{r}\" is not a table name"),
                hint,
            );
        }
        parsed
    });
    let dataset = match t.value("dataset") {
        Some(_) => t.string(p, "dataset").and_then(|d| dataset_name(p, t, d)),
        None => relation.as_ref().and_then(|(_, table)| {
            // The relation's own name, when it is a valid folder name.
            is_folder_name(table).then(|| table.clone()).or_else(|| {
                t.missing(
                    p,
                    "dataset",
                    Some(format!(
                        "\"{table}\" is not a valid folder name; set dataset = \"...\" (a-z, 0-9, _ and -)"
                    )),
                );
                None
            })
        }),
    };
    let incremental_by = t.required_string(p, "incremental_by");
    let partition_by = t.required_string(p, "partition_by");
    let key = t.string(p, "key");
    let columns = t.string_list(p, "columns").map(|list| {
        list.into_iter()
            .map(|(c, _)| c.to_owned())
            .collect::<Vec<_>>()
    });
    if let Some(listed) = &columns {
        if listed.is_empty() {
            let span = t.span("columns");
            let hint = Some("remove `columns` to archive every column".into());
            p.report(
                span.as_ref(),
                t.key("columns"),
                "must list at least one column",
                hint,
            );
        }
        // The columns the run needs must be archived too.
        for (role, name) in [
            ("incremental_by", incremental_by),
            ("partition_by", partition_by),
            ("key", key),
        ] {
            let Some(name) = name else { continue };
            if !listed.iter().any(|c| c == name) {
                let span = t.span(role);
                let names: Vec<&str> = listed.iter().map(String::as_str).collect();
                let hint = did_you_mean(name, &names)
                    .unwrap_or_else(|| format!("add \"{name}\" to `columns`"));
                p.report(
                    span.as_ref(),
                    t.key(role),
                    format!("column \"{name}\" is not in `columns`"),
                    Some(hint),
                );
            }
        }
    }
    let lookback = lookback(p, t);
    let timestamp_zone = zone(p, t);
    let batch_rows = batch_rows(p, t);
    let auth = match t.value("auth") {
        Some(_) => Some(auth_section::auth(p, t, columns.as_deref())?),
        None => None,
    };
    let (schema, relation) = relation?;
    Some(PgTable {
        schema,
        relation,
        dataset: dataset?,
        incremental_by: incremental_by?.to_owned(),
        partition_by: partition_by?.to_owned(),
        key: key.map(str::to_owned),
        columns,
        lookback: lookback.unwrap_or(defaults.lookback),
        timestamp_zone: timestamp_zone.unwrap_or(defaults.zone),
        batch_rows: batch_rows.unwrap_or(defaults.batch_rows),
        auth,
    })
}
