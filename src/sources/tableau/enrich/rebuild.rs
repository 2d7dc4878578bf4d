//! Rebuilding the derived datasets of one source after a run, one event date at a time.
//!
//! Which dates: every `event_date` the run touched in `http_requests`, every date of a
//! `--from/--to` range, every date whose enriched row count differs from the raw one (a
//! run that died between the raw write and the rebuild, or a lake from before this stage),
//! and every date whose point-in-time selection uses a snapshot this run wrote. The last
//! two only with `repairs_other_days` (runs, not backfills: a backfill touches only its
//! own days).
//!
//! Memory: one day of raw rows plus one chunk of enriched rows (the enriched file is written
//! chunk by chunk) plus the narrow columns the daily seeds aggregate.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use arrow_array::RecordBatch;
use arrow_ord::sort::{lexsort_to_indices, SortColumn};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::dims::Dimensions;
use super::lake::read_files;
use super::report::{ReportBuilder, ResolutionReport};
use super::requests_enriched::{enrich, enriched_schema};
use super::seeds;
use super::snapshots::SnapshotCatalog;
use super::TransformError;
use crate::load::partition_date;
use crate::load::PartitionPublisher;
use crate::load::{event_partition_name, list_partitions, snapshot_partition_name};
use crate::load::{Compression, LakeLayout, PartitionInfo, SortSpec};

/// Rows enriched per polars call: bounds the join's working set, large enough that the
/// per-call overhead (plan, threads) is negligible.
const CHUNK_ROWS: usize = 256 * 1024;

pub struct RebuildRequest<'a> {
    pub layout: &'a LakeLayout,
    pub source: &'a str,
    pub run_id: &'a str,
    pub tz: Tz,
    pub compression: Compression,
    pub row_group_rows: usize,
    /// Event dates the run wrote raw `http_requests` rows to, or was asked to re-read.
    pub event_dates: BTreeSet<NaiveDate>,
    /// Snapshot dates the run wrote.
    pub snapshot_dates: BTreeSet<NaiveDate>,
    /// Also rebuild other days that need it (enriched count differs from the raw one,
    /// a snapshot they use was rewritten). The nightly run does (it holds the whole
    /// lake); a backfill does not: it holds only its days, and another backfill may be
    /// writing the others.
    pub repairs_other_days: bool,
}

/// What the transform did for one source; saved in the run summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TransformSummary {
    /// Event dates whose `requests_enriched`, `logins` and `usage_daily` were rebuilt.
    pub event_dates: Vec<String>,
    /// Rows per rebuilt dataset.
    pub rows: BTreeMap<String, u64>,
    /// Time spent reading, enriching and writing `requests_enriched` (seeds excluded).
    pub enrich_seconds: f64,
    pub seconds: f64,
    pub resolution: ResolutionReport,
}

pub fn rebuild(request: &RebuildRequest<'_>) -> Result<TransformSummary, TransformError> {
    // polars drives its streaming engine with `tokio::task::block_in_place`, which panics
    // on a current-thread runtime (the CLI's, see `commands::run`). A plain thread has no
    // runtime context; the caller waits for it as it would for the work itself.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("usagelake-transform".into())
            .spawn_scoped(scope, || rebuild_on_this_thread(request))
            .map_err(|source| TransformError::Thread { source })?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn rebuild_on_this_thread(
    request: &RebuildRequest<'_>,
) -> Result<TransformSummary, TransformError> {
    let started = Instant::now();
    let catalog = SnapshotCatalog::load(request.layout, request.source)?;
    let list = |dataset: &str| -> Result<Vec<PartitionInfo>, TransformError> {
        list_partitions(request.layout, request.source, dataset).map_err(|source| {
            TransformError::List {
                dataset: format!("{}/{dataset}", request.source),
                source,
            }
        })
    };
    let raw: BTreeMap<NaiveDate, PartitionInfo> = by_date(list("http_requests")?, "event_date");
    let enriched: BTreeMap<NaiveDate, PartitionInfo> =
        by_date(list("requests_enriched")?, "event_date");
    let dates: Vec<NaiveDate> = raw
        .iter()
        .filter(|(date, partition)| {
            let needs_repair = || {
                enriched.get(date).map_or(0, |e| e.rows) != partition.rows
                    || catalog
                        .selection(**date)
                        .iter()
                        .any(|s| s.is_some_and(|s| request.snapshot_dates.contains(&s)))
            };
            request.event_dates.contains(date) || (request.repairs_other_days && needs_repair())
        })
        .map(|(date, _)| *date)
        .collect();

    let mut summary = TransformSummary::default();
    let mut report = ReportBuilder::default();
    let mut dims: Option<(Vec<Option<NaiveDate>>, Dimensions)> = None;
    let mut enrich_seconds = 0.0;
    for date in dates {
        let enrich_started = Instant::now();
        let selection = catalog.selection(date);
        if dims.as_ref().is_none_or(|(s, _)| *s != selection) {
            dims = Some((selection, Dimensions::load(&catalog, date)?));
        }
        let (_, day_dims) = dims.as_ref().expect("loaded above");
        let partition = &raw[&date];
        let day = read_day(partition)?;
        let name = event_partition_name(date);
        let publisher = request.publisher("requests_enriched", true);
        let mut daily_input = Vec::new();
        let mut rows_out = 0u64;
        if let Some(first) = day.first() {
            let schema = enriched_schema(&first.schema());
            let mut staged = publisher.begin(&name, &schema)?;
            for batch in &day {
                for offset in (0..batch.num_rows()).step_by(CHUNK_ROWS) {
                    let chunk = batch.slice(offset, CHUNK_ROWS.min(batch.num_rows() - offset));
                    let out = enrich(&chunk, day_dims, request.tz, &mut report)?;
                    rows_out += out.num_rows() as u64;
                    staged.write(&out)?;
                    daily_input.push(
                        out.project(&indices(&out, seeds::DAILY_INPUT))
                            .map_err(TransformError::polars("requests_enriched", "projecting"))?,
                    );
                }
            }
            staged.commit()?;
        } else {
            publisher.clear(&name)?;
        }
        // The invariant readers rely on: an enriched partition has the raw partition's rows.
        if rows_out != partition.rows {
            return Err(TransformError::Write {
                dataset: format!("{}/requests_enriched", request.source),
                partition: name,
                message: format!("{rows_out} rows enriched from {} raw rows", partition.rows),
            });
        }
        enrich_seconds += enrich_started.elapsed().as_secs_f64();
        *summary.rows.entry("requests_enriched".into()).or_default() += rows_out;
        drop(day);
        if !daily_input.is_empty() {
            let logins = seeds::logins(&daily_input)?;
            let rows =
                request
                    .publisher("logins", false)
                    .replace(&name, &logins.schema(), &[logins])?;
            *summary.rows.entry("logins".into()).or_default() += rows;
            let usage = seeds::usage_daily(&daily_input)?;
            let rows = request.publisher("usage_daily", false).replace(
                &name,
                &usage.schema(),
                &[usage],
            )?;
            *summary.rows.entry("usage_daily".into()).or_default() += rows;
        }
        summary.event_dates.push(date.to_string());
    }

    // extracts_workbooks: one partition per extracts snapshot; rebuild what the run wrote
    // and any the dataset lacks.
    let built: BTreeSet<NaiveDate> = by_date(list("extracts_workbooks")?, "snapshot_date")
        .into_keys()
        .collect();
    for date in catalog.dates("extracts") {
        if request.snapshot_dates.contains(&date) || !built.contains(&date) {
            let batch = seeds::extracts_workbooks(&catalog, date)?;
            let rows = request.publisher("extracts_workbooks", false).replace(
                &snapshot_partition_name(date),
                &batch.schema(),
                &[batch],
            )?;
            *summary.rows.entry("extracts_workbooks".into()).or_default() += rows;
        }
    }
    summary.enrich_seconds = enrich_seconds;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.resolution = report.finish();
    tracing::info!(
        source = request.source,
        partitions = summary.event_dates.len(),
        rows = summary.rows.get("requests_enriched").copied().unwrap_or(0),
        enrich_seconds = format!("{enrich_seconds:.3}"),
        seconds = format!("{:.3}", summary.seconds),
        "requests_enriched rebuilt"
    );
    Ok(summary)
}

impl TransformSummary {
    /// The run summary's kind-neutral form: this summary as JSON, and its text.
    pub fn to_derived(&self, source: &str) -> crate::sources::DerivedSummary {
        crate::sources::DerivedSummary::new(self.to_text(source), self)
    }

    /// Printed after the run table: what was rebuilt, how fast, and the resolution report.
    pub fn to_text(&self, source: &str) -> String {
        let rows = |d: &str| self.rows.get(d).copied().unwrap_or(0);
        format!(
            "{source}: rebuilt {} day(s): requests_enriched {} rows in {:.2} s, logins {}, \
             usage_daily {}, extracts_workbooks {} ({:.2} s in all)\n{}",
            self.event_dates.len(),
            rows("requests_enriched"),
            self.enrich_seconds,
            rows("logins"),
            rows("usage_daily"),
            rows("extracts_workbooks"),
            self.seconds,
            self.resolution.to_text(source)
        )
    }
}

impl RebuildRequest<'_> {
    fn publisher(&self, dataset: &'static str, is_event_sorted: bool) -> PartitionPublisher<'_> {
        PartitionPublisher {
            layout: self.layout,
            source: self.source,
            dataset,
            run_id: self.run_id,
            compression: self.compression,
            row_group_rows: self.row_group_rows,
            sort: is_event_sorted.then(|| SortSpec {
                time_column: "created_at".into(),
                key_column: "id".into(),
            }),
            plain_columns: crate::sources::tableau::tables::UNIQUE_TEXT_COLUMNS,
        }
    }
}

fn by_date(partitions: Vec<PartitionInfo>, key: &str) -> BTreeMap<NaiveDate, PartitionInfo> {
    partitions
        .into_iter()
        .filter_map(|p| Some((partition_date(&p.name, key)?, p)))
        .collect()
}

fn indices(batch: &RecordBatch, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .filter_map(|n| batch.schema().index_of(n).ok())
        .collect()
}

/// The raw rows of one day, in (created_at, id) order. Each raw file is sorted already; a
/// partition with several files (before compaction) is merged by one sort.
fn read_day(partition: &PartitionInfo) -> Result<Vec<RecordBatch>, TransformError> {
    let batches = read_files(&partition.files)?;
    if partition.files.len() <= 1 || batches.is_empty() {
        return Ok(batches);
    }
    let err = |e: arrow_schema::ArrowError| TransformError::Read {
        path: partition.path.clone(),
        message: e.to_string(),
    };
    let all = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).map_err(err)?;
    drop(batches);
    let column = |name: &str| SortColumn {
        values: all
            .column_by_name(name)
            .expect("raw http_requests column")
            .clone(),
        options: None,
    };
    let order = lexsort_to_indices(&[column("created_at"), column("id")], None).map_err(err)?;
    Ok(vec![
        arrow_select::take::take_record_batch(&all, &order).map_err(err)?
    ])
}
