//! `usagelake status` of a tableau source: lake facts per dataset (with the derived
//! `auth_events` and `sessions` when the source has them), and for every event table
//! whether the source purged ids above our watermark before a run copied them (two
//! index probes per table; see `pg_tables::coverage`).

use super::{event_tables, open_session, tables, TableauSource};
use crate::load::state::{SourceState, StateStore};
use crate::load::{list_partitions, LoadError};
use crate::postgres::TableKind;
use crate::sources::pg_tables::coverage::mark_purge_and_restart;
use crate::sources::status::{
    derived_status, lake_status, load_state, DatasetStatus, SourceStatus,
};
use crate::sources::{RunError, SourceContext};
use crate::transform::auth_events::AUTH_EVENTS;
use crate::transform::sessions::SESSIONS;

pub async fn status(
    source: &TableauSource,
    ctx: &SourceContext<'_>,
    now_us: i64,
) -> Result<SourceStatus, LoadError> {
    let state = load_state(&StateStore::new(ctx.layout), &source.name);
    let mut datasets = Vec::new();
    for dataset in source.datasets() {
        let is_event = tables::table_spec(dataset, source.include_incomplete_jobs)
            .is_some_and(|s| matches!(s.kind, TableKind::Event { .. }));
        let partitions = list_partitions(ctx.layout, &source.name, dataset)?;
        let ds = state.datasets.get(dataset);
        let mut status = lake_status(dataset, is_event, &partitions, ds, now_us);
        status.watermark = ds.and_then(|d| d.watermark_key);
        datasets.push(status);
    }
    if source.has_sessions() {
        // Derived after every run from the Login/Logout events (`sessions`).
        for dataset in [AUTH_EVENTS, SESSIONS] {
            let mut status = derived_status(ctx.layout, &source.name, dataset, now_us)?;
            let waiting = state
                .datasets
                .get(AUTH_EVENTS)
                .map_or(0, |d| d.rebuild_pending.len());
            if dataset == AUTH_EVENTS && waiting > 0 {
                status.notes.push(format!(
                    "{waiting} day(s) lack Login/Logout events whose actors are newer than \
                     the lake's hist_users snapshot; the next run that archives hist_users \
                     rebuilds them"
                ));
            }
            datasets.push(status);
        }
    }
    let gaps = source_gaps(source, &state, &mut datasets).await;
    Ok(SourceStatus::new(&source.name, datasets, gaps))
}

async fn source_gaps(
    source: &TableauSource,
    state: &SourceState,
    datasets: &mut [DatasetStatus],
) -> Result<(), RunError> {
    let session = open_session(source).await?;
    for table in event_tables(&session, source, &[]).await? {
        let previous = state.datasets.get(&table.spec.dataset);
        if let Some(status) = datasets.iter_mut().find(|d| d.name == table.spec.dataset) {
            mark_purge_and_restart(&session, &table, previous, status)
                .await
                .map_err(|e| RunError::Extract {
                    source_name: source.name.clone(),
                    dataset: table.spec.dataset.clone(),
                    source: Box::new(e),
                })?;
        }
    }
    let _ = session.finish().await;
    Ok(())
}
