//! Publishing an event partition: one file per partition, replaced whole by a rename.
//!
//! Readers list a partition's `*.parquet` files and read them (DuckDB, pyarrow, Spark).
//! The only state of a folder that shows every row exactly once at *any* instant, with
//! no reader-side protocol, is one where every change is a single `rename(2)`: so an
//! event partition holds one file, `part-0.parquet` (one per key generation, see
//! `generation`: `part-g1.parquet`, … after the source's ids restarted), and a run that adds rows to it
//! writes a new file (the old file's rows merged with the new ones, sorted, deduplicated
//! by key) in staging and renames it over the old one. A reader that opened the old file
//! keeps reading it (POSIX keeps the inode); one that lists after the rename reads the
//! new one; a crash leaves the old or the new file, never both, never neither. This is
//! how the derived datasets were already written (see `transform::lake`).
//!
//! Cost: a run rewrites each partition it touches (for a nightly run, the last day or
//! two). The merge streams (`sorted_merge`), so memory stays at a few thousand rows per
//! row group plus 8 bytes per key, whatever the size of the day.
//!
//! Lakes written before this design hold several `part-<run>-<seq>.parquet` files per
//! partition. The first rewrite of such a partition merges them all into `part-0.parquet`
//! and then deletes them; that one step cannot be a single rename, so it is journaled:
//! 1. write + fsync the merged file in staging;
//! 2. atomic_write `_usagelake/journal/<id>.json` {new_file, staged, replaces};
//! 3. rename the merged file into place, fsync the dir;
//! 4. delete the replaced files, fsync; 5. delete the journal.
//!
//! `recover` finishes step 4 if the staged file is gone (it was renamed into place), or
//! else deletes the staged file. Only during that one-time migration can a reader see a
//! row twice, for the few milliseconds between steps 3 and 4.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow_schema::SchemaRef;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::error::{IoContext, LoadError};
use super::fsutil::{atomic_write, fsync_dir, remove_file_if_exists};
use super::generation::{files_of_generation, partition_file_name};
use super::parquet_io::{file_layout, read_keys, SortSpec, StagedParquet};
use super::sorted_merge::{merge_files, MergeInput};
use super::{parquet_files, LakeLayout};

/// The data file of a snapshot partition, and of an event partition's key generation 0.
pub(crate) const PARTITION_FILE: &str = "part-0.parquet";

/// What a legacy migration is about to do, paths relative to the lake root so a journal
/// stays valid when the share is mounted elsewhere.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Journal {
    pub new_file: PathBuf,
    pub staged: PathBuf,
    pub replaces: Vec<PathBuf>,
}

pub(crate) struct RewriteJob<'a> {
    pub layout: &'a LakeLayout,
    pub dataset: &'a str,
    pub partition_dir: PathBuf,
    pub schema: &'a SchemaRef,
    pub props: &'a WriterProperties,
    pub sort: &'a SortSpec,
    pub row_group_rows: usize,
    pub run_id: &'a str,
    /// The partition file written (see `generation`).
    pub key_generation: u32,
    /// New rows may replace published rows with the same key (rows that still change;
    /// the writer let through only keys whose published version is not final).
    pub replace_existing: bool,
}

/// What publishing one partition did.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// The partition's old file(s) were merged with the new rows (not a plain rename).
    pub rewritten: bool,
    /// Published rows replaced by a newer version.
    pub replaced: u64,
}

/// Makes `staged` (this writer's closed files for the partition, each sorted by row
/// group) part of the partition, which then holds exactly one file. `out` is a free
/// staging path for the merged file. The staged inputs are deleted afterwards.
pub(crate) fn publish_partition(
    job: &RewriteJob,
    staged: &[PathBuf],
    out: PathBuf,
) -> Result<Published, LoadError> {
    let target = job
        .partition_dir
        .join(partition_file_name(job.key_generation));
    let existing = files_of_generation(parquet_files(&job.partition_dir)?, job.key_generation);
    if existing.is_empty() && staged.len() == 1 {
        // A new partition written in one piece: nothing to merge.
        rename_into_place(&staged[0], &target, &job.partition_dir)?;
        return Ok(Published::default());
    }
    let mut inputs = Vec::with_capacity(staged.len() + existing.len());
    for (path, is_old) in staged
        .iter()
        .map(|p| (p, false))
        .chain(existing.iter().map(|p| (p, true)))
    {
        let (schema, row_groups) = file_layout(path)?;
        if schema.fields() != job.schema.fields() {
            return Err(LoadError::Schema {
                dataset: job.dataset.to_string(),
                message: format!(
                    "{} was written with a different schema; move the partition folder \
                     aside and rerun with --from/--to for that day to rewrite it",
                    path.display()
                ),
            });
        }
        inputs.push(MergeInput {
            path: path.clone(),
            row_groups,
            is_old,
        });
    }
    let is_text_key = job
        .schema
        .field_with_name(&job.sort.key_column)
        .is_ok_and(|f| f.data_type() == &arrow_schema::DataType::Utf8);
    let mut merged_file = StagedParquet::create(out, job.schema.clone(), job.props.clone())?;
    let merged = if is_text_key {
        // Replacing a changing row is for integer-keyed job tables only (see `writer`).
        merge_files::<Box<str>>(
            job.dataset,
            &inputs,
            &HashSet::new(),
            job.sort,
            job.row_group_rows,
            &mut merged_file,
        )?
    } else {
        let mut replaced = HashSet::new();
        if job.replace_existing && !existing.is_empty() {
            let mut keys = Vec::new();
            for path in staged {
                read_keys(path, &job.sort.key_column, &mut keys)?;
            }
            replaced.extend(keys);
        }
        merge_files::<i64>(
            job.dataset,
            &inputs,
            &replaced,
            job.sort,
            job.row_group_rows,
            &mut merged_file,
        )?
    };
    if merged.duplicates > 0 {
        tracing::warn!(partition = %job.partition_dir.display(), duplicates = merged.duplicates,
            "rewrite dropped duplicate keys");
    }
    tracing::debug!(partition = %job.partition_dir.display(), rows = merged.rows,
        replaced = merged.replaced, "partition rewritten");
    let (merged_path, _rows) = merged_file.finish()?;
    crate::failpoint::hit("partition_merged");

    let legacy: Vec<&PathBuf> = existing.iter().filter(|f| **f != target).collect();
    if legacy.is_empty() {
        rename_into_place(&merged_path, &target, &job.partition_dir)?;
    } else {
        migrate_legacy(job, &merged_path, &target, &legacy)?;
    }
    for path in staged {
        remove_file_if_exists(path).at(path)?;
    }
    Ok(Published {
        rewritten: true,
        replaced: merged.replaced,
    })
}

fn rename_into_place(staged: &Path, target: &Path, dir: &Path) -> Result<(), LoadError> {
    std::fs::rename(staged, target).at(target)?;
    crate::failpoint::hit("published");
    fsync_dir(dir).at(dir)
}

/// Replaces a pre-`part-0` partition's several files by the merged one (journaled).
fn migrate_legacy(
    job: &RewriteJob,
    merged: &Path,
    target: &Path,
    legacy: &[&PathBuf],
) -> Result<(), LoadError> {
    let root = &job.layout.root;
    let journal = Journal {
        new_file: relative(root, target),
        staged: relative(root, merged),
        replaces: legacy.iter().map(|f| relative(root, f)).collect(),
    };
    let journal_path = job.layout.journal_dir().join(format!(
        "{}-{}.json",
        job.run_id,
        merged
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
    ));
    let json = serde_json::to_vec_pretty(&journal).expect("journal serializes");
    atomic_write(&journal_path, &json).at(&journal_path)?;
    rename_into_place(merged, target, &job.partition_dir)?;
    finish_replacement(root, &journal)?;
    crate::failpoint::hit("legacy_files_removed");
    remove_file_if_exists(&journal_path).at(&journal_path)?;
    fsync_dir(&job.layout.journal_dir()).at(job.layout.journal_dir())?;
    tracing::info!(partition = %job.partition_dir.display(), files = legacy.len(),
        "merged a partition's files into one");
    Ok(())
}

/// Deletes the files a published merge replaced (idempotent, used by `recover`).
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

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
