//! One file row (named fields) → one event, or the reason it is a bad row.

use std::collections::BTreeMap;

use super::config::{ColumnNames, EventsSource, TypeValues};
use super::time::parse_event_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthEventType {
    Login,
    Logout,
    FailedLogin,
}

impl AuthEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthEventType::Login => "login",
            AuthEventType::Logout => "logout",
            AuthEventType::FailedLogin => "failed_login",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "login" => Some(AuthEventType::Login),
            "logout" => Some(AuthEventType::Logout),
            "failed_login" => Some(AuthEventType::FailedLogin),
            _ => None,
        }
    }
}

/// One accepted event, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub event_at: i64,
    pub event_type: AuthEventType,
    /// The type value exactly as the file wrote it.
    pub raw_type: String,
    pub machine: String,
    pub user: String,
    /// Every other column or key, exactly as written (JSON values that are not strings as
    /// their JSON text), as a JSON object with sorted keys.
    pub extra: String,
    pub file: String,
    pub line: u64,
}

impl EventRow {
    /// The deduplication key: (machine, user, type, instant µs), strings compared exactly.
    pub fn dedup_key(&self) -> (String, String, AuthEventType, i64) {
        (
            self.machine.clone(),
            self.user.clone(),
            self.event_type,
            self.event_at,
        )
    }
}

/// A row that is not an event, reported in `events_rejected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub file: String,
    /// Physical line number (1-based; a CSV header is line 1).
    pub line: u64,
    pub reason: String,
    /// The row's text, cut at `MAX_RAW_BYTES`.
    pub raw: String,
}

pub const MAX_RAW_BYTES: usize = 2048;

pub fn cut_raw(raw: &str) -> String {
    if raw.len() <= MAX_RAW_BYTES {
        return raw.to_string();
    }
    let mut end = MAX_RAW_BYTES;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw[..end].to_string()
}

/// Maps named fields to an event. `fields` holds each present, non-null field's text.
pub fn map_fields(
    source: &EventsSource,
    fields: BTreeMap<String, String>,
) -> Result<MappedEvent, String> {
    let ColumnNames {
        time,
        event_type,
        machine,
        user,
    } = &source.columns;
    let present = |name: &String| fields.get(name).filter(|v| !v.trim().is_empty());
    let time_text = present(time).ok_or_else(|| format!("missing time (`{time}`)"))?;
    let event_at = parse_event_time(time_text, source.time_zone, source.ambiguous_time)
        .map_err(|e| e.to_string())?;
    let raw_type = present(event_type).ok_or_else(|| format!("missing type (`{event_type}`)"))?;
    let kind =
        map_type(&source.types, raw_type).ok_or_else(|| format!("unknown type `{raw_type}`"))?;
    let user_value = present(user).ok_or_else(|| format!("missing user (`{user}`)"))?;
    let machine_value = present(machine).ok_or_else(|| format!("missing machine (`{machine}`)"))?;
    let mapped = [time, event_type, machine, user];
    let extra: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .filter(|(k, _)| !mapped.contains(k))
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    Ok(MappedEvent {
        event_at,
        event_type: kind,
        raw_type: raw_type.clone(),
        machine: machine_value.clone(),
        user: user_value.clone(),
        extra: serde_json::Value::Object(extra).to_string(),
    })
}

/// An event before it is tied to its file and line.
pub struct MappedEvent {
    pub event_at: i64,
    pub event_type: AuthEventType,
    pub raw_type: String,
    pub machine: String,
    pub user: String,
    pub extra: String,
}

impl MappedEvent {
    pub fn at(self, file: &str, line: u64) -> EventRow {
        EventRow {
            event_at: self.event_at,
            event_type: self.event_type,
            raw_type: self.raw_type,
            machine: self.machine,
            user: self.user,
            extra: self.extra,
            file: file.to_string(),
            line,
        }
    }
}

fn map_type(types: &TypeValues, value: &str) -> Option<AuthEventType> {
    let value = value.trim();
    let matches = |list: &[String]| list.iter().any(|v| v.eq_ignore_ascii_case(value));
    if matches(&types.login) {
        Some(AuthEventType::Login)
    } else if matches(&types.logout) {
        Some(AuthEventType::Logout)
    } else if matches(&types.failed_login) {
        Some(AuthEventType::FailedLogin)
    } else {
        None
    }
}
