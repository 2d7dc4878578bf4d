//! Tableau Login/Logout events as `auth_events` and `sessions`, rebuilt after a run.
//!
//! `auth_events` days are rebuilt from the `historical_events` partitions this run wrote,
//! plus days that have events but no `auth_events` yet (a lake from before this dataset,
//! a run that died before this step) and days recorded as waiting for newer lookups (see
//! below); `historical_events` only grows, so other days cannot change. The ids are
//! resolved with the lake's newest snapshot of `historical_event_types`, `hist_users` and
//! `hist_sites`. `sessions` are then derived from every `auth_events` day with the
//! section's `login_policy` and `max_session_hours` (`config::DEFAULT_SESSIONS`).
//!
//! [`Lookups`] says how old that snapshot is. A full run takes it in the same snapshot
//! transaction as the events, so every actor of a new event is in it (hist rows are
//! never updated, only added). A run limited by `--dataset historical_events` (or a
//! backfill) resolves with an older snapshot: an event whose `hist_users` row is newer
//! than the snapshot's cannot be named yet. Such a day is still built with what can be
//! named, said in the summary, and recorded in the state (`rebuild_pending` of
//! `auth_events`, before it is published) so that the next run that refreshes
//! `hist_users` rebuilds it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use super::TableauSource;
use crate::load::partition_date;
use crate::load::state::StateStore;
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

/// How old the lake's lookup snapshots are compared with its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookups {
    /// This run snapshotted `hist_users` after (or with) every event the lake holds:
    /// every actor can be named, and days waiting for that are rebuilt too.
    Fresh,
    /// The snapshots may be older than the events (a `--dataset` run, a backfill). Days
    /// with actors newer than them are recorded for a rebuild when `record` is set (a
    /// run, which holds the lake-wide lock); a backfill, which may run beside other
    /// backfills, cannot write the state and only says so.
    Stored { record: bool },
}

/// Rebuilds `auth_events` for the `historical_events` partitions in `written` (folder
/// names), those not built yet and, with fresh lookups, those waiting for them; then
/// `sessions`. Returns the two datasets' summaries.
pub(super) fn rebuild(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    written: &HashSet<String>,
    lookups: Lookups,
) -> Result<Vec<DatasetSummary>, RunError> {
    let name = source.name.as_str();
    let layout = ctx.source.layout;
    let err = |e: TransformError| RunError::Transform {
        source_name: name.to_string(),
        source: e,
    };
    let state_error = |e| RunError::State {
        source_name: name.to_string(),
        source: e,
    };
    let list = |dataset: &str| partitions(layout, name, dataset).map_err(err);
    let started = Instant::now();
    let mut lookup = TableauLookup::default();
    let mut users_snapshot = None;
    for (dataset, columns) in [
        ("historical_event_types", ["type_id", "name"]),
        ("hist_users", ["id", "name"]),
        ("hist_sites", ["id", "name"]),
    ] {
        let (date, files) = newest_snapshot(list(dataset)?).unzip();
        if dataset == "hist_users" {
            users_snapshot = date;
        }
        for batch in read_files_columns(&files.unwrap_or_default(), &columns).map_err(err)? {
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
        auth.skipped = Some(
            "auth_events and sessions not rebuilt: the lake's historical_event_types has \
             no Login/Logout type (no snapshot yet, or none on this server); the first run \
             that archives one builds them"
                .into(),
        );
        return Ok(vec![auth]);
    }
    let store = StateStore::new(layout);
    let mut state = store.load(name).map_err(state_error)?;
    let waiting: HashSet<String> = state
        .datasets
        .get(AUTH_EVENTS)
        .map(|d| d.rebuild_pending.iter().cloned().collect())
        .unwrap_or_default();
    let is_fresh = lookups == Lookups::Fresh;
    let output = &ctx.source.output;
    let publisher = derived_publisher(layout, name, AUTH_EVENTS, ctx.run_id, output);
    let stale = partitions_to_rebuild(layout, name, EVENTS, &[AUTH_EVENTS], |p| {
        written.contains(p) || (is_fresh && waiting.contains(p))
    })
    .map_err(err)?;
    let (mut without_actor, mut newer_actors, mut newer_days) = (0, 0, 0);
    for partition in &stale {
        let mut batches = Vec::new();
        let mut newer = 0;
        for batch in read_files_columns(&partition.files, &EVENT_COLUMNS).map_err(err)? {
            let (events, unknown) = lookup.auth_events(&batch, name).map_err(err)?;
            if !is_fresh {
                newer += lookup.actors_newer_than_lookup(&batch).map_err(err)?;
            }
            without_actor += unknown;
            batches.push(events);
        }
        if newer > 0 {
            (newer_actors, newer_days) = (newer_actors + newer, newer_days + 1);
            without_actor -= newer;
            if let Lookups::Stored { record: true } = lookups {
                // Recorded before the day is published: a crash in between leaves a day
                // rebuilt once more, never one that stays short of its sign-ins.
                let entry = state.datasets.entry(AUTH_EVENTS.into()).or_default();
                if !entry.rebuild_pending.contains(&partition.name) {
                    entry.rebuild_pending.push(partition.name.clone());
                    entry.rebuild_pending.sort();
                    store.save(name, &state).map_err(state_error)?;
                }
            }
        }
        let rows = publisher
            .replace(&partition.name, &AUTH_EVENTS_SCHEMA, &batches)
            .map_err(|e| err(e.into()))?;
        auth.add_rebuilt(partition, rows);
    }
    if is_fresh && !waiting.is_empty() {
        // Saved after the days are published (a crash before: they are rebuilt again).
        let entry = state.datasets.entry(AUTH_EVENTS.into()).or_default();
        entry.rebuild_pending.retain(|p| !waiting.contains(p));
        store.save(name, &state).map_err(state_error)?;
    }
    if newer_actors > 0 {
        let snapshot = users_snapshot.map_or("none".to_string(), |d| d.to_string());
        let then = match lookups {
            Lookups::Stored { record: true } => {
                "the next run that archives hist_users rebuilds those days"
            }
            _ => "run `usagelake run` (it archives hist_users), then backfill those days again",
        };
        auth.warnings.push(format!(
            "{newer_actors} Login/Logout event(s) on {newer_days} day(s) name hist_users rows \
             newer than the lake's hist_users snapshot ({snapshot}): they are not in \
             auth_events or sessions yet; {then}"
        ));
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

/// The date and files of the newest snapshot partition (None: the dataset has none).
fn newest_snapshot(
    partitions: Vec<crate::load::PartitionInfo>,
) -> Option<(NaiveDate, Vec<PathBuf>)> {
    partitions
        .into_iter()
        .filter(|p| !p.files.is_empty())
        .filter_map(|p| Some((partition_date(&p.name, "snapshot_date")?, p.files)))
        .max_by_key(|(date, _)| *date)
}
