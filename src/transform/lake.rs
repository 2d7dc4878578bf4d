//! Reading lake partitions back for derived datasets. Writing them goes through
//! `load::PartitionPublisher` (load is the only lake writer).

use std::fs::File;
use std::path::PathBuf;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::TransformError;

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
