//! Reading lake partitions back, and replacing a derived dataset's partition atomically.
//!
//! Derived datasets (`requests_enriched`, `logins`, `usage_daily`, `extracts_workbooks`) are
//! functions of raw partitions and snapshots, so they are rebuilt whole, never merged: each
//! partition is exactly one file, `part-0.parquet`, written to the run's staging directory,
//! fsynced and renamed over the old one. A reader sees the old or the new partition, never a
//! mix, and a crash leaves the old one in place (the staged file is removed by `recover`).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use super::TransformError;
use crate::load::{self, fsutil, Compression, LakeLayout, SortSpec};

const READ_BATCH_ROWS: usize = 64 * 1024;

/// Every row of `files`, in file order.
pub fn read_files(files: &[PathBuf]) -> Result<Vec<RecordBatch>, TransformError> {
    let mut batches = Vec::new();
    for path in files {
        let read_err = |e: &dyn std::fmt::Display| TransformError::Read {
            path: path.clone(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|e| read_err(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| read_err(&e))?
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| read_err(&e))?;
        for batch in reader {
            batches.push(batch.map_err(|e| read_err(&e))?);
        }
    }
    Ok(batches)
}

/// The named columns of every row of `files`, in that column order (a file lacking one
/// is an error naming it).
pub fn read_files_columns(
    files: &[PathBuf],
    names: &[&str],
) -> Result<Vec<RecordBatch>, TransformError> {
    let mut batches = Vec::new();
    for path in files {
        let read_err = |e: &dyn std::fmt::Display| TransformError::Read {
            path: path.clone(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|e| read_err(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| read_err(&e))?;
        let schema = builder.schema().clone();
        let indices = names
            .iter()
            .map(|n| schema.index_of(n).map_err(|e| read_err(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), indices.clone());
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| read_err(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| read_err(&e))?;
            // The projection keeps file order; put the columns in the asked order.
            let order = names
                .iter()
                .map(|n| batch.schema().index_of(n).map_err(|e| read_err(&e)))
                .collect::<Result<Vec<_>, _>>()?;
            batches.push(batch.project(&order).map_err(|e| read_err(&e))?);
        }
    }
    Ok(batches)
}

/// All rows of `files` as one batch (`None` when there are no files).
pub fn read_concat(files: &[PathBuf]) -> Result<Option<RecordBatch>, TransformError> {
    let batches = read_files(files)?;
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let schema = first.schema();
    arrow_select::concat::concat_batches(&schema, &batches)
        .map(Some)
        .map_err(|e| TransformError::Read {
            path: files[0].clone(),
            message: e.to_string(),
        })
}

/// `event_date=2026-11-01` → the date; `None` for other folder names.
pub fn partition_date(name: &str, key: &str) -> Option<NaiveDate> {
    let value = name.strip_prefix(key)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

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
}

impl PartitionPublisher<'_> {
    /// Replaces `<dataset>/<partition>/` with exactly `batches`. An empty input removes the
    /// partition's files, so a derived partition never outlives its source rows.
    pub fn replace(
        &self,
        partition: &str,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64, TransformError> {
        let mut staged = self.begin(partition, schema)?;
        for batch in batches {
            staged.write(batch)?;
        }
        staged.commit()
    }

    /// Removes the partition's files (its source partition has no rows).
    pub fn clear(&self, partition: &str) -> Result<(), TransformError> {
        let dir = self
            .layout
            .dataset_dir(self.source, self.dataset)
            .join(partition);
        remove_other_files(&dir, None).map_err(|e| TransformError::Write {
            dataset: format!("{}/{}", self.source, self.dataset),
            partition: partition.to_string(),
            message: e.to_string(),
        })
    }

    /// Starts a replacement written batch by batch (memory: one batch, not the partition).
    pub fn begin(
        &self,
        partition: &str,
        schema: &SchemaRef,
    ) -> Result<StagedPartition, TransformError> {
        let label = format!("{}/{}", self.source, self.dataset);
        let write_err = |message: String| TransformError::Write {
            dataset: label.clone(),
            partition: partition.to_string(),
            message,
        };
        let staging = load::ensure_staging_dir(self.layout, self.run_id)
            .map_err(|e| write_err(e.to_string()))?;
        let staged = staging.join(format!(
            "{}.{}.{partition}.staged",
            self.source, self.dataset
        ));
        let props = load::writer_properties(
            &label,
            schema,
            self.compression,
            self.row_group_rows,
            self.run_id,
            self.sort.as_ref(),
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
    fn err(&self, message: String) -> TransformError {
        TransformError::Write {
            dataset: self.label.clone(),
            partition: self.partition.clone(),
            message,
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), TransformError> {
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
    pub fn commit(self) -> Result<u64, TransformError> {
        let (dir, rows, staged) = (self.dir.clone(), self.rows, self.staged.clone());
        let (label, partition) = (self.label.clone(), self.partition.clone());
        let err = |message: String| TransformError::Write {
            dataset: label.clone(),
            partition: partition.clone(),
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
    let files = match load::parquet_files(dir) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_dates_come_from_folder_names() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            partition_date("event_date=2026-11-01", "event_date"),
            Some(d)
        );
        assert_eq!(
            partition_date("snapshot_date=2026-11-01", "event_date"),
            None
        );
        assert_eq!(partition_date("event_date=1970-13-01", "event_date"), None);
    }
}
