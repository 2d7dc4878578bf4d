//! Executes the three user-metrics queries against the ground truth, as JSON.
//!
//! Like a real GraphQL server, the fake answers only the fields a query selects (the
//! full object is built, then projected through the selection), and a selection of a
//! field the schema lacks is rejected before anything runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::truth::{Change, FakeUser, Truth, UserState, ADMIN_EMAIL, ADMIN_ID, APP_ROLES};
use crate::sources::indico::graphql::{Selection, DEFAULT_LIMIT};

/// One page request's arguments, read from the variables.
pub(super) struct PageArgs {
    pub after: Option<i64>,
    pub limit: usize,
    pub filters: Option<Value>,
}

impl PageArgs {
    pub(super) fn from(variables: &Map<String, Value>) -> PageArgs {
        PageArgs {
            after: variables.get("after").and_then(Value::as_i64),
            // An explicit null replaces the default (GraphQL rules): no limit then.
            limit: match variables.get("limit") {
                None => DEFAULT_LIMIT,
                Some(Value::Null) => usize::MAX,
                Some(v) => v.as_u64().unwrap_or(DEFAULT_LIMIT as u64) as usize,
            },
            filters: variables.get("filters").filter(|v| !v.is_null()).cloned(),
        }
    }
}

/// `UserReportFilter`: every present condition must hold; a scalar is a one-item list.
pub(super) fn matches(filter: &Value, id: i32, email: &str) -> bool {
    let Some(filter) = filter.as_object() else {
        return true;
    };
    let list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    filter.iter().all(|(key, value)| match key.as_str() {
        "userId" => list(value)
            .iter()
            .any(|v| v.as_i64() == Some(i64::from(id))),
        "userEmail" => list(value).iter().any(|v| v.as_str() == Some(email)),
        "AND" | "ands" => list(value).iter().all(|f| matches(f, id, email)),
        "OR" | "ors" => list(value).iter().any(|f| matches(f, id, email)),
        _ => true,
    })
}

/// A parsed `Date` variable.
pub(super) fn date_arg(variables: &Map<String, Value>, name: &str) -> Option<NaiveDate> {
    let text = variables.get(name)?.as_str()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn datasets_json(datasets: &[(i32, String)]) -> Value {
    Value::Array(
        datasets
            .iter()
            .map(|(id, role)| json!({"datasetId": id, "role": role}))
            .collect(),
    )
}

/// `DateTime` the way a server mixing serializers might: ISO text for some rows,
/// epoch seconds for others (the client must read both).
fn datetime(seconds: i64, as_text: bool) -> Value {
    if as_text {
        let t = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        Value::from(t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
    } else {
        Value::from(seconds)
    }
}

pub(super) fn user_json(user: &FakeUser, state: &UserState) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "createdAt": datetime(user.created_at, user.id % 2 == 0),
        "enabled": state.enabled,
        "roles": state.roles,
        "datasets": datasets_json(&state.datasets),
    })
}

pub(super) fn change_json(truth: &Truth, change: &Change) -> Value {
    let email = truth.user(change.user_id).map(|u| u.email.clone());
    json!({
        "id": change.id,
        "date": datetime(change.date, change.user_id % 3 == 0),
        "updatedAt": datetime(change.updated_at, true),
        "userId": change.user_id,
        "userEmail": email,
        "updatedBy": ADMIN_ID,
        "updaterEmail": ADMIN_EMAIL,
        "previouslyEnabled": change.before.enabled,
        "enabled": change.after.enabled,
        "previousRoles": change.before.roles,
        "roles": change.after.roles,
        "previousDatasets": datasets_json(&change.before.datasets),
        "datasets": datasets_json(&change.after.datasets),
        "changesMade": change.changes_made,
    })
}

pub(super) fn summary_json(snapshot: &[(&FakeUser, UserState)]) -> Value {
    let enabled = snapshot.iter().filter(|(_, s)| s.enabled).count();
    let mut counts: BTreeMap<&str, usize> = APP_ROLES.iter().map(|r| (*r, 0)).collect();
    for (_, state) in snapshot {
        for role in &state.roles {
            *counts.entry(role.as_str()).or_default() += 1;
        }
    }
    json!({
        "users": {"enabled": enabled, "disabled": snapshot.len() - enabled},
        "appRoles": counts.into_iter().map(|(role, count)| json!({"role": role, "count": count})).collect::<Vec<_>>(),
    })
}

/// What a paged answer looks like before projection. `repeat_cursor` answers with the
/// `after` it was given as `endCursor` (a server bug the client must catch);
/// `count_skew` adds to `aggregateCount`.
pub(super) fn page_json(
    rows: Arc<Vec<Value>>,
    args: &PageArgs,
    repeat_cursor: bool,
    count_skew: i64,
) -> Value {
    // Cursors are 1-based positions: `after = c` starts at position c + 1.
    let start = args.after.unwrap_or(0).max(0) as usize;
    let end = start.saturating_add(args.limit).min(rows.len());
    let page: Vec<Value> = rows.get(start..end).unwrap_or_default().to_vec();
    let has_next = end < rows.len();
    let end_cursor = if repeat_cursor {
        args.after
            .map(Value::from)
            .unwrap_or(Value::from(end as i64))
    } else if page.is_empty() {
        Value::Null
    } else {
        Value::from(end as i64)
    };
    json!({
        "results": page,
        "pageInfo": {
            "startCursor": if page.is_empty() { Value::Null } else { Value::from(start as i64 + 1) },
            "endCursor": end_cursor,
            "hasNextPage": has_next || repeat_cursor,
            "aggregateCount": rows.len() as i64 + count_skew,
        }
    })
}

/// Keeps only the selected fields of `value`, recursively (lists map item by item).
pub(super) fn project(value: &Value, selections: &[Selection]) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, selections)).collect()),
        Value::Object(object) if !selections.is_empty() => {
            let mut out = Map::new();
            for selection in selections {
                let field = object.get(&selection.name).cloned().unwrap_or(Value::Null);
                out.insert(selection.name.clone(), project(&field, &selection.children));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}
