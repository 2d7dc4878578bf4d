//! An incremental run of a tableau source: one snapshot transaction per run; event
//! tables read above their watermark, dimension tables snapshotted whole; then the
//! derived datasets are rebuilt for what the run wrote.

use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::config::SESSION_DATASETS;
use super::{open_session, tables, TableauSource};
use crate::failpoint;
use crate::load::state::{DatasetState, StateStore};
use crate::load::{DatasetWriter, Partitioning, WriterOptions};
use crate::postgres::{PgSession, ResolvedTable, RowRange, TableKind};
use crate::sources::pg_tables::coverage;
use crate::sources::pg_tables::event_stats::EventStats;
use crate::sources::pg_tables::pump::{pump, PumpContext};
use crate::sources::tableau::enrich::{RebuildRequest, TransformSummary};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};

pub(crate) async fn run(
    source: &TableauSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let (layout, run_id) = (ctx.source.layout, ctx.run_id);
    let name = source.name.clone();
    let session_error = |what: &'static str| {
        let name = name.clone();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let session = open_session(source).await?;

    let store = StateStore::new(layout);
    let mut state = store.load(&source.name).map_err(|e| RunError::State {
        source_name: name.clone(),
        source: e,
    })?;
    let run_date = snapshot_date_today(ctx.source.time_zone);

    let mut datasets = Vec::new();
    let wanted = source
        .datasets()
        .into_iter()
        .filter(|d| ctx.source.requested.is_empty() || ctx.source.requested.iter().any(|r| r == d))
        .map(str::to_string)
        .collect::<Vec<_>>();
    for dataset in &wanted {
        let spec = tables::table_spec(dataset, source.include_incomplete_jobs)
            .expect("config validation admits only known datasets");
        let is_event = matches!(spec.kind, TableKind::Event { .. });
        let started = Instant::now();
        let extract_error = |e| RunError::Extract {
            source_name: name.clone(),
            dataset: dataset.clone(),
            source: Box::new(e),
        };
        let Some(table) = session.resolve(&spec).await.map_err(extract_error)? else {
            datasets.push(DatasetSummary {
                name: dataset.clone(),
                skipped: Some(format!(
                    "table `{}` does not exist on this server",
                    spec.table
                )),
                ..Default::default()
            });
            continue;
        };
        if !table.ignored.is_empty() {
            tracing::info!(source = %name, dataset = %dataset, columns = ?table.ignored, "server columns not in the spec are ignored");
        }
        let dataset_run = DatasetRun {
            ctx,
            source,
            session: &session,
            run_date,
        };
        let mut summary = if is_event {
            let mut previous = state.datasets.get(dataset).cloned().unwrap_or_default();
            if ctx.new_key_generation.contains(dataset) {
                // Everything the source holds is read again into the next generation;
                // rows already archived (same id and time) are dropped by the writer.
                previous = DatasetState {
                    key_generation: previous.key_generation + 1,
                    ..Default::default()
                };
                tracing::warn!(source = %name, dataset = %dataset, generation = previous.key_generation,
                    "starting a new key generation: re-reading the whole table");
            }
            let (summary, next) = dataset_run.event(&table, &previous).await?;
            if let Some(next) = next {
                state.datasets.insert(dataset.clone(), next);
                failpoint::hit("before_state");
                store.save(&name, &state).map_err(|e| RunError::State {
                    source_name: name.clone(),
                    source: e,
                })?;
                failpoint::hit("state_written");
            }
            summary
        } else {
            let summary = dataset_run.snapshot(&table).await?;
            let entry = state.datasets.entry(dataset.clone()).or_default();
            entry.last_snapshot_date = Some(run_date.to_string());
            entry.updated_at = Utc::now().to_rfc3339();
            entry.run_id = run_id.to_string();
            store.save(&name, &state).map_err(|e| RunError::State {
                source_name: name.clone(),
                source: e,
            })?;
            summary
        };
        summary.seconds = started.elapsed().as_secs_f64();
        summary.ignored_columns = table.ignored.clone();
        summary.missing_columns = table.missing.clone();
        datasets.push(summary);
    }
    session
        .finish()
        .await
        .map_err(session_error("closing the snapshot transaction"))?;
    // Login/Logout → auth_events → sessions, when this run refreshed every input (an
    // older hist_users snapshot could lack the actors of new events; days left unbuilt
    // are built by the next run that selects all three).
    let selected = |d: &str| wanted.iter().any(|w| w.as_str() == d);
    if source.has_sessions() && SESSION_DATASETS.iter().all(|d| selected(d)) {
        let written: std::collections::HashSet<String> = datasets
            .iter()
            .filter(|d| d.name == "historical_events")
            .flat_map(|d| d.partitions.keys().cloned())
            .collect();
        let derived = super::sessions::rebuild(source, ctx, &written)?;
        datasets.extend(derived);
    }
    let transform = if source.enrich {
        let transform = rebuild_derived(source, ctx, run_date, &datasets)?;
        set_resolution_rate(&mut datasets, &transform);
        Some(transform)
    } else {
        None
    };
    Ok(SourceSummary {
        name,
        datasets,
        transform,
        error: None,
    })
}

/// The ledger charts enrichment health next to the raw dataset it enriches.
pub(crate) fn set_resolution_rate(datasets: &mut [DatasetSummary], transform: &TransformSummary) {
    for d in datasets.iter_mut().filter(|d| d.name == "http_requests") {
        d.resolution_rate = Some(transform.resolution.resolved_share);
    }
}

/// Today in the pipeline's zone: the snapshot date of this run. `USAGELAKE_TODAY=YYYY-MM-DD`
/// overrides it; it exists for tests that need two runs on two snapshot dates (a rename
/// between snapshots) and is never set in production.
fn snapshot_date_today(tz: chrono_tz::Tz) -> NaiveDate {
    std::env::var("USAGELAKE_TODAY")
        .ok()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive())
}

/// Rebuilds `requests_enriched` and the seed datasets for what this run wrote (issue 5):
/// the event dates of `http_requests` and today's snapshots.
fn rebuild_derived(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    run_date: NaiveDate,
    datasets: &[DatasetSummary],
) -> Result<TransformSummary, RunError> {
    let mut event_dates = std::collections::BTreeSet::new();
    for d in datasets.iter().filter(|d| d.name == "http_requests") {
        event_dates.extend(
            d.partitions
                .keys()
                .filter_map(|p| crate::load::event_partition_date(p)),
        );
    }
    let wrote_snapshots = datasets.iter().any(|d| {
        let is_snapshot = |p: &String| crate::load::partition_date(p, "snapshot_date").is_some();
        d.skipped.is_none() && d.partitions.keys().any(is_snapshot)
    });
    let rebuild = RebuildRequest {
        layout: ctx.source.layout,
        source: &source.name,
        run_id: ctx.run_id,
        tz: ctx.source.time_zone,
        compression: ctx.source.output.compression,
        row_group_rows: ctx.source.output.row_group_rows,
        event_dates,
        snapshot_dates: wrote_snapshots.then_some(run_date).into_iter().collect(),
        repairs_other_days: true,
    };
    crate::sources::tableau::enrich::rebuild(&rebuild).map_err(|e| RunError::Transform {
        source_name: source.name.clone(),
        source: e,
    })
}

struct DatasetRun<'a> {
    ctx: &'a RunContext<'a>,
    source: &'a TableauSource,
    session: &'a PgSession,
    run_date: NaiveDate,
}

impl DatasetRun<'_> {
    fn writer_options(&self, table: &ResolvedTable, key_generation: u32) -> WriterOptions {
        WriterOptions {
            compression: self.ctx.source.output.compression,
            row_group_rows: self.ctx.source.output.row_group_rows,
            max_open_partitions: 4,
            replace_while_null: replace_while_null(table),
            key_generation,
            run_id: self.ctx.run_id.to_string(),
        }
    }

    fn open_writer(
        &self,
        table: &ResolvedTable,
        partitioning: Partitioning,
        key_generation: u32,
    ) -> Result<DatasetWriter, RunError> {
        DatasetWriter::open(
            self.ctx.source.layout,
            &self.source.name,
            &table.spec.dataset,
            table.schema.clone(),
            partitioning,
            self.writer_options(table, key_generation),
        )
        .map_err(|e| RunError::Load {
            source_name: self.source.name.clone(),
            dataset: table.spec.dataset.clone(),
            source: e,
        })
    }

    /// Returns the summary and, for an incremental run that read rows, the next state.
    async fn event(
        &self,
        table: &ResolvedTable,
        previous: &DatasetState,
    ) -> Result<(DatasetSummary, Option<DatasetState>), RunError> {
        let TableKind::Event {
            key, time, pending, ..
        } = &table.spec.kind
        else {
            unreachable!("event() is called for event tables only")
        };
        let extract_error = |e| RunError::Extract {
            source_name: self.source.name.clone(),
            dataset: table.spec.dataset.clone(),
            source: Box::new(e),
        };
        let row_range = match previous.lookback_key.or(previous.watermark_key) {
            Some(k) => RowRange::KeyAbove(k),
            None => RowRange::All,
        };
        // Ids handed out again would be dropped by merge-by-key: stop before writing.
        let restart = coverage::key_restart(self.session, table, previous)
            .await
            .map_err(extract_error)?;
        if let Some(restart) = restart {
            return Err(RunError::KeysRestarted {
                source_name: self.source.name.clone(),
                restart: Box::new(restart),
            });
        }
        // Catch-up after missed nights is automatic (reads by id); warn if the source
        // already purged part of what we missed.
        let purge_warning =
            coverage::purge_warning(self.session, table, previous, &self.source.name)
                .await
                .map_err(extract_error)?;
        // Read inside the same snapshot as the data, so the pending set matches it.
        let min_pending = match pending {
            Some(_) => self
                .session
                .min_pending_key(table)
                .await
                .map_err(extract_error)?,
            None => None,
        };
        let key_index = table
            .schema
            .index_of(key)
            .expect("key column is in the schema");
        let time_index = table
            .schema
            .index_of(time)
            .expect("time column is in the schema");
        let partitioning = Partitioning::EventDate {
            time_column: time.clone(),
            key_column: key.clone(),
            tz: self.ctx.source.time_zone,
        };
        let writer = self.open_writer(table, partitioning, previous.key_generation)?;
        let bar = self
            .ctx
            .progress
            .dataset(&self.source.name, &table.spec.dataset);
        let mut stats = EventStats::default();
        let ctx = PumpContext {
            source_name: &self.source.name,
            session: self.session,
            table,
            range: row_range,
            batch_rows: self.source.batch_rows,
            progress: &bar,
        };
        let written = pump(ctx, writer, |batch| {
            stats.observe(batch, key_index, time_index)
        })
        .await?;
        bar.finish("done");

        let mut summary = DatasetSummary {
            name: table.spec.dataset.clone(),
            rows_read: written.rows_in,
            rows_written: written.rows_written,
            rows_already_present: written.rows_already_present,
            partitions: written.partitions,
            watermark_before: previous.watermark_key,
            watermark_after: previous.watermark_key,
            warnings: purge_warning.into_iter().collect(),
            ..Default::default()
        };
        if stats.rows == 0 && min_pending.is_none() {
            return Ok((summary, None));
        }
        let lookback_us = i64::try_from(self.source.lookback.as_micros()).unwrap_or(i64::MAX);
        let mut next = previous.clone();
        next.watermark_key = max_opt(previous.watermark_key, stats.max_key);
        if stats.max_key.is_some() && stats.max_key >= previous.watermark_key {
            next.watermark_time_us = stats.time_at_max_key_us;
        }
        next.max_event_time_us = max_opt(previous.max_event_time_us, stats.max_time_us);
        let lookback = stats.lookback_key(lookback_us).or(previous.lookback_key);
        // Unfinished rows (running jobs) are excluded now and must be read once they end.
        next.lookback_key = min_opt(lookback, min_pending.map(|k| k - 1));
        next.rows_total = Some(previous.rows_total.unwrap_or(0) + written.rows_written);
        next.updated_at = Utc::now().to_rfc3339();
        next.run_id = self.ctx.run_id.to_string();
        summary.watermark_after = next.watermark_key;
        Ok((summary, Some(next)))
    }

    async fn snapshot(&self, table: &ResolvedTable) -> Result<DatasetSummary, RunError> {
        let writer = self.open_writer(
            table,
            Partitioning::SnapshotDate {
                date: self.run_date,
            },
            0,
        )?;
        let bar = self
            .ctx
            .progress
            .dataset(&self.source.name, &table.spec.dataset);
        let ctx = PumpContext {
            source_name: &self.source.name,
            session: self.session,
            table,
            range: RowRange::All,
            batch_rows: self.source.batch_rows,
            progress: &bar,
        };
        let written = pump(ctx, writer, |_| {}).await?;
        bar.finish("done");
        Ok(DatasetSummary {
            name: table.spec.dataset.clone(),
            rows_read: written.rows_in,
            rows_written: written.rows_written,
            rows_already_present: written.rows_already_present,
            partitions: written.partitions,
            ..Default::default()
        })
    }
}

/// Tables with rows that are not final yet (running background jobs, archived with
/// `include_incomplete_jobs`) replace a published row that is not final by its newer
/// version; the column that says so.
pub(crate) fn replace_while_null(table: &ResolvedTable) -> Option<String> {
    match &table.spec.kind {
        TableKind::Event { pending_column, .. } => pending_column.clone(),
        TableKind::Snapshot => None,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.max(b)
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_max_of_options_ignore_missing_sides() {
        assert_eq!(max_opt(None, Some(3)), Some(3));
        assert_eq!(max_opt(Some(5), Some(3)), Some(5));
        assert_eq!(min_opt(None, Some(3)), Some(3));
        assert_eq!(min_opt(Some(5), Some(3)), Some(3));
        assert_eq!(min_opt(None, None), None);
    }
}
