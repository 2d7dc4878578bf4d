//! `usagelake backfill`: re-extracts event datasets over a date range, day by day.
//!
//! Each source kind reads a day its own way (`sources::Backfill::day`: a database by key
//! range, an API by time window), filtered exactly to the day's local time range, and
//! merges by key into that day's partition only, so partitions outside the range are
//! never touched and a rerun adds no duplicates. The incremental
//! watermark never moves: a backfill has not seen every key below its maximum.
//!
//! Resumable: after every day (all its datasets committed) the day is recorded in
//! `<root>/_usagelake/backfill/<id>.json`, where `<id>` is derived from the range and
//! datasets, so running the same command again skips finished days. The file is
//! removed when the backfill completes (the ledger keeps the record).
//!
//! Locking: a `Days` lock over the range (see `lock`), so backfills over disjoint ranges
//! can run at once, also from several machines on one shared root. A backfill does not
//! run lake recovery (another writer may be mid-compaction); the next nightly run does.

mod checkpoint;

use checkpoint::{checkpoint_path, load_checkpoint, save_checkpoint};

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use futures_util::{stream, TryStreamExt};

use crate::days::DateRange;
use crate::failpoint;
use crate::load::fsutil;
use crate::load::lock::LockScope;
use crate::load::state::StateStore;
use crate::pipeline::skeleton::RunStart;
use crate::pipeline::Pipeline;
use crate::pipeline::RunSummary;
use crate::progress::Progress;
use crate::sources::{Backfill, DatasetSummary, RunContext, RunError, SourceConfig, SourceSummary};

#[derive(Debug, Clone)]
pub struct BackfillRequest {
    pub range: DateRange,
    /// Only these datasets; empty means every event dataset of every source.
    pub datasets: Vec<String>,
    /// Days extracted at once (each with its own source connection).
    pub jobs: usize,
}

pub async fn backfill(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    progress: &Progress,
) -> Result<RunSummary, RunError> {
    let scope = LockScope::Days {
        from: request.range.from,
        to: request.range.to,
    };
    let run = RunStart::begin(pipeline, "backfill", scope, &request.datasets)?;
    let ctx = RunContext {
        source: pipeline.source_context(&run.layout, &request.datasets),
        run_id: &run.run_id,
        progress,
        new_key_generation: &[],
    };
    let mut sources = Vec::new();
    let outcome = backfill_days(pipeline, request, &ctx, &mut sources).await;
    run.finish(pipeline, Some(request.range), sources, outcome)
}

async fn backfill_days(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    ctx: &RunContext<'_>,
    sources: &mut Vec<SourceSummary>,
) -> Result<(), RunError> {
    let layout = ctx.source.layout;
    let in_backfill = backfill_sources(pipeline, &request.datasets);
    let names: Vec<&str> = in_backfill.iter().map(|s| s.name()).collect();
    let checkpoint_path = checkpoint_path(layout, request, &names);
    let checkpoint = load_checkpoint(&checkpoint_path, request);
    if !checkpoint.days_done.is_empty() {
        tracing::info!(checkpoint = %checkpoint_path.display(), days_done = checkpoint.days_done.len(), "resuming an interrupted backfill");
    }
    let todo: Vec<NaiveDate> = request
        .range
        .days()
        .into_iter()
        .filter(|d| !checkpoint.days_done.contains(d))
        .collect();
    let checkpoint = Mutex::new(checkpoint);
    // One connection (e.g. an API token) per source for the whole backfill, shared by
    // the days in flight; sources that open one per day connect in `Backfill::day`.
    let mut backfills = Vec::new();
    for source in &in_backfill {
        if let Some(backfill) = source.open_backfill(&ctx.source).await? {
            backfills.push((source.name().to_string(), backfill));
        }
    }
    let backfills = &backfills;
    let results: Mutex<BTreeMap<(String, String), DatasetSummary>> = Mutex::new(BTreeMap::new());

    let outcome = stream::iter(todo.into_iter().map(Ok))
        .try_for_each_concurrent(request.jobs.max(1), |day| {
            let (checkpoint, results, checkpoint_path) = (&checkpoint, &results, &checkpoint_path);
            async move {
                let day_summaries = backfill_day(ctx, backfills, day).await?;
                let mut results = results.lock().expect("not poisoned");
                for (source, summary) in day_summaries {
                    let total = results
                        .entry((source, summary.name.clone()))
                        .or_insert_with(|| DatasetSummary {
                            name: summary.name.clone(),
                            ..Default::default()
                        });
                    total.rows_read += summary.rows_read;
                    total.rows_written += summary.rows_written;
                    total.rows_already_present += summary.rows_already_present;
                    total.seconds += summary.seconds;
                    total.partitions.extend(summary.partitions);
                }
                drop(results);
                let mut checkpoint = checkpoint.lock().expect("not poisoned");
                checkpoint.days_done.insert(day);
                checkpoint.updated_at = Utc::now().to_rfc3339();
                save_checkpoint(checkpoint_path, &checkpoint);
                drop(checkpoint);
                failpoint::hit("backfill_day_done");
                Ok::<(), RunError>(())
            }
        })
        .await;

    // Watermarks are reported, never moved.
    let state_store = StateStore::new(layout);
    for source in in_backfill {
        let name = source.name();
        let state = state_store.load(name).unwrap_or_default();
        let mut datasets: Vec<DatasetSummary> = results
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|((s, _), _)| s == name)
            .map(|(_, d)| {
                let mut d = d.clone();
                let watermark = state.datasets.get(&d.name).and_then(|s| s.watermark_key);
                d.watermark_before = watermark;
                d.watermark_after = watermark;
                d
            })
            .collect();
        datasets.extend(source.not_backfilled(&request.datasets));
        let transform = match outcome {
            Ok(()) => source.finish_backfill(ctx, request.range, &mut datasets)?,
            Err(_) => None,
        };
        sources.push(SourceSummary {
            name: name.to_string(),
            datasets,
            transform,
            error: None,
        });
    }
    outcome?;
    // Done: the next identical command starts afresh (the ledger keeps the record).
    let _ = fsutil::remove_file_if_exists(&checkpoint_path);
    Ok(())
}

/// The sources a backfill involves, in the order their names enter the checkpoint id
/// (see `checkpoint`).
fn backfill_sources<'a>(pipeline: &'a Pipeline, requested: &[String]) -> Vec<&'a SourceConfig> {
    let mut sources: Vec<&SourceConfig> = pipeline
        .sources
        .iter()
        .filter(|s| s.is_in_backfill(requested))
        .collect();
    sources.sort_by_key(|s| s.backfill_order());
    sources
}

/// One day, every source with something to re-read: each writes that day's partitions
/// only, with staging files named by the day's own run id.
async fn backfill_day(
    ctx: &RunContext<'_>,
    backfills: &[(String, Backfill<'_>)],
    day: NaiveDate,
) -> Result<Vec<(String, DatasetSummary)>, RunError> {
    let day_run_id = format!("{}-{}", ctx.run_id, day.format("%Y%m%d"));
    let day_ctx = RunContext {
        run_id: &day_run_id,
        ..*ctx
    };
    let mut out = Vec::new();
    for (name, backfill) in backfills {
        for summary in backfill.day(&day_ctx, day).await? {
            out.push((name.clone(), summary));
        }
    }
    crate::load::end_run(ctx.source.layout, &day_run_id).map_err(RunError::Recover)?;
    Ok(out)
}
