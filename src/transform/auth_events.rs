//! `auth_events`: one model of sign-in events for every source, which `sessions` reads.
//!
//! Columns: `event_at` (µs UTC), `event_type` (`login` | `logout` | `failed_login`),
//! `machine`, `user`, `source`, `source_key` (the row's key in the source dataset, as
//! text), `site` (Tableau's actor site id; NULL elsewhere).
//!
//! - Tableau: `historical_events` whose type is named Login or Logout in
//!   `historical_event_types` (case and spacing ignored, see [`tableau_event_kind`]). The
//!   join is on the type *id* found by name, never on the name per row (ids are stable).
//!   The actor is `hist_actor_user_id` → `hist_users.id` → `name` (not `users.id`:
//!   another id space); the site is `hist_actor_site_id` → `hist_sites.name`; the machine
//!   is the server `worker` that handled it.
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

/// What a Tableau event's ids mean: the Login/Logout type ids, actor names and site
/// names, from the repository's `historical_event_types`, `hist_users` and `hist_sites`.
#[derive(Debug, Default)]
pub struct TableauLookup {
    kinds: HashMap<i32, &'static str>,
    users: HashMap<i32, String>,
    sites: HashMap<i32, String>,
    /// The highest `hist_users.id` added (with or without a name).
    newest_user_id: Option<i32>,
}

/// The auth event type a `historical_event_types.name` stands for. Compared on lower-case
/// letters and digits only: servers and versions differ in case and spacing ("Login",
/// "Log In", "LOGOUT", "Sign Out"), and one type name on real servers is even misspelled
/// (reference §4), so a strict comparison would silently lose events.
pub fn tableau_event_kind(type_name: &str) -> Option<&'static str> {
    let folded: String = type_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match folded.as_str() {
        "login" | "logon" | "signin" => Some("login"),
        "logout" | "logoff" | "signout" => Some("logout"),
        _ => None,
    }
}

impl TableauLookup {
    /// Adds rows of `historical_event_types` (`type_id`, `name`).
    pub fn add_event_types(&mut self, batch: &RecordBatch) -> Result<(), TransformError> {
        let dataset = "historical_event_types";
        let ids = column(batch, dataset, "type_id")?.as_primitive::<Int32Type>();
        let names = column(batch, dataset, "name")?.as_string::<i32>();
        for row in (0..batch.num_rows()).filter(|&r| ids.is_valid(r) && names.is_valid(r)) {
            if let Some(kind) = tableau_event_kind(names.value(row)) {
                self.kinds.insert(ids.value(row), kind);
            }
        }
        Ok(())
    }

    /// Adds rows of `hist_users` (`id`, `name`). The row's `user_id` is not needed: it is
    /// NULL once the user is deleted, while `name` (the username then) stays.
    pub fn add_hist_users(&mut self, batch: &RecordBatch) -> Result<(), TransformError> {
        add_names(&mut self.users, batch, "hist_users")?;
        let ids = column(batch, "hist_users", "id")?.as_primitive::<Int32Type>();
        self.newest_user_id = self.newest_user_id.max(ids.iter().flatten().max());
        Ok(())
    }

    /// How many Login/Logout events of a `historical_events` batch name an actor whose
    /// `hist_users` row is newer than every row of this lookup: the lookup's snapshot is
    /// older than the events (hist rows are only added, with growing ids), so a newer
    /// snapshot will name them.
    pub fn actors_newer_than_lookup(&self, events: &RecordBatch) -> Result<u64, TransformError> {
        let dataset = "historical_events";
        let type_id =
            column(events, dataset, "historical_event_type_id")?.as_primitive::<Int32Type>();
        let actor = column(events, dataset, "hist_actor_user_id")?.as_primitive::<Int32Type>();
        let newest = self.newest_user_id.unwrap_or(i32::MIN);
        let newer = (0..events.num_rows())
            .filter(|&row| type_id.is_valid(row) && self.kinds.contains_key(&type_id.value(row)))
            .filter(|&row| actor.is_valid(row) && actor.value(row) > newest)
            .count();
        Ok(newer as u64)
    }

    /// Adds rows of `hist_sites` (`id`, `name`).
    pub fn add_hist_sites(&mut self, batch: &RecordBatch) -> Result<(), TransformError> {
        add_names(&mut self.sites, batch, "hist_sites")
    }

    /// Whether any type is a Login or Logout (a server without them has no sessions).
    pub fn has_types(&self) -> bool {
        !self.kinds.is_empty()
    }

    /// The Login/Logout events of a `historical_events` batch. A Login with `is_failure`
    /// set is a `failed_login`. Events whose actor is unknown (no `hist_users` row or no
    /// name: server-generated events) cannot belong to a user's session and are left out;
    /// their count is returned with the batch. `site` is the actor site's name from
    /// `hist_sites`, or its id as text when the lake has no row for it.
    pub fn auth_events(
        &self,
        events: &RecordBatch,
        source: &str,
    ) -> Result<(RecordBatch, u64), TransformError> {
        let dataset = "historical_events";
        let id = column(events, dataset, "id")?.as_primitive::<Int64Type>();
        let at = column(events, dataset, "created_at")?.as_primitive::<TimestampMicrosecondType>();
        let type_id =
            column(events, dataset, "historical_event_type_id")?.as_primitive::<Int32Type>();
        let worker = column(events, dataset, "worker")?.as_string::<i32>();
        let actor = column(events, dataset, "hist_actor_user_id")?.as_primitive::<Int32Type>();
        let site = column(events, dataset, "hist_actor_site_id")?.as_primitive::<Int32Type>();
        let failure = events
            .column_by_name("is_failure")
            .and_then(|c| c.as_boolean_opt());
        let mut out = AuthColumns::default();
        let mut without_actor = 0;
        for row in 0..events.num_rows() {
            let Some(&kind) = type_id
                .is_valid(row)
                .then(|| self.kinds.get(&type_id.value(row)))
                .flatten()
            else {
                continue;
            };
            let user = actor
                .is_valid(row)
                .then(|| self.users.get(&actor.value(row)))
                .flatten();
            let (Some(user), true) = (user, at.is_valid(row)) else {
                without_actor += 1;
                continue;
            };
            let failed = failure.is_some_and(|f| f.is_valid(row) && f.value(row));
            let kind = if kind == "login" && failed {
                "failed_login"
            } else {
                kind
            };
            let machine = if worker.is_valid(row) {
                worker.value(row)
            } else {
                ""
            };
            let site = site.is_valid(row).then(|| {
                let id = site.value(row);
                self.sites
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string())
            });
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
}

fn add_names(
    names: &mut HashMap<i32, String>,
    batch: &RecordBatch,
    dataset: &str,
) -> Result<(), TransformError> {
    let ids = column(batch, dataset, "id")?.as_primitive::<Int32Type>();
    let values = column(batch, dataset, "name")?.as_string::<i32>();
    for row in (0..batch.num_rows()).filter(|&r| ids.is_valid(r) && values.is_valid(r)) {
        names.insert(ids.value(row), values.value(row).to_string());
    }
    Ok(())
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
