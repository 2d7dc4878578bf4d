//! Replacing a derived dataset's partition atomically.
//!
//! Derived datasets (functions of raw partitions and snapshots, e.g. an enriched request
//! log) are rebuilt whole, never merged: each partition is exactly one file,
//! `part-0.parquet`, written to the run's staging directory, fsynced and renamed over the
//! old one. A reader sees the old or the new partition, never a mix, and a crash leaves
//! the old one in place (the staged file is removed by `recover`).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;

use super::parquet_io::{writer_properties, SortSpec};
use super::recover::ensure_staging_dir;
use super::{fsutil, parquet_files, Compression, LakeLayout, LoadError};

/// Writes derived partitions of one dataset.
pub struct PartitionPublisher<'a> {
    pub layout: &'a LakeLayout,
    pub source: &'a str,
    pub dataset: &'a str,
    pub run_id: &'a str,
    pub compression: Compression,
    pub row_group_rows: usize,
    /// Rows are declared sorted by these in the footer (the caller sorts them).
    pub sort: Option<SortSpec>,
    /// Text columns unique per row, written PLAIN (see `WriterOptions::plain_columns`).
    pub plain_columns: &'a [&'a str],
}

impl PartitionPublisher<'_> {
    /// Replaces `<dataset>/<partition>/` with exactly `batches`. An empty input removes the
    /// partition's files, so a derived partition never outlives its source rows.
    pub fn replace(
        &self,
        partition: &str,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64, LoadError> {
        let mut staged = self.begin(partition, schema)?;
        for batch in batches {
            staged.write(batch)?;
        }
        staged.commit()
    }

    /// Creates the run's staging directory: call it once before replacing partitions from
    /// several threads (each `begin` would otherwise race to create it).
    pub fn prepare(&self) -> Result<(), LoadError> {
        ensure_staging_dir(self.layout, self.run_id).map(|_| ())
    }

    /// Removes the partition's files (its source partition has no rows).
    pub fn clear(&self, partition: &str) -> Result<(), LoadError> {
        let dir = self
            .layout
            .dataset_dir(self.source, self.dataset)
            .join(partition);
        remove_other_files(&dir, None).map_err(|e| LoadError::Replace {
            partition: format!("{}/{} partition {partition}", self.source, self.dataset),
            message: e.to_string(),
        })
    }

    /// Starts a replacement written batch by batch (memory: one batch, not the partition).
    pub fn begin(&self, partition: &str, schema: &SchemaRef) -> Result<StagedPartition, LoadError> {
        let label = format!("{}/{}", self.source, self.dataset);
        let write_err = |message: String| LoadError::Replace {
            partition: format!("{label} partition {partition}"),
            message,
        };
        let staging =
            ensure_staging_dir(self.layout, self.run_id).map_err(|e| write_err(e.to_string()))?;
        let staged = staging.join(format!(
            "{}.{}.{partition}.staged",
            self.source, self.dataset
        ));
        let props = writer_properties(
            &label,
            schema,
            self.compression,
            self.row_group_rows,
            self.run_id,
            self.sort.as_ref(),
            self.plain_columns,
        )
        .map_err(|e| write_err(e.to_string()))?;
        let file =
            File::create(&staged).map_err(|e| write_err(format!("{}: {e}", staged.display())))?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| write_err(e.to_string()))?;
        Ok(StagedPartition {
            dir: self
                .layout
                .dataset_dir(self.source, self.dataset)
                .join(partition),
            label,
            partition: partition.to_string(),
            staged,
            writer,
            rows: 0,
        })
    }
}

/// A partition file being written in the staging directory; published by `commit`.
pub struct StagedPartition {
    /// The partition folder.
    dir: PathBuf,
    /// `source/dataset`, for messages.
    label: String,
    partition: String,
    staged: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl StagedPartition {
    fn err(&self, message: String) -> LoadError {
        LoadError::Replace {
            partition: format!(
                "{} partition {}",
                self.label.clone(),
                self.partition.clone()
            ),
            message,
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), LoadError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.writer
            .write(batch)
            .map_err(|e| self.err(e.to_string()))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// fsyncs the file and renames it over `part-0.parquet`; with no rows, removes the
    /// partition's files instead. Returns the rows published.
    pub fn commit(self) -> Result<u64, LoadError> {
        let (dir, rows, staged) = (self.dir.clone(), self.rows, self.staged.clone());
        let (label, partition) = (self.label.clone(), self.partition.clone());
        let err = |message: String| LoadError::Replace {
            partition: format!("{label} partition {partition}"),
            message,
        };
        let file = self.writer.into_inner().map_err(|e| err(e.to_string()))?;
        if rows == 0 {
            drop(file);
            fsutil::remove_file_if_exists(&staged).map_err(|e| err(e.to_string()))?;
            remove_other_files(&dir, None).map_err(|e| err(e.to_string()))?;
            return Ok(0);
        }
        file.sync_all().map_err(|e| err(e.to_string()))?;
        drop(file);
        fsutil::create_dir_all_durable(&dir).map_err(|e| err(e.to_string()))?;
        let target = dir.join("part-0.parquet");
        std::fs::rename(&staged, &target).map_err(|e| err(format!("rename: {e}")))?;
        fsutil::fsync_dir(&dir).map_err(|e| err(e.to_string()))?;
        remove_other_files(&dir, Some(&target)).map_err(|e| err(e.to_string()))?;
        Ok(rows)
    }
}

/// Removes the partition's data files other than `keep` (left by an older layout).
fn remove_other_files(dir: &Path, keep: Option<&Path>) -> std::io::Result<()> {
    let files = match parquet_files(dir) {
        Ok(files) => files,
        Err(e) => return Err(std::io::Error::other(e.to_string())),
    };
    let mut removed = false;
    for file in files {
        if Some(file.as_path()) != keep {
            fsutil::remove_file_if_exists(&file)?;
            removed = true;
        }
    }
    if removed {
        fsutil::fsync_dir(dir)?;
    }
    Ok(())
}
