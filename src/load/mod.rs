//! Load stage: partitioned Parquet written atomically into the lake.
//!
//! Layout: `<root>/<source>/<dataset>/event_date=YYYY-MM-DD/part-0.parquet` (one file
//! per partition, replaced whole by a rename, see `compact`), or
//! `snapshot_date=YYYY-MM-DD/part-0.parquet` for snapshots. The partition key lives
//! only in the folder name (a same-named column inside the files breaks pandas/pyarrow).
//! In-progress files are staged under `<root>/_usagelake/staging/<run_id>/` (same
//! filesystem, names not ending in `.parquet`), fsynced, then renamed into place and
//! the folder fsynced, so no reader ever sees a half-written file.
//!
//! `load` is the only code that writes into the lake; every path under the root comes
//! from [`LakeLayout`].
//!
//! PUBLIC API:
//! - `LakeLayout { root }` with `dataset_dir`, `staging_dir`, `internal_dir`, `journal_dir`,
//!   `state_dir`, `runs_dir`, `ledger_dir`, `locks_dir`, `backfill_dir`
//! - `DatasetWriter::open(layout, source, dataset, schema, partitioning, options) -> Result<Self, LoadError>`
//! - `DatasetWriter::write(&mut self, &RecordBatch) -> Result<(), LoadError>`: split by
//!   partition, merge by key (drops keys already in the partition), buffer, stage
//! - `DatasetWriter::commit(self) -> Result<WriteSummary, LoadError>`: publish each
//!   touched partition as one file (merged with what it held), one rename each; the same
//!   in two steps: `finish_staging(self) -> StagedWrite` (close the staged files) and
//!   `StagedWrite::publish(self)` (the slow file-system part), for a caller that must end
//!   a source transaction in between
//! - `split_by_event_date(batch, time_column, tz) -> Result<Vec<(NaiveDate, RecordBatch)>, LoadError>`
//!   (local date in `tz`, DST-correct; NULL times go to `event_date=1970-01-01` with a warning)
//! - `recover(layout) -> Result<RecoveryReport, LoadError>`: run at start; finishes or rolls
//!   back interrupted legacy merges and removes staging dirs of dead runs
//! - `end_run(layout, run_id)`: removes the run's staging dir after the last commit
//! - `list_partitions(layout, source, dataset) -> Result<Vec<PartitionInfo>, LoadError>` (footers only)
//! - `PartitionPublisher`: replaces a derived dataset's partition whole, atomically
//! - `write_ledger_file`, `write_run_summary`: the run ledger and run summaries
//! - `state::StateStore` (per-source cursors), `lock::RunLock` (who may write now)
//! - `fsutil::{atomic_write, fsync_dir}` for small files (checkpoints, journals)
//!
//! Guarantees: a reader that lists and reads a partition at any instant (also after a
//! crash at any step) sees each row exactly once; a partition never holds a key twice (merge by key against footers' key
//! ranges + a projected key column, see `merge`); memory is bounded by
//! `max_open_partitions × min(row_group_rows, rows per partition)` plus one batch, not
//! by the table (a rewrite streams one partition, i.e. one day); a writer dropped
//! without `commit` publishes nothing and leaves its staged files for `recover`/`end_run`.
//! A NULL merge key is an error (`LoadError::NullKey`), never a silently duplicable row.
//!
//! Files by role: `partition` (event dates), `merge` (key dedupe), `parquet_io` (encoding,
//! reading back), `writer` (buffering, LRU of partitions), `compact` (publish one file
//! per partition), `generation` (key generations), `recover`, `replace` (derived
//! partitions), `internal` (ledger, summaries), `state`, `lock`.

mod compact;
mod error;
pub mod fsutil;
mod generation;
mod internal;
pub mod lock;
mod merge;
mod parquet_io;
mod partition;
mod recover;
mod replace;
mod sorted_merge;
pub mod state;
mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use crate::config::Compression;
pub use error::LoadError;
pub use internal::{write_ledger_file, write_run_summary};
pub use parquet_io::read::dictionary_hint;
pub use parquet_io::SortSpec;
pub use partition::{
    event_partition_date, event_partition_name, partition_date, snapshot_partition_name,
    split_by_event_date, NULL_EVENT_DATE,
};
pub use recover::{end_run, recover, RecoveryReport};
pub use replace::{PartitionPublisher, StagedPartition};
pub use writer::{DatasetWriter, StagedWrite};

use error::IoContext;

/// Where things live under the lake root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeLayout {
    pub root: PathBuf,
}

impl LakeLayout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn dataset_dir(&self, source: &str, dataset: &str) -> PathBuf {
        self.root.join(source).join(dataset)
    }

    /// `_usagelake`: underscore-prefixed so pyarrow/Spark skip it. Its only `*.parquet`
    /// files are the run ledger's (`ledger/`, see `pipeline::ledger`), so a DuckDB glob
    /// over a dataset folder never sees them; a glob over the whole root would.
    pub fn internal_dir(&self) -> PathBuf {
        self.root.join("_usagelake")
    }

    pub fn staging_dir(&self, run_id: &str) -> PathBuf {
        self.internal_dir().join("staging").join(run_id)
    }

    pub fn journal_dir(&self) -> PathBuf {
        self.internal_dir().join("journal")
    }

    /// Per-source cursor state (`load::state`).
    pub fn state_dir(&self) -> PathBuf {
        self.internal_dir().join("state")
    }

    /// One JSON summary per run.
    pub fn runs_dir(&self) -> PathBuf {
        self.internal_dir().join("runs")
    }

    /// The run ledger's Parquet files.
    pub fn ledger_dir(&self) -> PathBuf {
        self.internal_dir().join("ledger")
    }

    /// Who is writing the lake now (`load::lock`).
    pub fn locks_dir(&self) -> PathBuf {
        self.internal_dir().join("locks")
    }

    /// Resume files of interrupted backfills.
    pub fn backfill_dir(&self) -> PathBuf {
        self.internal_dir().join("backfill")
    }
}

/// How a dataset's rows map to folders.
#[derive(Debug, Clone)]
pub enum Partitioning {
    /// Append log: `event_date=` the local date of `time_column` in `tz`; rows are
    /// merged by `key_column` (Int64/Int32, or Utf8 for string ids) and sorted by (time, key).
    EventDate {
        time_column: String,
        key_column: String,
        tz: chrono_tz::Tz,
    },
    /// Whole-table snapshot taken on `date`: one file, replaced by a same-day rerun.
    SnapshotDate { date: NaiveDate },
}

#[derive(Debug, Clone)]
pub struct WriterOptions {
    pub compression: Compression,
    /// Upper bound on rows per row group (rows are buffered up to this before writing).
    pub row_group_rows: usize,
    /// Partition files open at once; the least recently used is closed beyond this.
    pub max_open_partitions: usize,
    /// Rows that are still changing (running background jobs): a row whose key is
    /// already in the partition replaces the published version when that version has
    /// NULL in this column (not final yet, e.g. `completed_at`), instead of being
    /// dropped. None for append-only logs, where a re-delivered row is the same row.
    pub replace_while_null: Option<String>,
    /// Key generation of an event dataset (see `generation`): 0 until the source's ids
    /// restarted and the operator started a new one. Rows merge by key only within
    /// their generation's file; a row that is already in an older generation (same key
    /// and time: the same event) is dropped.
    pub key_generation: u32,
    /// Names staged and published files and goes into the footer (`usagelake.run_id`).
    pub run_id: String,
    /// Text columns that are (nearly) unique per row (URIs, per-request ids), named by
    /// the source kind's dataset spec: written PLAIN, since a dictionary never pays off.
    /// Columns that repeat keep the dictionary.
    pub plain_columns: Vec<String>,
}

impl WriterOptions {
    /// Defaults: snappy, 1M-row row groups, 4 open partitions, merge keeps the first.
    pub fn new(run_id: impl Into<String>) -> Self {
        Self {
            compression: Compression::Snappy,
            row_group_rows: 1_000_000,
            max_open_partitions: 4,
            replace_while_null: None,
            key_generation: 0,
            run_id: run_id.into(),
            plain_columns: Vec::new(),
        }
    }
}

/// What one `commit` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub rows_in: u64,
    /// Rows whose key was not in the lake before.
    pub rows_written: u64,
    /// Rows that replaced a published row with the same key (`replace_while_null`).
    pub rows_replaced: u64,
    /// Rows dropped because their key was already in the partition (or repeated).
    pub rows_already_present: u64,
    /// Partition folder name (`event_date=2026-03-08`) → rows written there.
    pub partitions: BTreeMap<String, u64>,
    /// Partition files renamed into place.
    pub files_published: usize,
    /// Partitions whose file was rewritten with the rows it held (not new partitions).
    pub partitions_rewritten: usize,
}

/// One partition folder as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Folder name, e.g. `event_date=2026-03-08`.
    pub name: String,
    pub path: PathBuf,
    /// `*.parquet` files, sorted by name.
    pub files: Vec<PathBuf>,
    /// Sum of the files' footer row counts.
    pub rows: u64,
}

/// Lists a dataset's partitions (sorted by name) and counts rows from footers only.
pub fn list_partitions(
    layout: &LakeLayout,
    source: &str,
    dataset: &str,
) -> Result<Vec<PartitionInfo>, LoadError> {
    let dir = layout.dataset_dir(source, dataset);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(LoadError::Io {
                path: dir,
                source: e,
            })
        }
    };
    let mut partitions = Vec::new();
    for entry in entries {
        let entry = entry.at(&dir)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_dir() || !name.contains('=') || name.starts_with(['_', '.']) {
            continue;
        }
        let files = parquet_files(&entry.path())?;
        let mut rows = 0u64;
        for file in &files {
            rows += parquet_io::read_footer(file)?
                .file_metadata()
                .num_rows()
                .max(0) as u64;
        }
        partitions.push(PartitionInfo {
            name,
            path: entry.path(),
            files,
            rows,
        });
    }
    partitions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(partitions)
}

/// Visible data files of a partition folder: `*.parquet`, not hidden, sorted by name.
/// A missing folder has none.
pub(crate) fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    visible_files(dir, ".parquet")
}

/// Regular files in `dir` whose name ends in `suffix` and does not start with `.` or `_`
/// (names readers and we treat as not-data), sorted by name. A missing folder has none.
pub(crate) fn visible_files(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, LoadError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(LoadError::Io {
                path: dir.to_path_buf(),
                source: e,
            })
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.at(dir)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(suffix) && !name.starts_with(['.', '_']) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests;
