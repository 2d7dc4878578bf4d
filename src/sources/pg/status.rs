//! `usagelake status` of a `postgres` source: lake facts per dataset, the watermark, and
//! for tables read by an integer key whether the source purged ids above the watermark
//! before a run copied them (two index probes, `pg_tables::coverage`). Rows of the auth
//! table that are not events are counted from `auth_rejected`.

use super::config::AUTH_REJECTED;
use super::relation::Watermark;
use super::run::as_stored;
use super::{open_session, relation, relation_error, PostgresSource};
use crate::days::format_us;
use crate::load::state::{SourceState, StateStore};
use crate::load::{list_partitions, LoadError};
use crate::sources::pg_tables::coverage::mark_purge_and_restart;
use crate::sources::status::{
    derived_status, lake_status, load_state, DatasetStatus, SourceStatus,
};
use crate::sources::{RunError, SourceContext};
use crate::transform::auth_events::AUTH_EVENTS;
use crate::transform::sessions::SESSIONS;

pub async fn status(
    source: &PostgresSource,
    ctx: &SourceContext<'_>,
    now_us: i64,
) -> Result<SourceStatus, LoadError> {
    let state = load_state(&StateStore::new(ctx.layout), &source.name);
    let mut datasets = Vec::new();
    for dataset in source.datasets() {
        if [AUTH_EVENTS, AUTH_REJECTED, SESSIONS].contains(&dataset) {
            let mut status = derived_status(ctx.layout, &source.name, dataset, now_us)?;
            if dataset == AUTH_REJECTED && status.lake_rows > 0 {
                status.notes.push(format!(
                    "{} row(s) of the auth table are not login/logout events (source_key, reason)",
                    status.lake_rows
                ));
            }
            datasets.push(status);
            continue;
        }
        let partitions = list_partitions(ctx.layout, &source.name, dataset)?;
        let ds = state.datasets.get(dataset);
        // A quiet day in an audit table is normal; empty days are not gaps here.
        let mut status = lake_status(dataset, false, &partitions, ds, now_us);
        status.kind = "event";
        status.watermark = ds.and_then(|d| d.watermark_key);
        if status.watermark.is_none() {
            if let Some(at) = ds.and_then(|d| d.watermark_time_us) {
                status.watermark_time = Some(format_us(Some(at)));
            }
        }
        datasets.push(status);
    }
    let gaps = source_gaps(source, &state, &mut datasets).await;
    Ok(SourceStatus::new(&source.name, datasets, gaps))
}

async fn source_gaps(
    source: &PostgresSource,
    state: &SourceState,
    datasets: &mut [DatasetStatus],
) -> Result<(), RunError> {
    for table in &source.tables {
        let session = open_session(source).await?;
        let archive = relation::resolve(&session, table, &source.connection.user)
            .await
            .map_err(|e| relation_error(source, &table.dataset, e))?;
        if archive.watermark != Watermark::Key {
            let _ = session.finish().await;
            continue; // no id sequence: a purge cannot be told from a quiet time
        }
        let previous = state
            .datasets
            .get(&table.dataset)
            .map(|ds| as_stored(ds, &archive));
        if let Some(status) = datasets.iter_mut().find(|d| d.name == table.dataset) {
            mark_purge_and_restart(&session, &archive.table, previous.as_ref(), status)
                .await
                .map_err(|e| RunError::Extract {
                    source_name: source.name.clone(),
                    dataset: table.dataset.clone(),
                    source: Box::new(e),
                })?;
        }
        let _ = session.finish().await;
    }
    Ok(())
}
