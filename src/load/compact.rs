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
//! Memory: a streaming k-way merge of the files' sorted row groups (`sorted_merge`), a
//! few thousand rows per row group at a time plus 8 bytes per key for the dedupe, so a
//! big day compacts in about the memory of a small one.

use std::path::{Path, PathBuf};

use arrow_schema::SchemaRef;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::error::{IoContext, LoadError};
use super::fsutil::{atomic_write, fsync_dir, remove_file_if_exists};
use super::parquet_io::{file_layout, SortSpec, StagedParquet};
use super::sorted_merge::merge_files;
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
    let mut layouts = Vec::with_capacity(files.len());
    for file in &files {
        let (schema, row_groups) = file_layout(file)?;
        if schema.fields() != job.schema.fields() {
            // Older files from before a schema change: merging would need a cast policy.
            tracing::warn!(partition = %job.partition_dir.display(), file = %file.display(),
                "not compacting: files with a different schema");
            return Ok(false);
        }
        layouts.push((file.clone(), row_groups));
    }
    let mut out = StagedParquet::create(staged, job.schema.clone(), job.props.clone())?;
    let is_text_key = job
        .schema
        .field_with_name(&job.sort.key_column)
        .is_ok_and(|f| f.data_type() == &arrow_schema::DataType::Utf8);
    let merged = if is_text_key {
        merge_files::<Box<str>>(
            job.dataset,
            &layouts,
            job.sort,
            job.row_group_rows,
            &mut out,
        )?
    } else {
        merge_files::<i64>(
            job.dataset,
            &layouts,
            job.sort,
            job.row_group_rows,
            &mut out,
        )?
    };
    if merged.duplicates > 0 {
        tracing::warn!(partition = %job.partition_dir.display(), duplicates = merged.duplicates,
            "compaction dropped duplicate keys");
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
    tracing::info!(partition = %job.partition_dir.display(), files = files.len(), rows = merged.rows,
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
