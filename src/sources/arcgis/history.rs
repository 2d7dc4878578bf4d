//! `history`: incremental by a time watermark, one commit and one checkpoint per slice.
//!
//! The state's `watermark_key` for this dataset is an instant (UTC epoch ms), not a
//! row key: every event with `created` below it is durable in the lake. A run reads
//! `[watermark - overlap_minutes, now)`; the overlap re-reads events the portal may
//! have indexed late, and merge-by-key on `event_key` makes re-reading them harmless.
//! Slices are committed and checkpointed in slice order, so a run killed in slice N
//! resumes at the end of slice N-1 and loses nothing.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use chrono::{Duration, Utc};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::config::DEFAULT_HISTORY_DAYS;
use super::{add_written, ArcgisRun};
use crate::days::DateRange;
use crate::failpoint;
use crate::load::state::{DatasetState, SourceState};
use crate::load::Partitioning;
use crate::sources::arcgis::api::ArcgisPortal;
use crate::sources::{DatasetSummary, RunError};

const DATASET: &str = "history";

pub(super) async fn archive(
    ctx: &ArcgisRun<'_>,
    portal: Arc<ArcgisPortal>,
    state: &mut SourceState,
) -> Result<DatasetSummary, RunError> {
    let previous = state.datasets.get(DATASET).cloned().unwrap_or_default();
    let now_ms = Utc::now().timestamp_millis();
    let (from_ms, to_ms) = window(ctx, &previous, now_ms);
    tracing::info!(
        source = ctx.name(),
        from_ms,
        to_ms,
        "reading ArcGIS history"
    );

    // The fetch runs in its own task so that slices keep arriving while the previous
    // one is written; the channel holds one finished slice, so memory stays bounded by
    // `concurrency` slices in flight plus one waiting plus one being written.
    let (tx, mut rx) = mpsc::channel(1);
    let _fetcher = AbortOnDrop(tokio::spawn(async move {
        let slices = portal.history(from_ms, to_ms);
        futures_util::pin_mut!(slices);
        while let Some(slice) = slices.next().await {
            let failed = slice.is_err();
            if tx.send(slice).await.is_err() || failed {
                break; // later slices cannot be checkpointed past a failed one
            }
        }
    }));

    let mut summary = DatasetSummary {
        name: DATASET.into(),
        watermark_before: previous.watermark_key,
        watermark_after: previous.watermark_key,
        ..Default::default()
    };
    let bar = ctx.progress.dataset(ctx.name(), DATASET);
    let mut next = previous;
    let mut pages = 0u64;
    while let Some(slice) = rx.recv().await {
        let slice = slice.map_err(ctx.extract_error(DATASET))?;
        let rows = slice.batch.num_rows() as u64;
        pages += u64::from(slice.pages);
        summary.rows_read += rows;
        let max_created_us = slice
            .batch
            .column_by_name("created")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .and_then(|c| c.values().iter().copied().max());
        if rows > 0 {
            let partitioning = Partitioning::EventDate {
                time_column: "created".into(),
                key_column: "event_key".into(),
                tz: ctx.time_zone,
            };
            let written = ctx.write(DATASET, slice.batch, partitioning).await?;
            add_written(&mut summary, &written);
            next.rows_total = Some(next.rows_total.unwrap_or(0) + written.rows_written);
        }
        bar.add_rows(rows);
        next.watermark_key = Some(slice.to_ms);
        next.max_event_time_us = next.max_event_time_us.max(max_created_us);
        next.updated_at = Utc::now().to_rfc3339();
        next.run_id = ctx.run_id.to_string();
        state.datasets.insert(DATASET.into(), next.clone());
        failpoint::hit("before_state");
        ctx.save_state(state)?;
        failpoint::hit("state_written");
        summary.watermark_after = next.watermark_key;
    }
    bar.finish("done");
    tracing::info!(
        source = ctx.name(),
        pages,
        events = summary.rows_read,
        "ArcGIS history read"
    );
    Ok(summary)
}

/// `[from, to)` in UTC epoch ms: from the watermark minus the overlap, or for a first run from `history_start` (local
/// midnight in the pipeline's zone, so the first `event_date` partition is whole).
fn window(ctx: &ArcgisRun<'_>, previous: &DatasetState, now_ms: i64) -> (i64, i64) {
    let tz = ctx.time_zone;
    let from_ms = match previous.watermark_key {
        Some(watermark) => watermark - ctx.source.portal.overlap_ms(),
        None => {
            let start = ctx
                .source
                .history_start
                .unwrap_or_else(|| ctx.run_date - Duration::days(DEFAULT_HISTORY_DAYS as i64));
            DateRange::day(start).to_utc_micros(tz).0 / 1000
        }
    };
    (from_ms, now_ms)
}

/// Stops the fetch (and its in-flight requests and retries) when the run leaves this
/// dataset, on success or on error.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
