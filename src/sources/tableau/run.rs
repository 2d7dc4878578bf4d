//! The Tableau Server source: one snapshot transaction per run; event tables read
//! above their watermark (or over a date range), dimension tables snapshotted whole.

use std::time::Instant;

use chrono::{NaiveDate, Utc};

use crate::config::{Pipeline, Source, TableauSource};
use crate::extract::postgres::{ConnectOptions, PgSession, ResolvedTable, RowRange, TableKind};
use crate::extract::tableau;
use crate::failpoint;
use crate::load::{DatasetWriter, LakeLayout, Partitioning, WriterOptions};
use crate::pipeline::coverage;
use crate::pipeline::event_stats::EventStats;
use crate::pipeline::progress::Progress;
use crate::pipeline::pump::{pump, PumpContext};
use crate::pipeline::run::{selected_datasets, DateRange, RunRequest};
use crate::pipeline::state::{DatasetState, StateStore};
use crate::pipeline::{DatasetSummary, RunError, SourceSummary};

pub fn connect_options(source: &TableauSource) -> Result<ConnectOptions, RunError> {
    let password = match &source.password {
        Some(secret_ref) => Some(secret_ref.resolve().map_err(|e| RunError::Secret {
            source_name: source.name.clone(),
            source: e,
        })?),
        None => None,
    };
    Ok(ConnectOptions {
        host: source.host.clone(),
        port: source.port,
        database: source.database.clone(),
        user: source.user.clone(),
        password,
        sslmode: source.sslmode,
        connect_timeout: source.connect_timeout,
        application_name: "usagelake".to_string(),
    })
}

pub(crate) async fn run_tableau(
    pipeline: &Pipeline,
    source: &TableauSource,
    request: &RunRequest,
    layout: &LakeLayout,
    run_id: &str,
    progress: &Progress,
) -> Result<SourceSummary, RunError> {
    let name = source.name.clone();
    let session_error = |what: &'static str| {
        let name = name.clone();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let options = connect_options(source)?;
    let mut session = PgSession::connect(&options)
        .await
        .map_err(session_error("connecting"))?;
    session
        .begin_snapshot()
        .await
        .map_err(session_error("opening the snapshot transaction"))?;

    let store = StateStore::new(layout);
    let mut state = store.load(&source.name).map_err(|e| RunError::State {
        source_name: name.clone(),
        source: e,
    })?;
    let run_date = snapshot_date_today(pipeline.time_zone);

    let mut datasets = Vec::new();
    let wanted = selected_datasets(&Source::Tableau(source.clone()), &request.datasets)
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    for dataset in &wanted {
        let spec = tableau::table_spec(dataset, source.include_incomplete_jobs)
            .expect("config validation admits only known datasets");
        let is_event = matches!(spec.kind, TableKind::Event { .. });
        if request.range.is_some() && !is_event {
            continue; // a date range re-reads event tables only; dimensions are snapshots
        }
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
        let ctx = DatasetRun {
            pipeline,
            source,
            session: &session,
            layout,
            run_id,
            progress,
            run_date,
        };
        let mut summary = if is_event {
            let previous = state.datasets.get(dataset).cloned().unwrap_or_default();
            let (summary, next) = ctx.event(&table, &previous, request.range).await?;
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
            let summary = ctx.snapshot(&table).await?;
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
    let transform = if source.enrich {
        let transform = rebuild_derived(
            pipeline, source, request, layout, run_id, run_date, &datasets,
        )?;
        set_resolution_rate(&mut datasets, &transform);
        Some(transform)
    } else {
        None
    };
    Ok(SourceSummary {
        name,
        datasets,
        transform,
    })
}

/// The ledger charts enrichment health next to the raw dataset it enriches.
pub(crate) fn set_resolution_rate(
    datasets: &mut [DatasetSummary],
    transform: &crate::transform::TransformSummary,
) {
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
/// the event dates of `http_requests`, the days of a `--from/--to` range, today's snapshots.
fn rebuild_derived(
    pipeline: &Pipeline,
    source: &TableauSource,
    request: &RunRequest,
    layout: &LakeLayout,
    run_id: &str,
    run_date: NaiveDate,
    datasets: &[DatasetSummary],
) -> Result<crate::transform::TransformSummary, RunError> {
    let mut event_dates = std::collections::BTreeSet::new();
    for d in datasets.iter().filter(|d| d.name == "http_requests") {
        event_dates.extend(d.partitions.keys().filter_map(|p| {
            NaiveDate::parse_from_str(p.strip_prefix("event_date=")?, "%Y-%m-%d").ok()
        }));
    }
    if let Some(range) = request.range {
        event_dates.extend(range.from.iter_days().take_while(|d| *d <= range.to));
    }
    let wrote_snapshots = datasets.iter().any(|d| {
        d.skipped.is_none() && d.partitions.keys().any(|p| p.starts_with("snapshot_date="))
    });
    let rebuild = crate::transform::RebuildRequest {
        layout,
        source: &source.name,
        run_id,
        tz: pipeline.time_zone,
        compression: pipeline.output.compression,
        row_group_rows: pipeline.output.row_group_rows,
        event_dates,
        snapshot_dates: wrote_snapshots.then_some(run_date).into_iter().collect(),
    };
    crate::transform::rebuild(&rebuild).map_err(|e| RunError::Transform {
        source_name: source.name.clone(),
        source: e,
    })
}

struct DatasetRun<'a> {
    pipeline: &'a Pipeline,
    source: &'a TableauSource,
    session: &'a PgSession,
    layout: &'a LakeLayout,
    run_id: &'a str,
    progress: &'a Progress,
    run_date: NaiveDate,
}

impl DatasetRun<'_> {
    fn writer_options(&self) -> WriterOptions {
        WriterOptions {
            compression: self.pipeline.output.compression,
            row_group_rows: self.pipeline.output.row_group_rows,
            max_open_partitions: 4,
            max_files_per_partition: 8,
            run_id: self.run_id.to_string(),
        }
    }

    fn open_writer(
        &self,
        table: &ResolvedTable,
        partitioning: Partitioning,
    ) -> Result<DatasetWriter, RunError> {
        DatasetWriter::open(
            self.layout,
            &self.source.name,
            &table.spec.dataset,
            table.schema.clone(),
            partitioning,
            self.writer_options(),
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
        range: Option<DateRange>,
    ) -> Result<(DatasetSummary, Option<DatasetState>), RunError> {
        let TableKind::Event { key, time, pending } = &table.spec.kind else {
            unreachable!("event() is called for event tables only")
        };
        let extract_error = |e| RunError::Extract {
            source_name: self.source.name.clone(),
            dataset: table.spec.dataset.clone(),
            source: Box::new(e),
        };
        let row_range = match range {
            Some(r) => {
                let (from_us, to_us) = r.to_utc_micros(self.pipeline.time_zone);
                RowRange::TimeBetween { from_us, to_us }
            }
            None => match previous.lookback_key.or(previous.watermark_key) {
                Some(k) => RowRange::KeyAbove(k),
                None => RowRange::All,
            },
        };
        // Catch-up after missed nights is automatic (reads by id); warn if the source
        // already purged part of what we missed.
        let purge_warning = match range {
            None => coverage::purge_warning(self.session, table, previous, &self.source.name)
                .await
                .map_err(extract_error)?,
            Some(_) => None,
        };
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
            tz: self.pipeline.time_zone,
        };
        let writer = self.open_writer(table, partitioning)?;
        let bar = self
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
        // A date-range run has not seen every key below its maximum: it must never move
        // the watermark, or the incremental run would skip what lies between.
        if range.is_some() || (stats.rows == 0 && min_pending.is_none()) {
            return Ok((summary, None));
        }
        let lookback_us = i64::try_from(self.source.lookback.as_micros()).unwrap_or(i64::MAX);
        let mut next = previous.clone();
        next.watermark_key = max_opt(previous.watermark_key, stats.max_key);
        next.max_event_time_us = max_opt(previous.max_event_time_us, stats.max_time_us);
        let lookback = stats.lookback_key(lookback_us).or(previous.lookback_key);
        // Unfinished rows (running jobs) are excluded now and must be read once they end.
        next.lookback_key = min_opt(lookback, min_pending.map(|k| k - 1));
        next.rows_total = Some(previous.rows_total.unwrap_or(0) + written.rows_written);
        next.updated_at = Utc::now().to_rfc3339();
        next.run_id = self.run_id.to_string();
        summary.watermark_after = next.watermark_key;
        Ok((summary, Some(next)))
    }

    async fn snapshot(&self, table: &ResolvedTable) -> Result<DatasetSummary, RunError> {
        let writer = self.open_writer(
            table,
            Partitioning::SnapshotDate {
                date: self.run_date,
            },
        )?;
        let bar = self
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
