//! Typed responses of the three queries (`queries/*.graphql`), field for field.
//!
//! Enum values (`AppRole`, `Roles`, `UserChangeType`) are kept as the strings the
//! server sent: Indico adds values, and an archive must store a new role, not fail on
//! it or map it to "unknown". `DateTime` arrives as ISO text or as epoch seconds (the
//! Python client accepts both); [`datetime_micros`] turns either into UTC µs.

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryData {
    pub user_summary: Option<UserSummary>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub users: Option<EnabledCount>,
    #[serde(default)]
    pub app_roles: Option<Vec<Option<RoleCount>>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnabledCount {
    pub enabled: Option<i32>,
    pub disabled: Option<i32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoleCount {
    pub role: Option<String>,
    pub count: Option<i32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotData {
    pub user_snapshot: Option<Page<UserSnapshot>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangelogData {
    pub user_changelog: Option<Page<UserChangelog>>,
}

/// One page of `userSnapshot` or `userChangelog`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "nullable_list")]
    pub results: Vec<T>,
    pub page_info: Option<PageInfo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    #[serde(default)]
    pub start_cursor: Option<i64>,
    #[serde(default)]
    pub end_cursor: Option<i64>,
    #[serde(default)]
    pub has_next_page: Option<bool>,
    #[serde(default)]
    pub aggregate_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetRole {
    pub dataset_id: Option<i32>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSnapshot {
    pub id: Option<i32>,
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "datetime_micros")]
    pub created_at: Option<i64>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable_strings")]
    pub roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable_list_opt")]
    pub datasets: Option<Vec<DatasetRole>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChangelog {
    pub id: Option<String>,
    #[serde(default, deserialize_with = "datetime_micros")]
    pub date: Option<i64>,
    #[serde(default, deserialize_with = "datetime_micros")]
    pub updated_at: Option<i64>,
    pub user_id: Option<i32>,
    pub user_email: Option<String>,
    pub updated_by: Option<i32>,
    pub updater_email: Option<String>,
    pub previously_enabled: Option<bool>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable_strings")]
    pub previous_roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable_strings")]
    pub roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable_list_opt")]
    pub previous_datasets: Option<Vec<DatasetRole>>,
    #[serde(default, deserialize_with = "nullable_list_opt")]
    pub datasets: Option<Vec<DatasetRole>>,
    #[serde(default, deserialize_with = "nullable_strings")]
    pub changes_made: Option<Vec<String>>,
}

/// `[T]` in GraphQL is a nullable list of nullable items: drop null items, read a null
/// list as empty (for `results`, where "no page" and "empty page" mean the same).
fn nullable_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(nullable_list_opt(deserializer)?.unwrap_or_default())
}

/// As [`nullable_list`], keeping a null list as `None` (a user with no dataset list is
/// not the same fact as one with an empty list).
fn nullable_list_opt<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items: Option<Vec<Option<T>>> = Option::deserialize(deserializer)?;
    Ok(items.map(|items| items.into_iter().flatten().collect()))
}

fn nullable_strings<'de, D>(deserializer: D) -> Result<Option<Vec<String>>, D::Error>
where
    D: Deserializer<'de>,
{
    nullable_list_opt(deserializer)
}

/// A `DateTime` as UTC µs: ISO 8601 text (with an offset, `Z`, or none = UTC) or epoch
/// seconds (integer, fractional, or a numeric string).
pub fn datetime_micros<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let raw: Option<Raw> = Option::deserialize(deserializer)?;
    let micros = match raw {
        None => return Ok(None),
        Some(Raw::Int(seconds)) => seconds.checked_mul(1_000_000),
        Some(Raw::Float(seconds)) => Some((seconds * 1e6).round() as i64),
        Some(Raw::Text(text)) => parse_datetime_text(&text),
    };
    micros.map(Some).ok_or_else(|| {
        serde::de::Error::custom("a DateTime that is neither ISO text nor epoch seconds")
    })
}

fn parse_datetime_text(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Some((seconds * 1e6).round() as i64);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    // Python's isoformat(): "2026-11-01T10:00:00.123456+00:00" is RFC 3339 already;
    // naive values ("2026-11-01T10:00:00", space separated too) are UTC on Indico.
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_micros());
        }
        if let Ok(t) = chrono::DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_micros());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datetimes_as_iso_text_or_epoch_seconds() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "datetime_micros")]
            t: Option<i64>,
        }
        let at = |v: serde_json::Value| serde_json::from_value::<T>(json!({ "t": v })).map(|t| t.t);
        let expected = Some(1_793_527_200_000_000); // 2026-11-01T10:00:00Z
        assert_eq!(at(json!("2026-11-01T10:00:00Z")).unwrap(), expected);
        assert_eq!(at(json!("2026-11-01T11:00:00+01:00")).unwrap(), expected);
        assert_eq!(at(json!("2026-11-01T10:00:00")).unwrap(), expected);
        assert_eq!(at(json!("2026-11-01 10:00:00.000000")).unwrap(), expected);
        assert_eq!(at(json!(1_793_527_200)).unwrap(), expected);
        assert_eq!(
            at(json!(1_793_527_200.5)).unwrap(),
            Some(1_793_527_200_500_000)
        );
        assert_eq!(at(json!("1793527200")).unwrap(), expected);
        assert_eq!(at(json!(null)).unwrap(), None);
        assert_eq!(serde_json::from_value::<T>(json!({})).unwrap().t, None);
        assert!(at(json!("yesterday")).is_err());
    }

    #[test]
    fn unknown_enum_values_are_kept_verbatim_and_null_items_dropped() {
        let entry: UserChangelog = serde_json::from_value(json!({
            "id": "1793527200_42", "date": 1_793_527_200, "userId": 42,
            "roles": ["TEAM_USER", "DATA_STEWARD", null],
            "datasets": [{"datasetId": 7, "role": "CURATOR"}, null],
            "previousDatasets": null,
            "changesMade": ["DATASET_ROLE", "MFA"]
        }))
        .unwrap();
        assert_eq!(entry.roles.unwrap(), ["TEAM_USER", "DATA_STEWARD"]);
        assert_eq!(
            entry.datasets.unwrap(),
            [DatasetRole {
                dataset_id: Some(7),
                role: Some("CURATOR".into())
            }]
        );
        assert_eq!(entry.previous_datasets, None);
        assert_eq!(entry.changes_made.unwrap(), ["DATASET_ROLE", "MFA"]);
        assert_eq!(entry.previous_roles, None, "absent is null");
    }
}
