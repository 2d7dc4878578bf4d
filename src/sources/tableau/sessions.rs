//! Tableau Login/Logout events as `auth_events` and `sessions`, rebuilt after a run.
//!
//! `auth_events` days are rebuilt from the `historical_events` partitions this run wrote,
//! plus days that have events but no `auth_events` yet (a lake from before this dataset,
//! a run that died before this step, or a run limited by `--dataset`); `historical_events`
//! only grows, so other days cannot change. The ids are resolved with the newest snapshot
//! of `historical_event_types`, `hist_users` and `hist_sites`: taken in the same snapshot
//! transaction as the events, so every actor of a new event is in it (hist rows are never
//! updated, only added). `sessions` are then derived from every `auth_events` day with
//! the section's `login_policy` and `max_session_hours` (`config::DEFAULT_SESSIONS`).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use super::TableauSource;
use crate::load::partition_date;
use crate::sources::{DatasetSummary, RunContext, RunError};
use crate::transform::auth_events::{TableauLookup, AUTH_EVENTS, AUTH_EVENTS_SCHEMA};
use crate::transform::lake::{
    derived_publisher, partitions, partitions_to_rebuild, read_files_columns,
};
use crate::transform::sessions::{rebuild_sessions, SessionsRequest};
use crate::transform::TransformError;

const EVENTS: &str = "historical_events";
/// The columns of `historical_events` the mapping reads.
const EVENT_COLUMNS: [&str; 7] = [
    "id",
    "created_at",
    "historical_event_type_id",
    "worker",
    "hist_actor_user_id",
    "hist_actor_site_id",
    "is_failure",
];

/// Rebuilds `auth_events` for the `historical_events` partitions in `written` (folder
/// names) and those not built yet, then `sessions`. Returns the two datasets' summaries.
pub(super) fn rebuild(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    written: &HashSet<String>,
) -> Result<Vec<DatasetSummary>, RunError> {
    let name = source.name.as_str();
    let layout = ctx.source.layout;
    let err = |e: TransformError| RunError::Transform {
        source_name: name.to_string(),
        source: e,
    };
    let list = |dataset: &str| partitions(layout, name, dataset).map_err(err);
    let started = Instant::now();
    let mut lookup = TableauLookup::default();
    for (dataset, columns) in [
        ("historical_event_types", ["type_id", "name"]),
        ("hist_users", ["id", "name"]),
        ("hist_sites", ["id", "name"]),
    ] {
        for batch in read_files_columns(&newest_snapshot(list(dataset)?), &columns).map_err(err)? {
            match dataset {
                "historical_event_types" => lookup.add_event_types(&batch),
                "hist_users" => lookup.add_hist_users(&batch),
                _ => lookup.add_hist_sites(&batch),
            }
            .map_err(err)?;
        }
    }
    let mut auth = DatasetSummary {
        name: AUTH_EVENTS.into(),
        ..DatasetSummary::default()
    };
    if !lookup.has_types() {
        // No snapshot of the types yet (or a server without Login/Logout types): days
        // stay unbuilt and are picked up by the first run that has them.
        auth.skipped = Some("no Login/Logout type in historical_event_types".into());
        return Ok(vec![auth]);
    }
    let output = &ctx.source.output;
    let publisher = derived_publisher(layout, name, AUTH_EVENTS, ctx.run_id, output);
    let stale = partitions_to_rebuild(layout, name, EVENTS, &[AUTH_EVENTS], |p| {
        written.contains(p)
    })
    .map_err(err)?;
    let mut without_actor = 0;
    for partition in &stale {
        let mut batches = Vec::new();
        for batch in read_files_columns(&partition.files, &EVENT_COLUMNS).map_err(err)? {
            let (events, unknown) = lookup.auth_events(&batch, name).map_err(err)?;
            without_actor += unknown;
            batches.push(events);
        }
        let rows = publisher
            .replace(&partition.name, &AUTH_EVENTS_SCHEMA, &batches)
            .map_err(|e| err(e.into()))?;
        auth.add_rebuilt(partition, rows);
    }
    if without_actor > 0 {
        auth.warnings.push(format!(
            "{without_actor} Login/Logout event(s) without a known actor (no hist_users row \
             or name) are not in auth_events"
        ));
    }
    auth.seconds = started.elapsed().as_secs_f64();
    let rules = source.sessions.rules();
    let request = SessionsRequest::new(
        layout,
        name,
        AUTH_EVENTS,
        rules,
        ctx.source.time_zone,
        ctx.run_id,
        output,
    );
    let sessions = DatasetSummary::sessions(&rebuild_sessions(&request).map_err(err)?);
    Ok(vec![auth, sessions])
}

/// The files of the newest snapshot partition (none when the dataset has no snapshot).
fn newest_snapshot(partitions: Vec<crate::load::PartitionInfo>) -> Vec<PathBuf> {
    partitions
        .into_iter()
        .filter(|p| !p.files.is_empty())
        .filter_map(|p| Some((partition_date(&p.name, "snapshot_date")?, p.files)))
        .max_by_key(|(date, _)| *date)
        .map(|(_, files)| files)
        .unwrap_or_default()
}
