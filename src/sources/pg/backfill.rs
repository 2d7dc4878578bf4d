//! Backfill of a `postgres` source, one local day at a time: each selected table's rows
//! whose `partition_by` lies in the day (`col >= day start AND col < next day start`,
//! in the column's own terms), merged by key into that day's partition only. The state
//! is never moved. Without an index on `partition_by` each day is one scan of the table;
//! `plan` counts a day the same way.
//!
//! Once every day is in, the auth table's days are converted again (`auth::rebuild`).

use chrono::NaiveDate;

use super::config::PgTable;
use super::observe::NullTimes;
use super::relation::{localize, Archive};
use super::run::{open_writer, time_filter};
use super::{open_session, relation, relation_error, PostgresSource};
use crate::days::DateRange;
use crate::load::event_partition_name;
use crate::load::state::StateStore;
use crate::postgres::{PgSession, RowRange};
use crate::sources::pg_tables::pump::{publish, pump_staged_mapped, PumpContext};
use crate::sources::plan::{lake_rows, Availability, DatasetDay, DayPlan};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceContext};

/// A `postgres` source in a backfill: nothing is shared between days.
pub struct PgBackfill<'a> {
    source: &'a PostgresSource,
}

fn selected<'a>(
    source: &'a PostgresSource,
    requested: &'a [String],
) -> impl Iterator<Item = &'a PgTable> {
    source
        .tables
        .iter()
        .filter(move |t| requested.is_empty() || requested.contains(&t.dataset))
}

/// One day's rows of a resolved table: its spec with the day's predicate.
fn day_table(
    source: &PostgresSource,
    archive: &Archive,
    day: NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<crate::postgres::ResolvedTable, RunError> {
    let (from, to) = DateRange::day(day).to_utc_micros(tz);
    let mut table = archive.table.clone();
    table.spec.row_filter = time_filter(
        &source.name,
        archive,
        &archive.config.partition_by,
        archive.partition_is_zoned,
        Some(from),
        Some(to),
        false,
    )?;
    Ok(table)
}

async fn resolve(
    source: &PostgresSource,
    session: &PgSession,
    table: &PgTable,
) -> Result<Archive, RunError> {
    relation::resolve(session, table, &source.connection.user)
        .await
        .map_err(|e| relation_error(source, &table.dataset, e))
}

impl<'a> PgBackfill<'a> {
    pub fn new(source: &'a PostgresSource) -> Self {
        PgBackfill { source }
    }

    pub async fn day(
        &self,
        ctx: &RunContext<'_>,
        day: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        let source = self.source;
        let state = StateStore::new(ctx.source.layout)
            .load(&source.name)
            .map_err(|e| RunError::State {
                source_name: source.name.clone(),
                source: e,
            })?;
        let mut out = Vec::new();
        for config in selected(source, ctx.source.requested) {
            let started = std::time::Instant::now();
            let session = open_session(source).await?;
            let archive = resolve(source, &session, config).await?;
            let table = day_table(source, &archive, day, ctx.source.time_zone)?;
            let generation = state
                .datasets
                .get(&config.dataset)
                .map_or(0, |d| d.key_generation);
            let writer = open_writer(source, ctx, &archive, generation)?;
            let bar = ctx
                .progress
                .dataset(&source.name, &format!("{} {day}", config.dataset));
            let time_index = archive.index_of(&config.partition_by);
            let mut nulls = NullTimes::default();
            let pump_ctx = PumpContext {
                source_name: &source.name,
                session: &session,
                table: &table,
                range: RowRange::All,
                batch_rows: config.batch_rows,
                progress: &bar,
            };
            let staged = pump_staged_mapped(
                pump_ctx,
                writer,
                |batch| localize(&archive, batch),
                |batch| nulls.observe(batch, time_index),
            )
            .await?;
            bar.finish("done");
            // Published once the transaction has ended, as in a run.
            let _ = session.finish().await;
            let written = publish(&source.name, &config.dataset, staged).await?;
            out.push(DatasetSummary {
                seconds: started.elapsed().as_secs_f64(),
                ..DatasetSummary::written(config.dataset.clone(), written)
            });
        }
        Ok(out)
    }
}

/// After every day is in: the auth table's backfilled days become events again, and
/// the sessions are derived anew.
pub fn finish_backfill(
    source: &PostgresSource,
    ctx: &RunContext<'_>,
    range: DateRange,
    datasets: &[DatasetSummary],
) -> Result<(), RunError> {
    let Some(table) = source.auth_table() else {
        return Ok(());
    };
    if !datasets
        .iter()
        .any(|d| d.name == table.dataset && d.error.is_none())
    {
        return Ok(());
    }
    let days: Vec<String> = range.days().into_iter().map(event_partition_name).collect();
    let summaries = super::auth::rebuild(source, table, ctx, &days)?;
    for summary in summaries {
        tracing::info!(source = %source.name, dataset = %summary.name, rows = summary.rows_written, "derived after the backfill");
    }
    Ok(())
}

/// Per day and selected table: the rows the source holds for the day (a count with the
/// day's predicate) and what the lake holds. Reads only.
pub async fn plan_days(
    source: &PostgresSource,
    ctx: &SourceContext<'_>,
    days: &[NaiveDate],
    plans: &mut [DayPlan],
) -> Result<(), RunError> {
    for config in selected(source, ctx.requested) {
        let session = open_session(source).await?;
        let archive = resolve(source, &session, config).await?;
        let lake = lake_rows(ctx.layout, &source.name, &config.dataset)?;
        for (day, plan) in days.iter().zip(plans.iter_mut()) {
            let table = day_table(source, &archive, *day, ctx.time_zone)?;
            let rows = session
                .count_rows(&table, &RowRange::All)
                .await
                .map_err(|e| RunError::Extract {
                    source_name: source.name.clone(),
                    dataset: config.dataset.clone(),
                    source: Box::new(e),
                })?;
            plan.datasets.push(DatasetDay {
                source: source.name.clone(),
                dataset: config.dataset.clone(),
                source_rows: Some(rows.max(0) as u64),
                lake_rows: lake.get(&plan.partition).copied().unwrap_or(0),
                // A table keeps what it keeps: whatever a day still has can be re-read.
                source_can_provide: Availability::All,
            });
        }
        let _ = session.finish().await;
    }
    Ok(())
}
