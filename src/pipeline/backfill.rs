//! `usagelake backfill`: re-extracts event datasets over a date range, day by day.
//!
//! Each day is read by key range (see `plan`; ArcGIS `history` by `fromDate`/`toDate`,
//! see `arcgis::backfill`), filtered exactly to the day's local time range, and merged by key into that day's partition only, so partitions outside
//! the range are never touched and a rerun adds no duplicates. The incremental
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

use checkpoint::{backfill_source_names, checkpoint_path, load_checkpoint, save_checkpoint};

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};
use futures_util::{stream, TryStreamExt};

use crate::config::{Pipeline, Source, TableauSource};
use crate::extract::postgres::{PgSession, ResolvedTable, TableKind};
use crate::extract::tableau;
use crate::failpoint;
use crate::load::{fsutil, DatasetWriter, LakeLayout, Partitioning, WriterOptions};
use crate::pipeline::arcgis::backfill::{history_sources, skipped_summaries, HistoryBackfill};
use crate::pipeline::ledger::{self, LedgerEntry};
use crate::pipeline::lock::{LockScope, RunLock};
use crate::pipeline::plan::{days_of, KeyLocator};
use crate::pipeline::progress::Progress;
use crate::pipeline::pump::{pump, PumpContext};
use crate::pipeline::run::{check_requested_datasets, new_run_id, selected_datasets};
use crate::pipeline::state::StateStore;
use crate::pipeline::tableau::connect_options;
use crate::pipeline::{DatasetSummary, DateRange, RunError, RunRequest, RunSummary, SourceSummary};

#[derive(Debug, Clone)]
pub struct BackfillRequest {
    pub range: DateRange,
    /// Only these datasets; empty means every event dataset of every source.
    pub datasets: Vec<String>,
    /// Days extracted at once (each with its own source connection).
    pub jobs: usize,
}

/// The Tableau sources of a pipeline. ArcGIS sources backfill `history` only; see
/// `pipeline::arcgis::backfill::history_sources`.
pub fn tableau_sources(pipeline: &Pipeline) -> impl Iterator<Item = &TableauSource> {
    #[allow(irrefutable_let_patterns)]
    pipeline.sources.iter().filter_map(|s| {
        if let Source::Tableau(t) = s {
            Some(t)
        } else {
            None
        }
    })
}

pub(crate) async fn open_session(source: &TableauSource) -> Result<PgSession, RunError> {
    let session_error = |what| {
        let name = source.name.clone();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let mut session = PgSession::connect(&connect_options(source)?)
        .await
        .map_err(session_error("connecting"))?;
    session
        .begin_snapshot()
        .await
        .map_err(session_error("opening the snapshot transaction"))?;
    Ok(session)
}

/// The source's selected event tables that exist on this server.
pub(crate) async fn event_tables(
    session: &PgSession,
    source: &TableauSource,
    requested: &[String],
) -> Result<Vec<ResolvedTable>, RunError> {
    let mut tables = Vec::new();
    for dataset in selected_datasets(&Source::Tableau(source.clone()), requested) {
        let spec = tableau::table_spec(dataset, source.include_incomplete_jobs)
            .expect("config validation admits only known datasets");
        if !matches!(spec.kind, TableKind::Event { .. }) {
            continue; // snapshots have no history to re-read
        }
        let resolved = session
            .resolve(&spec)
            .await
            .map_err(|e| RunError::Extract {
                source_name: source.name.clone(),
                dataset: dataset.to_string(),
                source: Box::new(e),
            })?;
        tables.extend(resolved);
    }
    Ok(tables)
}

pub async fn backfill(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    progress: &Progress,
) -> Result<RunSummary, RunError> {
    let started = Utc::now();
    let run_id = new_run_id(started);
    let layout = LakeLayout::new(pipeline.output.root.clone());
    check_requested_datasets(
        pipeline,
        &RunRequest {
            datasets: request.datasets.clone(),
            ..Default::default()
        },
    )?;
    let scope = LockScope::Days {
        from: request.range.from,
        to: request.range.to,
    };
    let _lock = RunLock::acquire(&layout, scope, "backfill", &pipeline.path)?;

    let mut sources = Vec::new();
    let outcome = backfill_days(pipeline, request, progress, &layout, &run_id, &mut sources).await;
    ledger::record_logged(
        &layout,
        &LedgerEntry {
            run_id: &run_id,
            pipeline: pipeline.path.display().to_string(),
            command: "backfill",
            started,
            finished: Utc::now(),
            range: Some(request.range),
            sources: &sources,
            error: outcome.as_ref().err().map(|e| e as _),
        },
    );
    // The days' staging dirs and the rebuild's: none is left behind, failed or not.
    if let Err(e) = crate::load::end_run(&layout, &run_id) {
        tracing::warn!(error = %e, "could not remove this backfill's staging dirs");
    }
    outcome?;
    Ok(RunSummary {
        run_id,
        pipeline: pipeline.path.display().to_string(),
        lake_root: layout.root.display().to_string(),
        started_at: started.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        range: Some(format!("{}..{}", request.range.from, request.range.to)),
        sources,
    })
}

async fn backfill_days(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    progress: &Progress,
    layout: &LakeLayout,
    run_id: &str,
    sources: &mut Vec<SourceSummary>,
) -> Result<(), RunError> {
    let checkpoint_path = checkpoint_path(layout, pipeline, request);
    let checkpoint = load_checkpoint(&checkpoint_path, request);
    if !checkpoint.days_done.is_empty() {
        tracing::info!(checkpoint = %checkpoint_path.display(), days_done = checkpoint.days_done.len(), "resuming an interrupted backfill");
    }
    let todo: Vec<NaiveDate> = days_of(request.range)
        .into_iter()
        .filter(|d| !checkpoint.days_done.contains(&d.to_string()))
        .collect();
    let checkpoint = Mutex::new(checkpoint);
    // One token per ArcGIS source for the whole backfill, shared by the days in flight.
    let mut portals = Vec::new();
    for source in history_sources(pipeline, &request.datasets) {
        portals.push(HistoryBackfill::connect(source).await?);
    }
    let portals = &portals;
    let results: Mutex<BTreeMap<(String, String), DatasetSummary>> = Mutex::new(BTreeMap::new());

    let outcome = stream::iter(todo.into_iter().map(Ok))
        .try_for_each_concurrent(request.jobs.max(1), |day| {
            let (checkpoint, results, checkpoint_path) = (&checkpoint, &results, &checkpoint_path);
            async move {
                let day_summaries =
                    backfill_day(pipeline, request, progress, layout, run_id, portals, day).await?;
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
                checkpoint.days_done.insert(day.to_string());
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
    for name in backfill_source_names(pipeline, &request.datasets) {
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
        datasets.extend(skipped_summaries(pipeline, name, &request.datasets));
        let transform = match outcome {
            Ok(()) => rebuild_backfilled(pipeline, name, request, layout, run_id, &datasets)?,
            Err(_) => None,
        };
        if let Some(t) = &transform {
            crate::pipeline::tableau::set_resolution_rate(&mut datasets, t);
        }
        sources.push(SourceSummary {
            name: name.to_string(),
            datasets,
            transform,
        });
    }
    outcome?;
    // Done: the next identical command starts afresh (the ledger keeps the record).
    let _ = fsutil::remove_file_if_exists(&checkpoint_path);
    Ok(())
}

/// The derived datasets (issue 5) of a Tableau source for every day of the range, once
/// its raw days are all in: they must stay consistent with the raw partitions. Only the
/// range's partitions are touched, like the backfill itself.
fn rebuild_backfilled(
    pipeline: &Pipeline,
    source_name: &str,
    request: &BackfillRequest,
    layout: &LakeLayout,
    run_id: &str,
    datasets: &[DatasetSummary],
) -> Result<Option<crate::transform::TransformSummary>, RunError> {
    let is_tableau = tableau_sources(pipeline).any(|s| s.name == source_name && s.enrich);
    let has_requests = datasets
        .iter()
        .any(|d| d.name == "http_requests" && d.skipped.is_none());
    if !is_tableau || !has_requests {
        return Ok(None);
    }
    let rebuild = crate::transform::RebuildRequest {
        layout,
        source: source_name,
        run_id,
        tz: pipeline.time_zone,
        compression: pipeline.output.compression,
        row_group_rows: pipeline.output.row_group_rows,
        event_dates: days_of(request.range).into_iter().collect(),
        snapshot_dates: Default::default(),
        repairs_other_days: false,
    };
    crate::transform::rebuild(&rebuild)
        .map(Some)
        .map_err(|e| RunError::Transform {
            source_name: source_name.to_string(),
            source: e,
        })
}

/// One day, every selected event dataset of every source. Its own connection and
/// snapshot (days run in parallel) and its own staging dir.
async fn backfill_day(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    progress: &Progress,
    layout: &LakeLayout,
    run_id: &str,
    portals: &[HistoryBackfill<'_>],
    day: NaiveDate,
) -> Result<Vec<(String, DatasetSummary)>, RunError> {
    let day_run_id = format!("{run_id}-{}", day.format("%Y%m%d"));
    let mut out = Vec::new();
    for source in tableau_sources(pipeline) {
        // Days are written into the dataset's current key generation (see
        // `load::generation`); the state file is read, never written.
        let state = StateStore::new(layout)
            .load(&source.name)
            .map_err(|e| RunError::State {
                source_name: source.name.clone(),
                source: e,
            })?;
        let session = open_session(source).await?;
        for table in event_tables(&session, source, &request.datasets).await? {
            let started = std::time::Instant::now();
            let dataset = table.spec.dataset.clone();
            let extract_error = |e| RunError::Extract {
                source_name: source.name.clone(),
                dataset: dataset.clone(),
                source: Box::new(e),
            };
            let locator = KeyLocator::new(&session, &table, source, pipeline.time_zone)
                .await
                .map_err(extract_error)?;
            let Some(range) = locator.day_range(day).await.map_err(extract_error)? else {
                continue; // the source table is empty
            };
            let TableKind::Event { key, time, .. } = &table.spec.kind else {
                unreachable!("event_tables returns event tables only")
            };
            let options = WriterOptions {
                compression: pipeline.output.compression,
                row_group_rows: pipeline.output.row_group_rows,
                max_open_partitions: 1,
                replace_while_null: crate::pipeline::tableau::replace_while_null(&table),
                key_generation: state.datasets.get(&dataset).map_or(0, |d| d.key_generation),
                run_id: day_run_id.clone(),
            };
            let partitioning = Partitioning::EventDate {
                time_column: time.clone(),
                key_column: key.clone(),
                tz: pipeline.time_zone,
            };
            let writer = DatasetWriter::open(
                layout,
                &source.name,
                &dataset,
                table.schema.clone(),
                partitioning,
                options,
            )
            .map_err(|e| RunError::Load {
                source_name: source.name.clone(),
                dataset: dataset.clone(),
                source: e,
            })?;
            let bar = progress.dataset(&source.name, &format!("{dataset} {day}"));
            let ctx = PumpContext {
                source_name: &source.name,
                session: &session,
                table: &table,
                range,
                batch_rows: source.batch_rows,
                progress: &bar,
            };
            let written = pump(ctx, writer, |_| {}).await?;
            bar.finish("done");
            out.push((
                source.name.clone(),
                DatasetSummary {
                    name: dataset,
                    rows_read: written.rows_in,
                    rows_written: written.rows_written,
                    rows_already_present: written.rows_already_present,
                    partitions: written.partitions,
                    seconds: started.elapsed().as_secs_f64(),
                    ..Default::default()
                },
            ));
        }
        let _ = session.finish().await;
    }
    for portal in portals {
        let summary = portal
            .backfill_day(pipeline, layout, &day_run_id, progress, day)
            .await?;
        out.push((portal.source.name().to_string(), summary));
    }
    crate::load::end_run(layout, &day_run_id).map_err(RunError::Recover)?;
    Ok(out)
}
