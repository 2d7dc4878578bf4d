//! An incremental run of a tableau source: one snapshot transaction per run; event
//! tables read above their watermark, dimension tables snapshotted whole, each staged;
//! the transaction ends; then each dataset is published and its state saved, and the
//! derived datasets are rebuilt for what the run wrote.

use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::config::SESSION_DATASETS;
use super::sessions::Lookups;
use super::{open_session, tables, TableauSource};
use crate::failpoint;
use crate::load::state::{DatasetState, SourceState, StateStore};
use crate::load::{DatasetWriter, Partitioning, StagedWrite, WriterOptions};
use crate::postgres::{PgSession, ResolvedTable, RowRange, TableKind};
use crate::sources::pg_tables::coverage;
use crate::sources::pg_tables::event_stats::{next_key_state, EventStats};
use crate::sources::pg_tables::pump::{publish, pump_staged, PumpContext};
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

    let wanted = source
        .datasets()
        .into_iter()
        .filter(|d| ctx.source.requested.is_empty() || ctx.source.requested.iter().any(|r| r == d))
        .map(str::to_string)
        .collect::<Vec<_>>();
    // Read every table inside the one snapshot, staging its rows; publishing (merging
    // into existing partitions, renames, fsyncs) waits until the transaction has ended,
    // so a slow or hung lake drive never holds locks on the repository (issue 11 item 12).
    // What the transaction still covers: the COPYs and the staged files they stream into.
    let mut read = Vec::new();
    let mut read_error = None;
    for dataset in &wanted {
        match read_dataset(source, ctx, &session, &state, run_date, dataset).await {
            Ok(staged) => read.push(staged),
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    // A read-only snapshot's rows stay valid whatever its COMMIT says: what was read is
    // published before a closing error is reported, as when publishing came first.
    let finished = session
        .finish()
        .await
        .map_err(session_error("closing the snapshot transaction"));

    let mut datasets = Vec::new();
    for read in read {
        let ReadDataset {
            staged,
            mut summary,
            next,
            read_seconds,
        } = read;
        let started = Instant::now();
        let dataset = summary.name.clone();
        let written = match staged {
            Some(staged) => Some(publish(&name, &dataset, staged).await?),
            None => None,
        };
        if let Some(written) = &written {
            summary.rows_read = written.rows_in;
            summary.rows_written = written.rows_written;
            summary.rows_already_present = written.rows_already_present;
            summary.partitions = written.partitions.clone();
        }
        match next {
            NextState::Unchanged => {}
            NextState::Event(mut next) => {
                next.rows_total = Some(
                    next.rows_total.unwrap_or(0) + written.as_ref().map_or(0, |w| w.rows_written),
                );
                state.datasets.insert(dataset.clone(), *next);
                failpoint::hit("before_state");
                store.save(&name, &state).map_err(|e| RunError::State {
                    source_name: name.clone(),
                    source: e,
                })?;
                failpoint::hit("state_written");
            }
            NextState::Snapshot => {
                let entry = state.datasets.entry(dataset.clone()).or_default();
                entry.last_snapshot_date = Some(run_date.to_string());
                entry.updated_at = Utc::now().to_rfc3339();
                entry.run_id = run_id.to_string();
                store.save(&name, &state).map_err(|e| RunError::State {
                    source_name: name.clone(),
                    source: e,
                })?;
            }
        }
        summary.seconds = read_seconds + started.elapsed().as_secs_f64();
        datasets.push(summary);
    }
    if let Some(e) = read_error {
        return Err(e);
    }
    finished?;
    // Login/Logout → auth_events → sessions, after any run that refreshed one of their
    // inputs (also `--dataset historical_events`): the lookups it did not refresh are the
    // lake's snapshots. Only a hist_users snapshot of this run names every actor; with an
    // older one, days with newer actors wait for the next run that has one (`sessions`).
    let selected = |d: &str| wanted.iter().any(|w| w.as_str() == d);
    if source.has_sessions() && SESSION_DATASETS.iter().any(|d| selected(d)) {
        let written: std::collections::HashSet<String> = datasets
            .iter()
            .filter(|d| d.name == "historical_events")
            .flat_map(|d| d.partitions.keys().cloned())
            .collect();
        let users_read = datasets
            .iter()
            .any(|d| d.name == "hist_users" && d.skipped.is_none() && d.error.is_none());
        let lookups = if users_read {
            Lookups::Fresh
        } else {
            Lookups::Stored { record: true }
        };
        let derived = super::sessions::rebuild(source, ctx, &written, lookups)?;
        datasets.extend(derived);
    }
    let transform = if source.enrich {
        let transform = rebuild_derived(source, ctx, run_date, &datasets)?;
        set_resolution_rate(&mut datasets, &transform);
        Some(transform.to_derived(&name))
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

/// One dataset read inside the snapshot: its rows staged, not yet published.
struct ReadDataset {
    /// None when the table does not exist on this server.
    staged: Option<StagedWrite>,
    /// Everything but the write counts, which publishing completes.
    summary: DatasetSummary,
    next: NextState,
    read_seconds: f64,
}

/// The state to save once the dataset is published.
enum NextState {
    Unchanged,
    /// The event cursor; `rows_total` still without this run's rows.
    Event(Box<DatasetState>),
    /// Today's snapshot was taken.
    Snapshot,
}

async fn read_dataset(
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
