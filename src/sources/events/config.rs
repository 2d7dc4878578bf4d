//! The `events` source kind's settings: which files, how their columns and type values
//! map to login/logout events, and how sessions are formed from them.

use std::path::Path;
use std::str::FromStr;

use chrono_tz::Tz;

use super::time::AmbiguousTime;
use crate::config::parse::{Problems, Table};
use crate::config::SourceKind;
use crate::sources::session_settings::{self, SessionSettings};
use crate::sources::SourceConfig;
use crate::transform::sessions::{LoginPolicy, SessionRules};

pub const DEFAULT_MAX_SESSION_HOURS: u32 = 24;
pub use crate::transform::auth_events::{
    DEFAULT_FAILED_LOGIN_VALUES, DEFAULT_LOGIN_VALUES, DEFAULT_LOGOUT_VALUES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    JsonLines,
}

/// Column (CSV header) or key (JSON) names of the four mapped fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnNames {
    pub time: String,
    pub event_type: String,
    pub machine: String,
    pub user: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        Self {
            time: "time".into(),
            event_type: "type".into(),
            machine: "machine".into(),
            user: "user".into(),
        }
    }
}

/// File values of the type column that mean each event type. Compared after trimming,
/// ignoring ASCII case (`Logon`, `LOGON`); anything else is an unknown type (a bad row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeValues {
    pub login: Vec<String>,
    pub logout: Vec<String>,
    pub failed_login: Vec<String>,
}

impl Default for TypeValues {
    fn default() -> Self {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Self {
            login: owned(DEFAULT_LOGIN_VALUES),
            logout: owned(DEFAULT_LOGOUT_VALUES),
            failed_login: owned(DEFAULT_FAILED_LOGIN_VALUES),
        }
    }
}

/// One `[[sources]] kind = "events"` section.
#[derive(Debug, Clone)]
pub struct EventsSource {
    pub name: String,
    pub format: FileFormat,
    /// Glob patterns; include rotated names (`logons.csv*`) so rotations are followed.
    pub paths: Vec<String>,
    pub columns: ColumnNames,
    pub types: TypeValues,
    /// Zone of naive timestamps (default: the pipeline's).
    pub time_zone: Tz,
    /// `time_zone` was set in the section (otherwise the pipeline's zone is filled in).
    pub zone_is_explicit: bool,
    pub ambiguous_time: AmbiguousTime,
    /// CSV field delimiter.
    pub delimiter: u8,
    pub login_policy: LoginPolicy,
    /// 0 means sessions never time out.
    pub max_session_hours: u32,
}

impl EventsSource {
    /// A source reading `paths` with every default (tests, the demo).
    pub fn new(name: &str, format: FileFormat, paths: Vec<String>, time_zone: Tz) -> Self {
        Self {
            name: name.to_string(),
            format,
            paths,
            columns: ColumnNames::default(),
            types: TypeValues::default(),
            time_zone,
            zone_is_explicit: true,
            ambiguous_time: AmbiguousTime::default(),
            delimiter: b',',
            login_policy: LoginPolicy::default(),
            max_session_hours: DEFAULT_MAX_SESSION_HOURS,
        }
    }

    pub fn session_rules(&self) -> SessionRules {
        SessionSettings {
            login_policy: self.login_policy,
            max_session_hours: self.max_session_hours,
        }
        .rules()
    }
}

// The section's keys and their validation (file:line errors through `config::parse`).

pub const KIND: SourceKind<SourceConfig> = SourceKind {
    name: "events",
    keys: &[
        "format",
        "paths",
        "time_column",
        "type_column",
        "machine_column",
        "user_column",
        "login_values",
        "logout_values",
        "failed_login_values",
        "time_zone",
        "ambiguous_time",
        "delimiter",
        session_settings::LOGIN_POLICY,
        session_settings::MAX_SESSION_HOURS,
    ],
    forbidden: &[],
    parse,
};

fn parse(p: &mut Problems, t: &Table, name: String, base_dir: &Path) -> Option<SourceConfig> {
    if t.value("format").is_none() {
        t.missing(p, "format", Some("format = \"csv\" or \"jsonl\"".into()));
    }
    let format = t.choice(
        p,
        "format",
        &[("csv", FileFormat::Csv), ("jsonl", FileFormat::JsonLines)],
    );
    if t.value("paths").is_none() {
        t.missing(
            p,
            "paths",
            Some("paths = [\"/var/log/logons/*.csv*\"] (globs; include rotated names)".into()),
        );
    }
    let paths = t.string_list(p, "paths").map(|list| {
        list.into_iter()
            .map(|(glob, _)| base_dir.join(glob).to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    });
    if paths.as_ref().is_some_and(Vec::is_empty) {
        let span = t.span("paths");
        p.report(
            span.as_ref(),
            t.key("paths"),
            "must list at least one glob",
            None,
        );
    }
    let defaults = ColumnNames::default();
    let column =
        |p: &mut Problems, key: &str, default: &str| t.string(p, key).unwrap_or(default).to_owned();
    let columns = ColumnNames {
        time: column(p, "time_column", &defaults.time),
        event_type: column(p, "type_column", &defaults.event_type),
        machine: column(p, "machine_column", &defaults.machine),
        user: column(p, "user_column", &defaults.user),
    };
    let mut types = TypeValues::default();
    for (key, slot) in [
        ("login_values", &mut types.login),
        ("logout_values", &mut types.logout),
        ("failed_login_values", &mut types.failed_login),
    ] {
        if let Some(list) = t.string_list(p, key) {
            *slot = list.into_iter().map(|(v, _)| v.to_owned()).collect();
        }
    }
    let time_zone = t.string(p, "time_zone").and_then(|zone| {
        let parsed = chrono_tz::Tz::from_str(zone).ok();
        if parsed.is_none() {
            let span = t.span("time_zone");
            let hint = Some("an IANA zone name such as \"Europe/Berlin\" or \"UTC\"".to_owned());
            let message = format!("unknown time zone \"{zone}\"");
            p.report(span.as_ref(), t.key("time_zone"), message, hint);
        }
        parsed
    });
    let ambiguous_time = t.choice(
        p,
        "ambiguous_time",
        &[
            ("earliest", AmbiguousTime::Earliest),
            ("latest", AmbiguousTime::Latest),
            ("reject", AmbiguousTime::Reject),
        ],
    );
    let delimiter = t.string(p, "delimiter").and_then(|d| match d.as_bytes() {
        [b] if b.is_ascii() && *b != b'"' && *b != b'\n' => Some(*b),
        _ => {
            let span = t.span("delimiter");
            let hint = Some("delimiter = \",\", \";\" or \"\\t\"".to_owned());
            p.report(
                span.as_ref(),
                t.key("delimiter"),
                "must be one ASCII character",
                hint,
            );
            None
        }
    });
    let sessions = session_settings::parse(
        p,
        t,
        SessionSettings {
            login_policy: LoginPolicy::default(),
            max_session_hours: DEFAULT_MAX_SESSION_HOURS,
        },
        None,
    );

    let format = format?;
    let mut source = EventsSource::new(&name, format, paths?, chrono_tz::UTC);
    source.columns = columns;
    source.types = types;
    source.zone_is_explicit = time_zone.is_some();
    source.time_zone = time_zone.unwrap_or(chrono_tz::UTC);
    source.ambiguous_time = ambiguous_time.unwrap_or_default();
    source.delimiter = delimiter.unwrap_or(b',');
    source.login_policy = sessions.login_policy;
    source.max_session_hours = sessions.max_session_hours;
    Some(SourceConfig::Events(Box::new(source)))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::pipeline::{load_pipeline, parse_pipeline};

    fn events(source: &SourceConfig) -> &EventsSource {
        match source {
            SourceConfig::Events(events) => events,
            other => panic!("expected an events source, got {}", other.kind()),
        }
    }

    #[test]
    fn the_example_file_parses_with_its_mappings() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        let pipeline =
            load_pipeline(&dir.join("events.example.toml")).unwrap_or_else(|e| panic!("{e}"));
        let source = events(&pipeline.sources[0]);
        assert_eq!(source.format, FileFormat::Csv);
        assert_eq!(source.columns.event_type, "EventID");
        assert_eq!(source.types.logout, ["4634", "4647", "logoff"]);
        assert_eq!(source.login_policy, LoginPolicy::Parallel);
        assert_eq!(source.max_session_hours, 24);
        // No time_zone in the section: the pipeline's.
        assert_eq!(source.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(source.ambiguous_time, AmbiguousTime::Earliest);
    }

    #[test]
    fn mistakes_are_reported_with_line_and_hint() {
        let text = "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"x\"\nkind = \"events\"\n\
                    format = \"xml\"\npaths = []\nlogin_polcy = \"same\"\ndelimiter = \";;\"\n";
        let errors = parse_pipeline(text, Path::new("p.toml")).unwrap_err();
        let lines: Vec<(usize, &str)> = errors
            .problems
            .iter()
            .map(|p| (p.line, p.key.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (7, "sources[0].format"),
                (8, "sources[0].paths"),
                (9, "sources[0].login_polcy"),
                (10, "sources[0].delimiter"),
            ],
            "{errors}"
        );
        let typo = &errors.problems[2];
        assert!(
            typo.hint.as_deref().unwrap_or("").contains("login_policy"),
            "{errors}"
        );
    }
}
