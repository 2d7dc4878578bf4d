//! `DatasetWriter`: turns a stream of Arrow batches into published partition files.
//!
//! Event datasets: each batch is split by `event_date`, filtered by key against the
//! lake (see `merge.rs`), buffered per partition up to `row_group_rows`, sorted by
//! (time, key) and written as one row group to a staged file. At most
//! `max_open_partitions` partitions are open (LRU): usage logs arrive roughly in time
//! order, so one or two are active and memory depends on batch size, row group size
//! and that bound, not on the table. `commit` closes everything and publishes each
//! touched partition as its one file, merged with the rows it held (see `compact`).
//!
//! Snapshot datasets: every batch goes to one staged file that `commit` renames over
//! `snapshot_date=D/part-0.parquet` (rename replaces atomically: readers see the old
//! or the new snapshot, never neither).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use parquet::file::properties::WriterProperties;

mod event;

use event::EventState;

use super::compact::{publish_partition, RewriteJob, PARTITION_FILE};
use super::error::{IoContext, LoadError};
use super::fsutil::{create_dir_all_durable, fsync_dir};
use super::parquet_io::{writer_properties, SortSpec, StagedParquet};
use super::partition::{snapshot_partition_name, split_for_dataset};
use super::recover::ensure_staging_dir;
use super::{LakeLayout, Partitioning, WriteSummary, WriterOptions};

pub struct DatasetWriter {
    ctx: Ctx,
    mode: Mode,
    /// Closed staged files waiting for `commit`: (staged path, partition name).
    staged: Vec<(PathBuf, String)>,
    summary: WriteSummary,
}

struct Ctx {
    dataset: String, // "source/dataset", for messages
    dataset_dir: PathBuf,
    staging_dir: PathBuf,
    staged_prefix: String,
    layout: LakeLayout,
    schema: SchemaRef,
    props: WriterProperties,
    options: WriterOptions,
    next_seq: u64,
}

enum Mode {
    Event(EventState),
    Snapshot {
        date: NaiveDate,
        file: Option<Box<StagedParquet>>,
    },
}

impl DatasetWriter {
    pub fn open(
        layout: &LakeLayout,
        source: &str,
        dataset: &str,
        schema: SchemaRef,
        partitioning: Partitioning,
        options: WriterOptions,
    ) -> Result<Self, LoadError> {
        let label = format!("{source}/{dataset}");
        let schema_err = |message: String| LoadError::Schema {
            dataset: label.clone(),
            message,
        };
        if options.row_group_rows == 0 || options.max_open_partitions == 0 {
            return Err(schema_err(
                "row_group_rows and max_open_partitions must be > 0".into(),
            ));
        }
        let (mode, sort) = match partitioning {
            Partitioning::EventDate {
                time_column,
                key_column,
                tz,
            } => {
                check_event_schema(&schema, &time_column, &key_column).map_err(&schema_err)?;
                let sort = SortSpec {
                    time_column,
                    key_column,
                };
                let state = EventState {
                    sort: sort.clone(),
                    tz,
                    open: Vec::new(),
                    keys: HashMap::new(),
                };
                (Mode::Event(state), Some(sort))
            }
            Partitioning::SnapshotDate { date } => (Mode::Snapshot { date, file: None }, None),
        };
        let partition_key = if sort.is_some() {
            "event_date"
        } else {
            "snapshot_date"
        };
        if schema.field_with_name(partition_key).is_ok() {
            return Err(schema_err(format!(
                "column {partition_key} would duplicate the partition folder key; rename it"
            )));
        }
        let props = writer_properties(
            &label,
            &schema,
            options.compression,
            options.row_group_rows,
            &options.run_id,
            sort.as_ref(),
            &options
                .plain_columns
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )?;
        let staging_dir = ensure_staging_dir(layout, &options.run_id)?;
        let ctx = Ctx {
            dataset: label,
            dataset_dir: layout.dataset_dir(source, dataset),
            staged_prefix: format!("{source}.{dataset}"),
            staging_dir,
            layout: layout.clone(),
            schema,
            props,
            options,
            next_seq: 0,
        };
        Ok(Self {
            ctx,
            mode,
            staged: Vec::new(),
            summary: WriteSummary::default(),
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), LoadError> {
        if batch.schema().fields() != self.ctx.schema.fields() {
            return Err(LoadError::Schema {
                dataset: self.ctx.dataset.clone(),
                message: format!(
                    "batch schema {:?} differs from the writer's",
                    batch.schema()
                ),
            });
        }
        self.summary.rows_in += batch.num_rows() as u64;
        match &mut self.mode {
            Mode::Snapshot { file, .. } => {
                // ArrowWriter itself buffers up to `row_group_rows` per row group; snapshot
                // rows need no sort, so no extra buffer here.
                let file = match file {
                    Some(f) => f,
                    None => file.insert(Box::new(self.ctx.create_staged()?)),
                };
                file.write_batch(batch)?;
                self.summary.rows_written += batch.num_rows() as u64;
                Ok(())
            }
            Mode::Event(state) => {
                let parts = split_for_dataset(
                    &self.ctx.dataset,
                    batch,
                    &state.sort.time_column,
                    Some(&state.sort.key_column),
                    state.tz,
                )?;
                for (date, part) in parts {
                    state.write_partition(
                        &mut self.ctx,
                        &mut self.staged,
                        &mut self.summary,
                        date,
                        &part,
                    )?;
                }
                Ok(())
            }
        }
    }

    /// Publishes what was written: `finish_staging` then [`StagedWrite::publish`].
    pub fn commit(self) -> Result<WriteSummary, LoadError> {
        self.finish_staging()?.publish()
    }

    /// Closes every staged file and drops the per-partition buffers and key caches;
    /// nothing is published yet. A caller reading from a transaction ends it here and
    /// publishes afterwards, so the slow part (merging into existing partitions, renames,
    /// fsyncs) never holds the source's transaction open.
    pub fn finish_staging(mut self) -> Result<StagedWrite, LoadError> {
        let files = match std::mem::replace(
            &mut self.mode,
            Mode::Snapshot {
                date: NaiveDate::MIN,
                file: None,
            },
        ) {
            Mode::Snapshot { date, file } => {
                // An empty table still gets a file: readers need the schema.
                let file = match file {
                    Some(f) => *f,
                    None => self.ctx.create_staged()?,
                };
                let (staged, rows) = file.finish()?;
                StagedFiles::Snapshot { date, staged, rows }
            }
            Mode::Event(mut state) => {
                while !state.open.is_empty() {
                    state.close_lru(&mut self.ctx, &mut self.staged)?;
                }
                StagedFiles::Event {
                    sort: state.sort,
                    staged: std::mem::take(&mut self.staged),
                }
            }
        };
        Ok(StagedWrite {
            ctx: self.ctx,
            files,
            summary: std::mem::take(&mut self.summary),
        })
    }
}

/// A dataset's rows, staged and closed, waiting to be published. Dropped without
/// `publish`, it publishes nothing and leaves its staged files for `recover`/`end_run`.
pub struct StagedWrite {
    ctx: Ctx,
    files: StagedFiles,
    summary: WriteSummary,
}

enum StagedFiles {
    /// (staged path, partition name) of every closed file.
    Event {
        sort: SortSpec,
        staged: Vec<(PathBuf, String)>,
    },
    Snapshot {
        date: NaiveDate,
        staged: PathBuf,
        rows: u64,
    },
}

impl StagedWrite {
    /// Rows read and accepted so far; `publish` completes it (rows replaced, files).
    pub fn summary(&self) -> &WriteSummary {
        &self.summary
    }

    /// Publishes every touched partition, each with a single rename.
    pub fn publish(self) -> Result<WriteSummary, LoadError> {
        crate::failpoint::hit("publish_started");
        let StagedWrite {
            mut ctx,
            files,
            mut summary,
        } = self;
        match files {
            StagedFiles::Snapshot { date, staged, rows } => {
                publish_snapshot(&ctx, &mut summary, date, staged, rows)?
            }
            StagedFiles::Event { sort, staged } => {
                publish_events(&mut ctx, &mut summary, &sort, staged)?
            }
        }
        Ok(summary)
    }
}

/// Publishes every touched partition as one file (see `compact`), in partition order,
/// each with a single rename.
fn publish_events(
    ctx: &mut Ctx,
    summary: &mut WriteSummary,
    sort: &SortSpec,
    staged: Vec<(PathBuf, String)>,
) -> Result<(), LoadError> {
    let mut by_partition: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (staged, partition) in staged {
        by_partition.entry(partition).or_default().push(staged);
    }
    for (partition, staged) in by_partition {
        let dir = ctx.dataset_dir.join(&partition);
        create_dir_all_durable(&dir).at(&dir)?;
        let out = ctx.next_staged_path();
        let job = RewriteJob {
            layout: &ctx.layout,
            dataset: &ctx.dataset,
            partition_dir: dir,
            schema: &ctx.schema,
            props: &ctx.props,
            sort,
            row_group_rows: ctx.options.row_group_rows,
            run_id: &ctx.options.run_id,
            replace_existing: ctx.options.replace_while_null.is_some(),
            key_generation: ctx.options.key_generation,
        };
        let published = publish_partition(&job, &staged, out)?;
        summary.files_published += 1;
        summary.partitions_rewritten += usize::from(published.rewritten);
        // A replacing row was counted as written when it was accepted; it is a new
        // version of a row already counted, not a new row.
        summary.rows_written -= published.replaced;
        summary.rows_replaced += published.replaced;
    }
    fsync_dir(&ctx.staging_dir).at(&ctx.staging_dir)?;
    Ok(())
}

fn publish_snapshot(
    ctx: &Ctx,
    summary: &mut WriteSummary,
    date: NaiveDate,
    staged: PathBuf,
    rows: u64,
) -> Result<(), LoadError> {
    let partition = snapshot_partition_name(date);
    let dir = ctx.dataset_dir.join(&partition);
    create_dir_all_durable(&dir).at(&dir)?;
    let target = dir.join(PARTITION_FILE);
    std::fs::rename(&staged, &target).at(&target)?;
    crate::failpoint::hit("snapshot_published");
    fsync_dir(&dir).at(&dir)?;
    fsync_dir(&ctx.staging_dir).at(&ctx.staging_dir)?;
    summary.files_published += 1;
    summary.partitions.insert(partition, rows);
    Ok(())
}

impl Ctx {
    fn next_staged_path(&mut self) -> PathBuf {
        self.next_seq += 1;
        // Not `*.parquet`: a staged file must never match a reader's glob.
        self.staging_dir.join(format!(
            "{}.{:05}.staged",
            self.staged_prefix, self.next_seq
        ))
    }

    fn create_staged(&mut self) -> Result<StagedParquet, LoadError> {
        let path = self.next_staged_path();
        StagedParquet::create(path, self.schema.clone(), self.props.clone())
    }
}

fn check_event_schema(
    schema: &SchemaRef,
    time_column: &str,
    key_column: &str,
) -> Result<(), String> {
    match schema.field_with_name(time_column).map(|f| f.data_type()) {
        Ok(DataType::Timestamp(TimeUnit::Microsecond, Some(_))) => {}
        Ok(other) => {
            return Err(format!(
                "time column {time_column} is {other}, expected Timestamp(Microsecond, \"UTC\")"
            ))
        }
        Err(_) => return Err(format!("time column {time_column} is missing")),
    }
    match schema.field_with_name(key_column).map(|f| f.data_type()) {
        Ok(DataType::Int64 | DataType::Int32 | DataType::Utf8) => Ok(()),
        Ok(other) => Err(format!(
            "key column {key_column} is {other}, expected Int64, Int32 or Utf8"
        )),
        Err(_) => Err(format!("key column {key_column} is missing")),
    }
}
