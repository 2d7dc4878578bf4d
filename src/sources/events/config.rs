//! The `events` source kind's settings: which files, how their columns and type values
//! map to login/logout events, and how sessions are formed from them.

use chrono_tz::Tz;

use super::time::AmbiguousTime;
use crate::transform::sessions::{LoginPolicy, SessionRules};

pub const DEFAULT_MAX_SESSION_HOURS: u32 = 24;
pub const DEFAULT_LOGIN_VALUES: &[&str] = &["login", "logon", "4624"];
pub const DEFAULT_LOGOUT_VALUES: &[&str] = &["logout", "logoff", "4634", "4647"];
pub const DEFAULT_FAILED_LOGIN_VALUES: &[&str] = &["failed_login", "failedlogin", "4625"];

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
        SessionRules {
            policy: self.login_policy,
            max_session_micros: (self.max_session_hours > 0)
                .then(|| i64::from(self.max_session_hours) * 3_600_000_000),
        }
    }
}
