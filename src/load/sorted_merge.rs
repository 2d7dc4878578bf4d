//! Streaming k-way merge of sorted row groups, for rewriting a partition's one file.
//!
//! Every row group the writer (or an earlier rewrite) wrote is sorted by (time, key),
//! so a partition's file and this run's staged files are a set of sorted runs. Merging
//! them a few thousand rows at a time keeps memory at (runs × `READ_ROWS` rows) plus one
//! output chunk, whatever the size of the day, instead of reading the whole partition.
//! A partition never holds a key twice (merge by key), but the rewrite is the one place
//! that sees every file, so it enforces it: it remembers each key (8 bytes a row for
//! integer keys, not the row itself) and keeps the first occurrence. Text keys (Utf8)
//! take the same path through [`MergeKey`]. Rows of a file marked `is_old` whose key is
//! in `replaced` are dropped: a newer version of that row is in the new rows.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::Hash;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::error::{arrow_err, LoadError};
use super::parquet_io::{append_keys, read_row_group, SortSpec, StagedParquet};

/// Rows read from each run at a time: ~2 MB of request-log rows.
const READ_ROWS: usize = 4096;
/// Rows per output chunk handed to the Parquet writer.
const CHUNK_ROWS: usize = 8192;
/// Raw bytes per output row group, as in the writer (`PARTITION_BUFFER_BYTES`).
const ROW_GROUP_BYTES: usize = 24 << 20;

/// A key type compaction can merge on: integer ids, or text ids.
pub(crate) trait MergeKey: Ord + Hash + Clone {
    /// The column's values, `None` for nulls; `None` overall for a column of another type.
    fn read(column: &dyn Array) -> Option<Vec<Option<Self>>>;
}

impl MergeKey for i64 {
    fn read(column: &dyn Array) -> Option<Vec<Option<i64>>> {
        let mut values = Vec::with_capacity(column.len());
        append_keys(column, &mut values)?;
        Some(if column.null_count() == 0 {
            values.into_iter().map(Some).collect()
        } else {
            let mut non_null = values.into_iter();
            (0..column.len())
                .map(|i| column.is_valid(i).then(|| non_null.next()).flatten())
                .collect()
        })
    }
}

impl MergeKey for Box<str> {
    fn read(column: &dyn Array) -> Option<Vec<Option<Box<str>>>> {
        if column.data_type() != &DataType::Utf8 {
            return None;
        }
        Some(
            column
                .as_string::<i32>()
                .iter()
                .map(|k| k.map(Box::from))
                .collect(),
        )
    }
}

/// A run's next row as the merge orders it: (time, key), a NULL key first.
type Head<K> = (i64, Option<K>);

/// One sorted run: a row group being read batch by batch.
struct Run<K> {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    batch: RecordBatch,
    times: Vec<i64>,
    keys: Vec<Option<K>>,
    pos: usize,
    /// Index of `batch` in the merge's current batch list.
    slot: usize,
    /// Rows of this run give way to a newer version with the same key.
    is_old: bool,
}

impl<K: MergeKey> Run<K> {
    /// Reads the next non-empty batch; false at the end of the run.
    fn advance_batch(&mut self, sort: &SortSpec) -> Result<bool, LoadError> {
        for batch in self.reader.by_ref() {
            let batch = batch.map_err(|e| LoadError::Parquet {
                path: self.path.clone(),
                source: e.into(),
            })?;
            if batch.num_rows() == 0 {
                continue;
            }
            let schema_err = |message: String| LoadError::Schema {
                dataset: self.path.display().to_string(),
                message,
            };
            let time = batch
                .column_by_name(&sort.time_column)
                .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
                .ok_or_else(|| schema_err("time column missing or not a timestamp".into()))?;
            self.times = (0..time.len())
                .map(|i| {
                    if time.is_null(i) {
                        i64::MIN
                    } else {
                        time.value(i)
                    }
                })
                .collect();
            let key = batch
                .column_by_name(&sort.key_column)
                .ok_or_else(|| schema_err("key column missing".into()))?;
            self.keys = K::read(key.as_ref())
                .ok_or_else(|| schema_err("key column is not Int64/Int32/Utf8".into()))?;
            self.batch = batch;
            self.pos = 0;
            return Ok(true);
        }
        Ok(false)
    }

    /// (time, key), a NULL key first, as `sort_batch` orders rows.
    fn head(&self) -> Head<K> {
        (self.times[self.pos], self.keys[self.pos].clone())
    }
}

/// What `merge_files` wrote.
pub(crate) struct Merged {
    pub rows: u64,
    pub duplicates: u64,
    /// Old rows dropped because a newer version of the row was merged in.
    pub replaced: u64,
}

/// One input of a merge: a file, its row-group count, and whether its rows are the
/// older versions (the partition's published file) that new rows may replace.
pub(crate) struct MergeInput {
    pub path: PathBuf,
    pub row_groups: usize,
    pub is_old: bool,
}

/// Merges the row groups of `files` into `out` in (time, key) order, dropping repeated
/// keys and old rows whose key is in `replaced`, with row groups of at most
/// `row_group_rows` rows. `K` is the key's type.
pub(crate) fn merge_files<K: MergeKey>(
    dataset: &str,
    files: &[MergeInput],
    replaced: &HashSet<K>,
    sort: &SortSpec,
    row_group_rows: usize,
    out: &mut StagedParquet,
) -> Result<Merged, LoadError> {
    let mut runs: Vec<Run<K>> = Vec::new();
    for file in files {
        for rg in 0..file.row_groups {
            let mut run = open_run(&file.path, rg, file.is_old)?;
            if run.advance_batch(sort)? {
                runs.push(run);
            }
        }
    }
    let mut heap: BinaryHeap<Reverse<(Head<K>, usize)>> = BinaryHeap::new();
    for (i, run) in runs.iter_mut().enumerate() {
        run.slot = i;
        heap.push(Reverse((run.head(), i)));
    }
    let mut batches: Vec<RecordBatch> = runs.iter().map(|r| r.batch.clone()).collect();
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(CHUNK_ROWS);
    let mut seen = HashSet::new();
    let (mut rows, mut duplicates, mut superseded) = (0u64, 0u64, 0u64);
    let (mut group_rows, mut group_bytes) = (0usize, 0usize);
    while let Some(Reverse((_, i))) = heap.pop() {
        let run = &mut runs[i];
        let key = run.keys[run.pos].clone();
        if run.is_old && key.as_ref().is_some_and(|k| replaced.contains(k)) {
            superseded += 1;
        } else if key.is_none_or(|k| seen.insert(k)) {
            picks.push((run.slot, run.pos));
        } else {
            duplicates += 1;
        }
        run.pos += 1;
        let mut is_live = true;
        if run.pos == run.batch.num_rows() {
            is_live = run.advance_batch(sort)?;
            if is_live {
                run.slot = batches.len();
                batches.push(run.batch.clone());
            }
        }
        if is_live {
            heap.push(Reverse((run.head(), i)));
        }
        let chunk_limit = CHUNK_ROWS.min(row_group_rows - group_rows);
        if picks.len() == chunk_limit || (heap.is_empty() && !picks.is_empty()) {
            let chunk = take_picks(dataset, &batches, &picks)?;
            picks.clear();
            // Forget batches no run still points into; renumber the live ones.
            batches = runs.iter().map(|r| r.batch.clone()).collect();
            for (slot, run) in runs.iter_mut().enumerate() {
                run.slot = slot;
            }
            out.write_batch(&chunk)?;
            rows += chunk.num_rows() as u64;
            group_rows += chunk.num_rows();
            group_bytes += chunk.get_array_memory_size();
            if group_rows >= row_group_rows || group_bytes >= ROW_GROUP_BYTES {
                out.end_row_group()?;
                (group_rows, group_bytes) = (0, 0);
            }
        }
    }
    if group_rows > 0 {
        out.end_row_group()?;
    }
    Ok(Merged {
        rows,
        duplicates,
        replaced: superseded,
    })
}

fn open_run<K>(path: &Path, row_group: usize, is_old: bool) -> Result<Run<K>, LoadError> {
    Ok(Run {
        path: path.to_path_buf(),
        reader: read_row_group(path, row_group, READ_ROWS)?,
        batch: RecordBatch::new_empty(std::sync::Arc::new(arrow_schema::Schema::empty())),
        times: Vec::new(),
        keys: Vec::new(),
        pos: 0,
        slot: 0,
        is_old,
    })
}

fn take_picks(
    dataset: &str,
    batches: &[RecordBatch],
    picks: &[(usize, usize)],
) -> Result<RecordBatch, LoadError> {
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    arrow_select::interleave::interleave_record_batch(&refs, picks).map_err(arrow_err(dataset))
}
