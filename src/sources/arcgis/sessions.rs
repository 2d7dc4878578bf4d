//! ArcGIS sign-ins as `auth_events` and `sessions`, rebuilt after `history` is archived.
//!
//! `auth_events` days are rebuilt from the `history` partitions this run wrote (history
//! only grows, so other days cannot change); `sessions` are derived from all of them.
//! ArcGIS logs sign-ins but no sign-outs, so a session is a run of sign-ins that ends by
//! timeout: by default policy `same` (a sign-in while signed in is absorbed and counted)
//! and two hours after the latest sign-in (`config::DEFAULT_SESSIONS`; the section's
//! `login_policy` and `max_session_hours` change them).

use crate::sources::{DatasetSummary, RunError};
use crate::transform::auth_events::{from_arcgis, AUTH_EVENTS, AUTH_EVENTS_SCHEMA};
use crate::transform::lake::{derived_publisher, partitions_to_rebuild, read_files_columns};
use crate::transform::sessions::{rebuild_sessions, SessionsRequest};
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
    let publisher = derived_publisher(ctx.layout, name, AUTH_EVENTS, ctx.run_id, ctx.output);
    let mut auth = DatasetSummary {
        name: AUTH_EVENTS.into(),
        ..DatasetSummary::default()
    };
    let stale = partitions_to_rebuild(ctx.layout, name, "history", &[AUTH_EVENTS], |p| {
        written.iter().any(|w| w == p)
    })
    .map_err(err)?;
    for partition in &stale {
        let columns = ["event_key", "created", "action", "actor"];
        let mut batches = Vec::new();
        for batch in read_files_columns(&partition.files, &columns).map_err(err)? {
            batches.push(from_arcgis(&batch, name, &machine).map_err(err)?);
        }
        let rows = publisher
            .replace(&partition.name, &AUTH_EVENTS_SCHEMA, &batches)
            .map_err(|e| err(e.into()))?;
        auth.add_rebuilt(partition, rows);
    }
    auth.seconds = started.elapsed().as_secs_f64();
    let rules = ctx.source.sessions.rules();
    let request = SessionsRequest::new(
        ctx.layout,
        name,
        AUTH_EVENTS,
        rules,
        ctx.time_zone,
        ctx.run_id,
        ctx.output,
    );
    let rebuilt = rebuild_sessions(&request).map_err(err)?;
    // ArcGIS has never listed the rewritten days of `sessions` in its run summary.
    let sessions = DatasetSummary {
        partitions: Default::default(),
        ..DatasetSummary::sessions(&rebuilt)
    };
    Ok(vec![auth, sessions])
}
