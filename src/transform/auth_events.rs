//! `auth_events`: one model of sign-in events for every source, which `sessions` reads.
//!
//! Columns: `event_at` (µs UTC), `event_type` (`login` | `logout` | `failed_login`),
//! `machine`, `user`, `source`, `source_key` (the row's key in the source dataset, as
//! text), `site` (Tableau's actor site id; NULL elsewhere).
//!
//! - Tableau: `historical_events` whose type is named `Login` or `Logout` in
//!   `historical_event_types`. The join is on the type *id* found by name, never on the
//!   name per row (one type name is misspelled on real servers; ids are stable). The actor
//!   is `hist_actor_user_id` → `hist_users.id` → `name` (not `users.id`: another id
//!   space); the machine is the server `worker` that handled it.
//! - ArcGIS: `history` rows with action `login` (→ login) or `failedlogin`
//!   (→ failed_login); the actor is the user. ArcGIS logs no sign-out, so its sessions
//!   end by timeout (`max_session_hours`). The machine is the portal (one per source).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::TransformError;

pub const AUTH_EVENTS: &str = "auth_events";

pub static AUTH_EVENTS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new(
            "event_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("event_type", DataType::Utf8, false),
        Field::new("machine", DataType::Utf8, false),
        Field::new("user", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("source_key", DataType::Utf8, false),
        Field::new("site", DataType::Utf8, true),
    ]))
});

/// Source values that mean each event type unless a source maps its own (the `events`
/// and `postgres` kinds): Windows event ids next to the usual words. Compared after
/// trimming, ignoring ASCII case.
pub const DEFAULT_LOGIN_VALUES: &[&str] = &["login", "logon", "4624"];
pub const DEFAULT_LOGOUT_VALUES: &[&str] = &["logout", "logoff", "4634", "4647"];
pub const DEFAULT_FAILED_LOGIN_VALUES: &[&str] = &["failed_login", "failedlogin", "4625"];

/// Type names in `historical_event_types` (Tableau's own spelling).
pub const TABLEAU_LOGIN_TYPE: &str = "Login";
pub const TABLEAU_LOGOUT_TYPE: &str = "Logout";

/// Builds `auth_events` batches row by row (every source's mapping ends here).
#[derive(Default)]
pub struct AuthColumns {
    at: TimestampMicrosecondBuilder,
    kind: StringBuilder,
    machine: StringBuilder,
    user: StringBuilder,
    source: StringBuilder,
    key: StringBuilder,
    site: StringBuilder,
}

impl AuthColumns {
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        at: i64,
        kind: &str,
        machine: &str,
        user: &str,
        source: &str,
        key: &str,
        site: Option<&str>,
    ) {
        self.at.append_value(at);
        self.kind.append_value(kind);
        self.machine.append_value(machine);
        self.user.append_value(user);
        self.source.append_value(source);
        self.key.append_value(key);
        self.site.append_option(site);
    }

    pub fn finish(mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.at.finish().with_timezone("UTC")),
            Arc::new(self.kind.finish()),
            Arc::new(self.machine.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.key.finish()),
            Arc::new(self.site.finish()),
        ];
        RecordBatch::try_new(AUTH_EVENTS_SCHEMA.clone(), columns).expect("columns match")
    }
}

fn column<'a>(
    batch: &'a RecordBatch,
    dataset: &str,
    name: &str,
) -> Result<&'a ArrayRef, TransformError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| TransformError::ColumnType {
            dataset: dataset.to_string(),
            column: name.to_string(),
            found: "nothing".into(),
            expected: "a column",
        })
}

/// Tableau login/logout events. Events whose actor is unknown (no `hist_users` row, or
/// a server-generated event) cannot belong to a user's session and are left out; the
/// count is returned with the batch.
pub fn from_tableau(
    events: &RecordBatch,
    event_types: &RecordBatch,
    hist_users: &RecordBatch,
    source: &str,
) -> Result<(RecordBatch, u64), TransformError> {
    let type_ids =
        column(event_types, "historical_event_types", "type_id")?.as_primitive::<Int32Type>();
    let type_names = column(event_types, "historical_event_types", "name")?.as_string::<i32>();
    let mut kinds: HashMap<i32, &str> = HashMap::new();
    for row in 0..event_types.num_rows() {
        let kind = match type_names.is_valid(row).then(|| type_names.value(row)) {
            Some(TABLEAU_LOGIN_TYPE) => "login",
            Some(TABLEAU_LOGOUT_TYPE) => "logout",
            _ => continue,
        };
        kinds.insert(type_ids.value(row), kind);
    }
    let user_ids = column(hist_users, "hist_users", "id")?.as_primitive::<Int32Type>();
    let user_names = column(hist_users, "hist_users", "name")?.as_string::<i32>();
    let names: HashMap<i32, &str> = (0..hist_users.num_rows())
        .filter(|&row| user_names.is_valid(row))
        .map(|row| (user_ids.value(row), user_names.value(row)))
        .collect();

    let dataset = "historical_events";
    let id = column(events, dataset, "id")?.as_primitive::<Int64Type>();
    let at = column(events, dataset, "created_at")?.as_primitive::<TimestampMicrosecondType>();
    let type_id = column(events, dataset, "historical_event_type_id")?.as_primitive::<Int32Type>();
    let worker = column(events, dataset, "worker")?.as_string::<i32>();
    let actor = column(events, dataset, "hist_actor_user_id")?.as_primitive::<Int32Type>();
    let site = column(events, dataset, "hist_actor_site_id")?.as_primitive::<Int32Type>();
    let mut out = AuthColumns::default();
    let mut without_actor = 0;
    for row in 0..events.num_rows() {
        let Some(kind) = type_id
            .is_valid(row)
            .then(|| kinds.get(&type_id.value(row)))
            .flatten()
        else {
            continue;
        };
        let user = actor
            .is_valid(row)
            .then(|| names.get(&actor.value(row)))
            .flatten();
        let (Some(user), true) = (user, at.is_valid(row)) else {
            without_actor += 1;
            continue;
        };
        let machine = if worker.is_valid(row) {
            worker.value(row)
        } else {
            ""
        };
        let site = site.is_valid(row).then(|| site.value(row).to_string());
        out.push(
            at.value(row),
            kind,
            machine,
            user,
            source,
            &id.value(row).to_string(),
            site.as_deref(),
        );
    }
    Ok((out.finish(), without_actor))
}

/// ArcGIS sign-ins from `history`; `machine` names the portal.
pub fn from_arcgis(
    history: &RecordBatch,
    source: &str,
    machine: &str,
) -> Result<RecordBatch, TransformError> {
    let dataset = "history";
    let key = column(history, dataset, "event_key")?.as_primitive::<Int64Type>();
    let at = column(history, dataset, "created")?.as_primitive::<TimestampMicrosecondType>();
    let action = column(history, dataset, "action")?.as_string::<i32>();
    let actor = column(history, dataset, "actor")?.as_string::<i32>();
    let mut out = AuthColumns::default();
    for row in 0..history.num_rows() {
        let kind = match action.is_valid(row).then(|| action.value(row)) {
            Some("login") => "login",
            Some("failedlogin") => "failed_login",
            _ => continue,
        };
        if !actor.is_valid(row) || actor.value(row).is_empty() {
            continue;
        }
        out.push(
            at.value(row),
            kind,
            machine,
            actor.value(row),
            source,
            &key.value(row).to_string(),
            None,
        );
    }
    Ok(out.finish())
}

#[cfg(test)]
#[path = "auth_events_tests.rs"]
mod tests;
