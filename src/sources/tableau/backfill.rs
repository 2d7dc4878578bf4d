//! Backfill of a tableau source, one local day at a time (driven by `pipeline::backfill`).
//!
//! Each event table's day is read by key range (`pg_tables::KeyLocator`), filtered
//! exactly to the day's local time range, and merged by key into that day's partition
//! only. Every day opens its own connection and snapshot (days run in parallel), and
//! publishes what it staged after the snapshot has ended.
//! Once every day is in, the derived datasets are rebuilt for the range.

use chrono::NaiveDate;

use super::{event_tables, open_session, TableauSource};
use crate::days::DateRange;
use crate::load::state::StateStore;
use crate::load::{DatasetWriter, Partitioning, WriterOptions};
use crate::postgres::TableKind;
use crate::sources::pg_tables::key_locator::KeyLocator;
use crate::sources::pg_tables::pump::{publish, pump_staged, PumpContext};
use crate::sources::plan::{lake_rows, Availability, DatasetDay, DayPlan};
use crate::sources::tableau::enrich::RebuildRequest;
use crate::sources::{DatasetSummary, DerivedSummary, RunContext, RunError, SourceContext};

/// A tableau source in a backfill: nothing is shared between days.
pub struct Backfill<'a> {
    source: &'a TableauSource,
}

impl<'a> Backfill<'a> {
    pub fn new(source: &'a TableauSource) -> Self {
        Backfill { source }
    }

    /// Every selected event dataset's rows of local `day`, merged into its partition.
    pub async fn day(
        &self,
        ctx: &RunContext<'_>,
        day: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        let source = self.source;
        let tz = ctx.source.time_zone;
        let mut read = Vec::new();
        // Days are written into each dataset's current key generation (see
        // `load::generation`); the state file is read, never written.
        let state = StateStore::new(ctx.source.layout)
            .load(&source.name)
            .map_err(|e| RunError::State {
                source_name: source.name.clone(),
                source: e,
            })?;
        let session = open_session(source).await?;
        for table in event_tables(&session, source, ctx.source.requested).await? {
            let started = std::time::Instant::now();
            let dataset = table.spec.dataset.clone();
            let extract_error = |e| RunError::Extract {
                source_name: source.name.clone(),
                dataset: dataset.clone(),
                source: Box::new(e),
            };
            let locator = KeyLocator::new(&session, &table, source.lookback, tz)
                .await
                .map_err(extract_error)?;
            let Some(range) = locator.day_range(day).await.map_err(extract_error)? else {
                continue; // the source table is empty
            };
            let TableKind::Event { key, time, .. } = &table.spec.kind else {
                unreachable!("event_tables returns event tables only")
            };
            let options = WriterOptions {
                compression: ctx.source.output.compression,
                row_group_rows: ctx.source.output.row_group_rows,
                max_open_partitions: 1,
                replace_while_null: super::run::replace_while_null(&table),
                key_generation: state.datasets.get(&dataset).map_or(0, |d| d.key_generation),
                run_id: ctx.run_id.to_string(),
                plain_columns: super::tables::plain_columns(),
            };
            let partitioning = Partitioning::EventDate {
                time_column: time.clone(),
                key_column: key.clone(),
                tz,
            };
            let writer = DatasetWriter::open(
                ctx.source.layout,
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
            let bar = ctx
                .progress
                .dataset(&source.name, &format!("{dataset} {day}"));
            let pump_ctx = PumpContext {
                source_name: &source.name,
                session: &session,
                table: &table,
                range,
                batch_rows: source.batch_rows,
                progress: &bar,
            };
            let staged = pump_staged(pump_ctx, writer, |_| {}).await?;
            bar.finish("done");
            read.push((dataset, staged, started.elapsed().as_secs_f64()));
        }
        // Published once the snapshot has ended, as in a run: the repository's
        // transaction never waits on the lake's drive.
        let _ = session.finish().await;
        let mut out = Vec::new();
        for (dataset, staged, read_seconds) in read {
            let started = std::time::Instant::now();
            let written = publish(&source.name, &dataset, staged).await?;
            out.push(DatasetSummary {
                seconds: read_seconds + started.elapsed().as_secs_f64(),
                ..DatasetSummary::written(dataset, written)
            });
        }
        Ok(out)
    }
}

/// The derived datasets (issue 5) for every day of the range, once its raw days are all
/// in: they must stay consistent with the raw partitions. Only the range's partitions
/// are touched, like the backfill itself.
pub fn rebuild_backfilled(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    range: DateRange,
    datasets: &mut [DatasetSummary],
) -> Result<Option<DerivedSummary>, RunError> {
    let has_events = datasets
        .iter()
        .any(|d| d.name == "historical_events" && d.skipped.is_none());
    if source.has_sessions() && has_events {
        // Re-read days may hold Login/Logout events the lake did not have: rebuild their
        // auth_events and the sessions (named with the newest hist_users snapshot).
        let days: std::collections::HashSet<String> = range
            .days()
            .into_iter()
            .map(crate::load::event_partition_name)
            .collect();
        for derived in super::sessions::rebuild(
            source,
            ctx,
            &days,
            super::sessions::Lookups::Stored { record: false },
        )? {
            tracing::info!(source = %source.name, dataset = %derived.name,
                rows = derived.rows_written, "rebuilt after the backfill");
            for warning in &derived.warnings {
                tracing::warn!(source = %source.name, dataset = %derived.name, "{warning}");
            }
        }
    }
    let has_requests = datasets
        .iter()
        .any(|d| d.name == "http_requests" && d.skipped.is_none());
    if !source.enrich || !has_requests {
        return Ok(None);
    }
    let rebuild = RebuildRequest {
        layout: ctx.source.layout,
        source: &source.name,
        run_id: ctx.run_id,
        tz: ctx.source.time_zone,
        compression: ctx.source.output.compression,
        row_group_rows: ctx.source.output.row_group_rows,
        event_dates: range.days().into_iter().collect(),
        snapshot_dates: Default::default(),
        repairs_other_days: false,
    };
    let transform =
        crate::sources::tableau::enrich::rebuild(&rebuild).map_err(|e| RunError::Transform {
            source_name: source.name.clone(),
            source: e,
        })?;
    super::run::set_resolution_rate(datasets, &transform);
    Ok(Some(transform.to_derived(&source.name)))
}

/// Per day, per selected event dataset: rows the source holds (a count over the day's
/// key range, exact by time; one snapshot) and what the lake holds. Reads only.
pub async fn plan_days(
    source: &TableauSource,
    ctx: &SourceContext<'_>,
    days: &[NaiveDate],
    plans: &mut [DayPlan],
) -> Result<(), RunError> {
    let tz = ctx.time_zone;
    let session = open_session(source).await?;
    for table in event_tables(&session, source, ctx.requested).await? {
        let dataset = table.spec.dataset.clone();
        let extract_error = |e| RunError::Extract {
            source_name: source.name.clone(),
            dataset: dataset.clone(),
            source: Box::new(e),
        };
        let locator = KeyLocator::new(&session, &table, source.lookback, tz)
            .await
            .map_err(extract_error)?;
        let oldest = locator.extent.oldest_date(tz);
        let lake = lake_rows(ctx.layout, &source.name, &dataset)?;
        for (day, plan) in days.iter().zip(plans.iter_mut()) {
            let availability = match oldest {
                Some(oldest) if *day < oldest => Availability::None,
                Some(oldest) if *day == oldest => Availability::Part,
                _ => Availability::All,
            };
            let source_rows = match availability {
                Availability::None | Availability::NotBackfillable => 0,
                _ => match locator.day_range(*day).await.map_err(extract_error)? {
                    Some(range) => session
                        .count_rows(&table, &range)
                        .await
                        .map_err(extract_error)?
                        .max(0) as u64,
                    None => 0,
                },
            };
            plan.datasets.push(DatasetDay {
                source: source.name.clone(),
                dataset: dataset.clone(),
                source_rows: Some(source_rows),
                lake_rows: lake.get(&plan.partition).copied().unwrap_or(0),
                source_can_provide: availability,
            });
        }
    }
    let _ = session.finish().await;
    Ok(())
}
