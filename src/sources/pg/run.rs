//! An incremental run of a `postgres` source: each selected table in its own snapshot
//! transaction, read above its watermark into staged files; the transaction ends, then
//! the rows are merged by key into their days and only then is the table's state saved;
//! then the auth table's days are turned into `auth_events` and `sessions`.
//!
//! Two ways to find new rows:
//! - an integer `incremental_by` (ids from a sequence): `id > lookback key`, exactly as
//!   the BI repository's logs, with purge-gap and id-restart checks (`pg_tables`);
//! - a timestamp `incremental_by`: `col >= newest - lookback OR col IS NULL`. The
//!   lookback re-reads rows committed late with older timestamps; NULLs are read every
//!   run (they can never pass a watermark) and merged away by key.
//!
//! Rows whose `partition_by` is NULL go to `event_date=1970-01-01` (the lake's NULL
//! partition) and are counted in the dataset's warnings; nothing is dropped.

use std::time::Instant;

use super::config::{PgTable, AUTH_REJECTED};
use super::observe::{max_time, LateRowWindow, NullTimes};
use super::relation::{localize, utc_to_naive, Archive, Watermark};
use super::{open_session, relation, relation_error, PostgresSource};
use crate::load::state::{DatasetState, StateStore};
use crate::load::{DatasetWriter, Partitioning, StagedWrite, WriterOptions};
use crate::postgres::{time_predicate, PgSession, RowRange};
use crate::sources::pg_tables::coverage;
use crate::sources::pg_tables::event_stats::{next_key_state, EventStats};
use crate::sources::pg_tables::pump::{publish, pump_staged_mapped, PumpContext};
use crate::sources::status::error_chain;
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};
use crate::transform::auth_events::AUTH_EVENTS;
use crate::transform::sessions::SESSIONS;

pub(crate) async fn run(
    source: &PostgresSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let store = StateStore::new(ctx.source.layout);
    let state_error = |e| RunError::State {
        source_name: source.name.clone(),
        source: e,
    };
    let mut state = store.load(&source.name).map_err(state_error)?;
    let requested = ctx.source.requested;
    let is_selected = |d: &str| requested.is_empty() || requested.iter().any(|r| r == d);
    let mut datasets = Vec::new();
    // Partitions the auth table's run wrote (None: it did not run).
    let mut auth_written: Option<Vec<String>> = None;
    for table in source.tables.iter().filter(|t| is_selected(&t.dataset)) {
        let started = Instant::now();
        let mut previous = state
            .datasets
            .get(&table.dataset)
            .cloned()
            .unwrap_or_default();
        if ctx.new_key_generation.contains(&table.dataset) {
            // Everything the source holds is read again into the next generation; rows
            // already archived (same key and time) are dropped by the writer.
            previous = DatasetState {
                key_generation: previous.key_generation + 1,
                ..Default::default()
            };
        }
        let mut summary = match run_table(source, ctx, table, &previous).await {
            Ok((summary, next)) => {
                if let Some(next) = next {
                    state.datasets.insert(table.dataset.clone(), next);
                    store.save(&source.name, &state).map_err(state_error)?;
                }
                summary
            }
            Err(error) => {
                let error = error_chain(&error);
                tracing::error!(source = %source.name, dataset = %table.dataset, %error, "dataset failed; going on with the others");
                DatasetSummary {
                    name: table.dataset.clone(),
                    error: Some(error),
                    ..Default::default()
                }
            }
        };
        summary.seconds = started.elapsed().as_secs_f64();
        if table.auth.is_some() {
            auth_written = Some(summary.partitions.keys().cloned().collect());
        }
        datasets.push(summary);
    }
    // `--dataset auth_events` (or `sessions`, `auth_rejected`) alone reads no table:
    // their days not built yet and the sessions are rebuilt from the lake.
    let derived = [AUTH_EVENTS, AUTH_REJECTED, SESSIONS];
    if requested.iter().any(|r| derived.contains(&r.as_str())) {
        auth_written.get_or_insert_with(Vec::new);
    }
    if let (Some(table), Some(written)) = (source.auth_table(), auth_written) {
        datasets.extend(super::auth::rebuild(source, table, ctx, &written)?);
    }
    Ok(SourceSummary {
        name: source.name.clone(),
        datasets,
        transform: None,
        error: None,
    })
}

/// One table: its summary and, when rows were read, the state to save (after the data).
/// The table is read in its own snapshot transaction into staged files; the transaction
/// ends before they are published (merges, renames, fsyncs), so a slow or hung lake
/// drive never holds the source's transaction open (as the Tableau kind, issue 11 item
/// 12), and the caller saves the state only after the publish.
async fn run_table(
    source: &PostgresSource,
    ctx: &RunContext<'_>,
    table: &PgTable,
    previous: &DatasetState,
) -> Result<(DatasetSummary, Option<DatasetState>), RunError> {
    let session = open_session(source).await?;
    let outcome = read_table(source, ctx, &session, table, previous).await;
    // Read only: a failed COMMIT after the rows are read changes nothing that matters.
    let _ = session.finish().await;
    let (
        StagedTable {
            staged,
            mut summary,
            mut next,
        },
        skipped_secret,
    ) = outcome?;
    let written = publish(&source.name, &table.dataset, staged).await?;
    if let Some(next) = &mut next {
        next.rows_total = Some(next.rows_total.unwrap_or(0) + written.rows_written);
    }
    summary.set_written(written);
    if !skipped_secret.is_empty() {
        summary.warnings.push(format!(
            "credential columns left out: {}",
            skipped_secret.join(", ")
        ));
    }
    Ok((summary, next))
}

/// Resolves and reads one table inside `session`; also returns the credential-like
/// columns left out.
async fn read_table(
    source: &PostgresSource,
    ctx: &RunContext<'_>,
    session: &PgSession,
    table: &PgTable,
    previous: &DatasetState,
) -> Result<(StagedTable, Vec<String>), RunError> {
    let archive = relation::resolve(session, table, &source.connection.user)
        .await
        .map_err(|e| relation_error(source, &table.dataset, e))?;
    let read = TableRead {
        source,
        ctx,
        session,
        archive: &archive,
    };
    let staged = match &archive.watermark {
        Watermark::Key => read.by_key(previous).await?,
        Watermark::Time { column, is_zoned } => read.by_time(previous, column, *is_zoned).await?,
    };
    Ok((staged, archive.skipped_secret))
}

/// The state with the watermark row's time in the partition column's own terms: the
/// server reports a naive column's epoch as if it were UTC, the state holds the instant.
pub(super) fn as_stored(previous: &DatasetState, archive: &Archive) -> DatasetState {
    let zone = archive.config.timestamp_zone;
    let mut stored = previous.clone();
    if !archive.partition_is_zoned {
        stored.watermark_time_us = previous
            .watermark_time_us
            .and_then(|t| utc_to_naive(t, zone));
    }
    stored
}

pub(super) fn writer_options(ctx: &RunContext<'_>, key_generation: u32) -> WriterOptions {
    WriterOptions {
        compression: ctx.source.output.compression,
        row_group_rows: ctx.source.output.row_group_rows,
        max_open_partitions: 4,
        replace_while_null: None,
        key_generation,
        run_id: ctx.run_id.to_string(),
        // An arbitrary table's text columns are dictionary-encoded where values repeat.
        plain_columns: Vec::new(),
    }
}

pub(super) fn open_writer(
    source: &PostgresSource,
    ctx: &RunContext<'_>,
    archive: &Archive,
    key_generation: u32,
) -> Result<DatasetWriter, RunError> {
    DatasetWriter::open(
        ctx.source.layout,
        &source.name,
        &archive.config.dataset,
        archive.table.schema.clone(),
        Partitioning::EventDate {
            time_column: archive.config.partition_by.clone(),
            key_column: archive.config.key_column().to_string(),
            tz: ctx.source.time_zone,
        },
        writer_options(ctx, key_generation),
    )
    .map_err(|e| RunError::Load {
        source_name: source.name.clone(),
        dataset: archive.config.dataset.clone(),
        source: e,
    })
}

/// `col >= from` (and `< to`) in the column's own terms: a naive column compares to local
/// wall-clock times in the table's zone.
pub(super) fn time_filter(
    source_name: &str,
    archive: &Archive,
    column: &str,
    is_zoned: bool,
    from_us: Option<i64>,
    to_us: Option<i64>,
    or_null: bool,
) -> Result<Option<String>, RunError> {
    let zone = archive.config.timestamp_zone;
    let local = |us: i64| {
        if is_zoned {
            Some(us)
        } else {
            utc_to_naive(us, zone)
        }
    };
    let from = from_us.map(local);
    let to = to_us.map(local);
    let out_of_range = || RunError::Extract {
        source_name: source_name.to_string(),
        dataset: archive.config.dataset.clone(),
        source: Box::new(crate::postgres::ExtractError::InvalidRange {
            table: archive.relation(),
            message: format!("time bounds {from_us:?}..{to_us:?} µs are out of range"),
        }),
    };
    if from.is_none() && to.is_none() && !or_null {
        return Ok(None);
    }
    let (from, to) = (
        from.map(|v| v.ok_or_else(out_of_range)).transpose()?,
        to.map(|v| v.ok_or_else(out_of_range)).transpose()?,
    );
    time_predicate(column, is_zoned, from, to, or_null)
        .map(Some)
        .ok_or_else(out_of_range)
}

/// One table read inside its transaction: its rows staged, not yet published.
struct StagedTable {
    staged: StagedWrite,
    /// Everything but the write counts, which publishing completes.
    summary: DatasetSummary,
    /// The state to save once published; `rows_total` still without this run's rows.
    next: Option<DatasetState>,
}

struct TableRead<'a> {
    source: &'a PostgresSource,
    ctx: &'a RunContext<'a>,
    session: &'a PgSession,
    archive: &'a Archive,
}

impl TableRead<'_> {
    fn extract_error(&self) -> impl Fn(crate::postgres::ExtractError) -> RunError + '_ {
        |e| RunError::Extract {
            source_name: self.source.name.clone(),
            dataset: self.archive.config.dataset.clone(),
            source: Box::new(e),
        }
    }

    async fn by_key(&self, previous: &DatasetState) -> Result<StagedTable, RunError> {
        let (archive, table) = (self.archive, &self.archive.table);
        // Ids handed out again would be dropped by merge-by-key: stop before writing.
        if let Some(restart) =
            coverage::key_restart(self.session, table, &as_stored(previous, archive))
                .await
                .map_err(self.extract_error())?
        {
            return Err(RunError::KeysRestarted {
                source_name: self.source.name.clone(),
                restart: Box::new(restart),
            });
        }
        let purge_warning =
            coverage::purge_warning(self.session, table, previous, &self.source.name)
                .await
                .map_err(self.extract_error())?;
        let range = match previous.lookback_key.or(previous.watermark_key) {
            Some(k) => RowRange::KeyAbove(k),
            None => RowRange::All,
        };
        let key_index = archive.index_of(&archive.config.incremental_by);
        let time_index = archive.index_of(&archive.config.partition_by);
        let writer = open_writer(self.source, self.ctx, archive, previous.key_generation)?;
        let bar = self
            .ctx
            .progress
            .dataset(&self.source.name, &archive.config.dataset);
        let (mut stats, mut nulls) = (EventStats::default(), NullTimes::default());
        let mut window = LateRowWindow::new(archive.config.lookback);
        let pump_ctx = PumpContext {
            source_name: &self.source.name,
            session: self.session,
            table,
            range,
            batch_rows: archive.config.batch_rows,
            progress: &bar,
        };
        let staged = pump_staged_mapped(
            pump_ctx,
            writer,
            |batch| localize(archive, batch),
            |batch| {
                stats.observe(batch, key_index, time_index);
                window.observe(batch, key_index, time_index);
                nulls.observe(batch, time_index);
            },
        )
        .await?;
        bar.finish("done");
        let mut summary = DatasetSummary {
            name: archive.config.dataset.clone(),
            watermark_before: previous.watermark_key,
            watermark_after: previous.watermark_key,
            warnings: purge_warning.into_iter().collect(),
            ..Default::default()
        };
        summary
            .warnings
            .extend(nulls.warning(&archive.config.partition_by));
        if stats.rows == 0 {
            return Ok(StagedTable {
                staged,
                summary,
                next: None,
            });
        }
        // `rows_total` gets this run's rows once they are published (`run_table`).
        let mut next = next_key_state(
            previous,
            &stats,
            archive.config.lookback,
            None,
            0,
            self.ctx.run_id,
        );
        next.lookback_key = window.lookback_key(previous.lookback_key);
        summary.watermark_after = next.watermark_key;
        Ok(StagedTable {
            staged,
            summary,
            next: Some(next),
        })
    }

    async fn by_time(
        &self,
        previous: &DatasetState,
        column: &str,
        is_zoned: bool,
    ) -> Result<StagedTable, RunError> {
        let archive = self.archive;
        let lookback_us = i64::try_from(archive.config.lookback.as_micros()).unwrap_or(i64::MAX);
        let from = previous
            .watermark_time_us
            .map(|w| w.saturating_sub(lookback_us));
        let mut table = archive.table.clone();
        table.spec.row_filter = time_filter(
            &self.source.name,
            archive,
            column,
            is_zoned,
            from,
            None,
            from.is_some(),
        )?;
        let watermark_index = archive.index_of(column);
        let time_index = archive.index_of(&archive.config.partition_by);
        let writer = open_writer(self.source, self.ctx, archive, previous.key_generation)?;
        let bar = self
            .ctx
            .progress
            .dataset(&self.source.name, &archive.config.dataset);
        let (mut newest, mut newest_event, mut rows) = (None::<i64>, None::<i64>, 0u64);
        let mut nulls = NullTimes::default();
        let pump_ctx = PumpContext {
            source_name: &self.source.name,
            session: self.session,
            table: &table,
            range: RowRange::All,
            batch_rows: archive.config.batch_rows,
            progress: &bar,
        };
        let staged = pump_staged_mapped(
            pump_ctx,
            writer,
            |batch| localize(archive, batch),
            |batch| {
                rows += batch.num_rows() as u64;
                newest = newest.max(max_time(batch, watermark_index));
                newest_event = newest_event.max(max_time(batch, time_index));
                nulls.observe(batch, time_index);
            },
        )
        .await?;
        bar.finish("done");
        let mut summary = DatasetSummary {
            name: archive.config.dataset.clone(),
            ..Default::default()
        };
        summary
            .warnings
            .extend(nulls.warning(&archive.config.partition_by));
        if rows == 0 {
            return Ok(StagedTable {
                staged,
                summary,
                next: None,
            });
        }
        let mut next = previous.clone();
        // Never backwards: a lookback re-read sees older values only.
        next.watermark_time_us = previous.watermark_time_us.max(newest);
        next.max_event_time_us = previous.max_event_time_us.max(newest_event);
        // This run's rows are added once they are published (`run_table`).
        next.rows_total = Some(previous.rows_total.unwrap_or(0));
        next.updated_at = chrono::Utc::now().to_rfc3339();
        next.run_id = self.ctx.run_id.to_string();
        Ok(StagedTable {
            staged,
            summary,
            next: Some(next),
        })
    }
}
