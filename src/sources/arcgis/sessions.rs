//! ArcGIS sign-ins as `auth_events` and `sessions`, rebuilt after `history` is archived.
//!
//! `auth_events` days are rebuilt from the `history` partitions this run wrote (history
//! only grows, so other days cannot change); `sessions` are derived from all of them.
//! ArcGIS logs sign-ins but no sign-outs, so a session is a run of sign-ins that ends by
//! timeout: by default policy `same` (a sign-in while signed in is absorbed and counted)
//! and two hours after the latest sign-in (`config::DEFAULT_SESSIONS`; the section's
//! `login_policy` and `max_session_hours` change them).

use crate::load::PartitionPublisher;
use crate::sources::{DatasetSummary, RunError};
use crate::transform::auth_events::{from_arcgis, AUTH_EVENTS, AUTH_EVENTS_SCHEMA};
use crate::transform::lake::read_files_columns;
use crate::transform::sessions::{rebuild_sessions, SessionsRequest, SESSIONS};
use crate::transform::TransformError;

use super::ArcgisRun;

/// Rebuilds `auth_events` for the `history` partitions in `written` (folder names), then
/// `sessions`. Returns the two datasets' summaries.
pub(super) fn rebuild(
    ctx: &ArcgisRun<'_>,
    written: &[String],
) -> Result<Vec<DatasetSummary>, RunError> {
    let name = ctx.source.name();
    let err = |e: TransformError| RunError::Transform {
        source_name: name.to_string(),
        source: e,
    };
    let started = std::time::Instant::now();
    let machine = ctx
        .source
        .portal
        .portal_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let publisher = PartitionPublisher {
        layout: ctx.layout,
        source: name,
        dataset: AUTH_EVENTS,
        run_id: ctx.run_id,
        compression: ctx.output.compression,
        row_group_rows: ctx.output.row_group_rows,
        sort: None,
        plain_columns: &[],
    };
    let history = crate::load::list_partitions(ctx.layout, name, "history").map_err(|e| {
        err(TransformError::List {
            dataset: format!("{name}/history"),
            source: e,
        })
    })?;
    let mut auth = DatasetSummary {
        name: AUTH_EVENTS.into(),
        ..DatasetSummary::default()
    };
    // Days this run wrote, and days that have history but no auth_events yet (a lake
    // from before this dataset, or a run that died before this step).
    let built: std::collections::HashSet<String> =
        crate::load::list_partitions(ctx.layout, name, AUTH_EVENTS)
            .map_err(|e| {
                err(TransformError::List {
                    dataset: format!("{name}/{AUTH_EVENTS}"),
                    source: e,
                })
            })?
            .into_iter()
            .filter(|p| !p.files.is_empty())
            .map(|p| p.name)
            .collect();
    let stale = |name: &String| written.contains(name) || !built.contains(name);
    for partition in history.iter().filter(|p| stale(&p.name)) {
        let columns = ["event_key", "created", "action", "actor"];
        let mut batches = Vec::new();
        for batch in read_files_columns(&partition.files, &columns).map_err(err)? {
            batches.push(from_arcgis(&batch, name, &machine).map_err(err)?);
        }
        let rows = publisher
            .replace(&partition.name, &AUTH_EVENTS_SCHEMA, &batches)
            .map_err(|e| err(e.into()))?;
        auth.rows_read += partition.rows;
        auth.rows_written += rows;
        auth.partitions.insert(partition.name.clone(), rows);
    }
    auth.seconds = started.elapsed().as_secs_f64();
    let sessions = rebuild_sessions(&SessionsRequest {
        layout: ctx.layout,
        source: name,
        events_dataset: AUTH_EVENTS,
        rules: ctx.source.sessions.rules(),
        tz: ctx.time_zone,
        run_id: ctx.run_id,
        compression: ctx.output.compression,
        row_group_rows: ctx.output.row_group_rows,
    })
    .map_err(err)?;
    let sessions = DatasetSummary {
        name: SESSIONS.into(),
        rows_read: sessions.events,
        rows_written: sessions.sessions,
        seconds: sessions.seconds,
        ..DatasetSummary::default()
    };
    Ok(vec![auth, sessions])
}
