//! Compaction: a partition with more than `max_files_per_partition` files becomes one
//! sorted, deduplicated file. Many small files are as bad for readers as tiny row
//! groups, and LRU eviction or many incremental runs produce exactly that.
//!
//! Crash safety comes from a journal written before the switch:
//! 1. write + fsync the new file in staging;
//! 2. atomic_write `_usagelake/journal/<id>.json` {new_file, staged, replaces};
//! 3. rename the new file into the partition (now rows exist twice!), fsync the dir;
//! 4. delete the replaced files, fsync; 5. delete the journal.
//!
//! `recover` finishes step 4 if the new file is in place, or else deletes the staged
//! file: either way each row ends up exactly once.
//!
//! Memory: the partition (one day) is read whole. That is bounded by a day of usage,
//! not by the table; a k-way merge of the sorted row groups would cut it further if a
//! single day ever outgrows RAM.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::error::{arrow_err, IoContext, LoadError};
use super::fsutil::{atomic_write, fsync_dir, remove_file_if_exists};
use super::parquet_io::{append_keys, read_all, sort_batch, SortSpec, StagedParquet};
use super::{parquet_files, LakeLayout};

/// What a compaction is about to do, paths relative to the lake root so a journal stays
/// valid when the share is mounted elsewhere.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Journal {
    pub new_file: PathBuf,
    pub staged: PathBuf,
    pub replaces: Vec<PathBuf>,
}

pub(crate) struct CompactJob<'a> {
    pub layout: &'a LakeLayout,
    pub dataset: &'a str,
    pub partition_dir: PathBuf,
    pub schema: &'a SchemaRef,
    pub props: &'a WriterProperties,
    pub sort: &'a SortSpec,
    pub row_group_rows: usize,
    pub max_files: usize,
    pub run_id: &'a str,
}

/// Compacts the partition if it holds more than `max_files` files. Returns whether it did.
pub(crate) fn compact_partition(job: &CompactJob, staged: PathBuf) -> Result<bool, LoadError> {
    let files = parquet_files(&job.partition_dir)?;
    if files.len() <= job.max_files {
        return Ok(false);
    }
    let mut batches = Vec::new();
    for file in &files {
        let (schema, mut file_batches) = read_all(file)?;
        if schema.fields() != job.schema.fields() {
            // Older files from before a schema change: merging would need a cast policy.
            tracing::warn!(partition = %job.partition_dir.display(), file = %file.display(),
                "not compacting: files with a different schema");
            return Ok(false);
        }
        batches.append(&mut file_batches);
    }
    let all = arrow_select::concat::concat_batches(job.schema, &batches)
        .map_err(arrow_err(job.dataset))?;
    drop(batches);
    let sorted = sort_batch(job.dataset, &dedupe_by_key(job, &all)?, job.sort)?;
    drop(all);

    let mut out = StagedParquet::create(staged, job.schema.clone(), job.props.clone())?;
    let mut offset = 0;
    while offset < sorted.num_rows() {
        let len = job.row_group_rows.min(sorted.num_rows() - offset);
        out.write_row_group(&sorted.slice(offset, len))?;
        offset += len;
    }
    let (staged, _rows) = out.finish()?;

    let new_file = free_name(&job.partition_dir, job.run_id);
    let journal = Journal {
        new_file: relative(&job.layout.root, &new_file),
        staged: relative(&job.layout.root, &staged),
        replaces: files
            .iter()
            .map(|f| relative(&job.layout.root, f))
            .collect(),
    };
    let journal_path = job.layout.journal_dir().join(format!(
        "{}-{}.json",
        job.run_id,
        staged
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
    ));
    let json = serde_json::to_vec_pretty(&journal).expect("journal serializes");
    atomic_write(&journal_path, &json).at(&journal_path)?;

    std::fs::rename(&staged, &new_file).at(&new_file)?;
    crate::failpoint::hit("compaction_published");
    fsync_dir(&job.partition_dir).at(&job.partition_dir)?;
    finish_replacement(&job.layout.root, &journal)?;
    crate::failpoint::hit("compaction_cleaned");
    remove_file_if_exists(&journal_path).at(&journal_path)?;
    fsync_dir(&job.layout.journal_dir()).at(job.layout.journal_dir())?;
    tracing::info!(partition = %job.partition_dir.display(), files = files.len(), rows = sorted.num_rows(),
        "compacted partition");
    Ok(true)
}

/// Deletes the files a published compaction replaced (idempotent, used by `recover`).
pub(crate) fn finish_replacement(root: &Path, journal: &Journal) -> Result<usize, LoadError> {
    let mut deleted = 0;
    let mut dirs = Vec::new();
    for old in &journal.replaces {
        let path = root.join(old);
        if path == root.join(&journal.new_file) {
            continue; // never delete what we just published
        }
        deleted += usize::from(remove_file_if_exists(&path).at(&path)?);
        if let Some(dir) = path.parent() {
            if !dirs.contains(&dir.to_path_buf()) {
                dirs.push(dir.to_path_buf());
            }
        }
    }
    for dir in dirs {
        fsync_dir(&dir).at(&dir)?;
    }
    Ok(deleted)
}

/// Keeps the first row of each key. Files of one partition should never share a key,
/// but compaction is the one place that sees all of them, so it enforces it.
fn dedupe_by_key(job: &CompactJob, batch: &RecordBatch) -> Result<RecordBatch, LoadError> {
    let mut keys = Vec::with_capacity(batch.num_rows());
    let column = batch
        .column_by_name(&job.sort.key_column)
        .ok_or_else(|| LoadError::Schema {
            dataset: job.dataset.to_string(),
            message: format!("key column {} is missing", job.sort.key_column),
        })?;
    if column.null_count() > 0 || append_keys(column.as_ref(), &mut keys).is_none() {
        return Ok(batch.clone()); // cannot dedupe what has no usable key; keep every row
    }
    let mut seen = HashSet::with_capacity(keys.len());
    let keep: Vec<bool> = keys.iter().map(|k| seen.insert(*k)).collect();
    if seen.len() == keys.len() {
        return Ok(batch.clone());
    }
    tracing::warn!(partition = %job.partition_dir.display(), duplicates = keys.len() - seen.len(),
        "compaction dropped duplicate keys");
    arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))
        .map_err(arrow_err(job.dataset))
}

fn free_name(dir: &Path, run_id: &str) -> PathBuf {
    (0u64..)
        .map(|n| dir.join(format!("part-{run_id}-c{n:04}.parquet")))
        .find(|p| !p.exists())
        .expect("an unused file name")
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
