//! Reading one dataset of a tableau source inside the run's snapshot transaction: an
//! event table above its watermark (checking for restarted ids and purged rows), a
//! dimension table whole; the rows are staged, the next state returned for after publish.

use std::time::Instant;

use chrono::NaiveDate;

use super::super::{tables, TableauSource};
use crate::load::state::{DatasetState, SourceState};
use crate::load::{DatasetWriter, Partitioning, StagedWrite, WriterOptions};
use crate::postgres::{PgSession, ResolvedTable, RowRange, TableKind};
use crate::sources::pg_tables::coverage;
use crate::sources::pg_tables::event_stats::{next_key_state, EventStats};
use crate::sources::pg_tables::pump::{pump_staged, PumpContext};
use crate::sources::{DatasetSummary, RunContext, RunError};

/// One dataset read inside the snapshot: its rows staged, not yet published.
pub(super) struct ReadDataset {
    /// None when the table does not exist on this server.
    pub(super) staged: Option<StagedWrite>,
    /// Everything but the write counts, which publishing completes.
    pub(super) summary: DatasetSummary,
    pub(super) next: NextState,
    pub(super) read_seconds: f64,
}

/// The state to save once the dataset is published.
pub(super) enum NextState {
    Unchanged,
    /// The event cursor; `rows_total` still without this run's rows.
    Event(Box<DatasetState>),
    /// Today's snapshot was taken.
    Snapshot,
}

pub(super) async fn read_dataset(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    session: &PgSession,
    state: &SourceState,
    run_date: NaiveDate,
    dataset: &str,
) -> Result<ReadDataset, RunError> {
    let name = &source.name;
    let spec = tables::table_spec(dataset, source.include_incomplete_jobs)
        .expect("config validation admits only known datasets");
    let is_event = matches!(spec.kind, TableKind::Event { .. });
    let started = Instant::now();
    let extract_error = |e| RunError::Extract {
        source_name: name.clone(),
        dataset: dataset.to_string(),
        source: Box::new(e),
    };
    let Some(table) = session.resolve(&spec).await.map_err(extract_error)? else {
        return Ok(ReadDataset {
            staged: None,
            summary: DatasetSummary {
                name: dataset.to_string(),
                skipped: Some(format!(
                    "table `{}` does not exist on this server",
                    spec.table
                )),
                ..Default::default()
            },
            next: NextState::Unchanged,
            read_seconds: 0.0,
        });
    };
    if !table.ignored.is_empty() {
        tracing::info!(source = %name, dataset = %dataset, columns = ?table.ignored, "server columns not in the spec are ignored");
    }
    let dataset_run = DatasetRun {
        ctx,
        source,
        session,
        run_date,
    };
    let (staged, mut summary, next) = if is_event {
        let mut previous = state.datasets.get(dataset).cloned().unwrap_or_default();
        if ctx.new_key_generation.iter().any(|d| d == dataset) {
            // Everything the source holds is read again into the next generation;
            // rows already archived (same id and time) are dropped by the writer.
            previous = DatasetState {
                key_generation: previous.key_generation + 1,
                ..Default::default()
            };
            tracing::warn!(source = %name, dataset = %dataset, generation = previous.key_generation,
                "starting a new key generation: re-reading the whole table");
        }
        let (staged, summary, next) = dataset_run.event(&table, &previous).await?;
        let next = next.map_or(NextState::Unchanged, |n| NextState::Event(Box::new(n)));
        (staged, summary, next)
    } else {
        let (staged, summary) = dataset_run.snapshot(&table).await?;
        (staged, summary, NextState::Snapshot)
    };
    summary.ignored_columns = table.ignored.clone();
    summary.missing_columns = table.missing.clone();
    Ok(ReadDataset {
        staged: Some(staged),
        summary,
        next,
        read_seconds: started.elapsed().as_secs_f64(),
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
            plain_columns: tables::plain_columns(),
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

    /// Returns the staged rows, the summary and, for an incremental run that read rows,
    /// the next state (its `rows_total` without this run's rows, known once published).
    async fn event(
        &self,
        table: &ResolvedTable,
        previous: &DatasetState,
    ) -> Result<(StagedWrite, DatasetSummary, Option<DatasetState>), RunError> {
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
        let staged = pump_staged(ctx, writer, |batch| {
            stats.observe(batch, key_index, time_index)
        })
        .await?;
        bar.finish("done");

        let mut summary = DatasetSummary {
            name: table.spec.dataset.clone(),
            watermark_before: previous.watermark_key,
            watermark_after: previous.watermark_key,
            warnings: purge_warning.into_iter().collect(),
            ..Default::default()
        };
        if stats.rows == 0 && min_pending.is_none() {
            return Ok((staged, summary, None));
        }
        // `rows_total` gets this run's rows once they are published (see `run`).
        let next = next_key_state(
            previous,
            &stats,
            self.source.lookback,
            min_pending,
            0,
            self.ctx.run_id,
        );
        summary.watermark_after = next.watermark_key;
        Ok((staged, summary, Some(next)))
    }

    async fn snapshot(
        &self,
        table: &ResolvedTable,
    ) -> Result<(StagedWrite, DatasetSummary), RunError> {
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
        let staged = pump_staged(ctx, writer, |_| {}).await?;
        bar.finish("done");
        let summary = DatasetSummary {
            name: table.spec.dataset.clone(),
            ..Default::default()
        };
        Ok((staged, summary))
    }
}

/// Tables with rows that are not final yet (running background jobs, archived with
/// `include_incomplete_jobs`) replace a published row that is not final by its newer
/// version; the column that says so.
pub(crate) fn replace_while_null(table: &ResolvedTable) -> Option<String> {
    match &table.spec.kind {
        TableKind::Event { pending_column, .. } => pending_column.clone(),
        TableKind::Snapshot | TableKind::Log => None,
    }
}
