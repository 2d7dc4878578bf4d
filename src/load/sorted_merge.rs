//! Streaming k-way merge of sorted row groups, for compaction.
//!
//! Every row group the writer (or an earlier compaction) wrote is sorted by (time, key),
//! so a partition's files are a set of sorted runs. Merging them a few thousand rows at
//! a time keeps compaction's memory at (runs × `READ_ROWS` rows) plus one output chunk,
//! whatever the size of the day, instead of reading the whole partition into memory.
//! A partition never holds a key twice (merge by key), but compaction is the one place
//! that sees every file, so it enforces it: it remembers each key (8 bytes a row, not
//! the row itself) and keeps the first occurrence.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch, TimestampMicrosecondArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::error::{arrow_err, LoadError};
use super::parquet_io::{append_keys, read_row_group, SortSpec, StagedParquet};

/// Rows read from each run at a time: ~2 MB of request-log rows.
const READ_ROWS: usize = 4096;
/// Rows per output chunk handed to the Parquet writer.
const CHUNK_ROWS: usize = 8192;
/// Raw bytes per output row group, as in the writer (`PARTITION_BUFFER_BYTES`).
const ROW_GROUP_BYTES: usize = 24 << 20;

/// One sorted run: a row group being read batch by batch.
struct Run {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    batch: RecordBatch,
    times: Vec<i64>,
    keys: Vec<Option<i64>>,
    pos: usize,
    /// Index of `batch` in the merge's current batch list.
    slot: usize,
}

impl Run {
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
            let mut values = Vec::with_capacity(key.len());
            append_keys(key.as_ref(), &mut values)
                .ok_or_else(|| schema_err("key column is not Int64/Int32".into()))?;
            self.keys = if key.null_count() == 0 {
                values.into_iter().map(Some).collect()
            } else {
                let mut non_null = values.into_iter();
                (0..key.len())
                    .map(|i| key.is_valid(i).then(|| non_null.next()).flatten())
                    .collect()
            };
            self.batch = batch;
            self.pos = 0;
            return Ok(true);
        }
        Ok(false)
    }

    fn head(&self) -> (i64, i64) {
        (
            self.times[self.pos],
            self.keys[self.pos].unwrap_or(i64::MIN),
        )
    }
}

/// What `merge_files` wrote.
pub(crate) struct Merged {
    pub rows: u64,
    pub duplicates: u64,
}

/// Merges the row groups of `files` into `out` in (time, key) order, dropping repeated
/// keys, with row groups of at most `row_group_rows` rows.
pub(crate) fn merge_files(
    dataset: &str,
    files: &[(PathBuf, usize)],
    sort: &SortSpec,
    row_group_rows: usize,
    out: &mut StagedParquet,
) -> Result<Merged, LoadError> {
    let mut runs = Vec::new();
    for (path, row_groups) in files {
        for rg in 0..*row_groups {
            let mut run = open_run(path, rg)?;
            if run.advance_batch(sort)? {
                runs.push(run);
            }
        }
    }
    let mut heap: BinaryHeap<Reverse<((i64, i64), usize)>> = BinaryHeap::new();
    for (i, run) in runs.iter_mut().enumerate() {
        run.slot = i;
        heap.push(Reverse((run.head(), i)));
    }
    let mut batches: Vec<RecordBatch> = runs.iter().map(|r| r.batch.clone()).collect();
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(CHUNK_ROWS);
    let mut seen = HashSet::new();
    let (mut rows, mut duplicates) = (0u64, 0u64);
    let (mut group_rows, mut group_bytes) = (0usize, 0usize);
    while let Some(Reverse((_, i))) = heap.pop() {
        let run = &mut runs[i];
        let is_new = run.keys[run.pos].is_none_or(|k| seen.insert(k));
        if is_new {
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
    Ok(Merged { rows, duplicates })
}

fn open_run(path: &Path, row_group: usize) -> Result<Run, LoadError> {
    Ok(Run {
        path: path.to_path_buf(),
        reader: read_row_group(path, row_group, READ_ROWS)?,
        batch: RecordBatch::new_empty(std::sync::Arc::new(arrow_schema::Schema::empty())),
        times: Vec::new(),
        keys: Vec::new(),
        pos: 0,
        slot: 0,
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
