//! The few ways the load stage reads files back: footers, key ranges, one projected key
//! column (merge by key), row groups (compaction); and the dictionary hint every reader of
//! lake text uses.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, FieldRef, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::statistics::Statistics;

use crate::load::error::{IoContext, LoadError};

/// Batch size used when reading files back (keys, compaction).
const READ_BATCH_ROWS: usize = 64 * 1024;

/// Reads only the footer (a few KB at the end of the file).
pub(crate) fn read_footer(path: &Path) -> Result<ParquetMetaData, LoadError> {
    let file = File::open(path).at(path)?;
    ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .at(path)
}

/// Min/max of an integer key column over all row groups, from the footer statistics.
/// `None` when any row group lacks statistics: the caller must then read the keys.
pub(crate) fn key_range(meta: &ParquetMetaData, key_column: &str) -> Option<(i64, i64)> {
    let leaf = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == key_column)?;
    let mut range: Option<(i64, i64)> = None;
    for rg in meta.row_groups() {
        if rg.num_rows() == 0 {
            continue;
        }
        let (lo, hi) = match rg.column(leaf).statistics()? {
            Statistics::Int64(s) => (*s.min_opt()?, *s.max_opt()?),
            Statistics::Int32(s) => (i64::from(*s.min_opt()?), i64::from(*s.max_opt()?)),
            _ => return None,
        };
        range = Some(match range {
            None => (lo, hi),
            Some((a, b)) => (a.min(lo), b.max(hi)),
        });
    }
    Some(range.unwrap_or((i64::MAX, i64::MIN))) // empty file: an empty range overlaps nothing
}

/// Reads just `columns` of a file (projection) and hands each batch to `visit`.
fn for_each_projected_batch(
    path: &Path,
    columns: &[&str],
    mut visit: impl FnMut(&RecordBatch) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let file = File::open(path).at(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .at(path)?;
    for batch in reader {
        let batch = batch.map_err(|e| LoadError::Parquet {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        visit(&batch)?;
    }
    Ok(())
}

fn schema_error(path: &Path, message: String) -> LoadError {
    LoadError::Schema {
        dataset: path.display().to_string(),
        message,
    }
}

/// Reads JUST the key column of a file (projection) and appends its values to `out`.
pub(crate) fn read_keys(
    path: &Path,
    key_column: &str,
    out: &mut Vec<i64>,
) -> Result<(), LoadError> {
    for_each_projected_batch(path, &[key_column], |batch| {
        let column = batch.column(0);
        append_keys(column.as_ref(), out).ok_or_else(|| {
            let found = column.data_type();
            schema_error(
                path,
                format!("key column {key_column} is {found}, expected Int64 or Int32"),
            )
        })
    })
}

/// Appends the keys of a file's rows whose `null_column` is NULL (rows not final yet),
/// reading just those two columns.
pub(crate) fn read_keys_where_null(
    path: &Path,
    key_column: &str,
    null_column: &str,
    out: &mut Vec<i64>,
) -> Result<(), LoadError> {
    for_each_projected_batch(path, &[key_column, null_column], |batch| {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| schema_error(path, format!("column {name} is missing")))
        };
        let (keys, marker) = (column(key_column)?, column(null_column)?);
        if marker.null_count() == 0 {
            return Ok(());
        }
        let open =
            arrow_select::filter::filter(keys, &null_mask(marker.as_ref())).map_err(|e| {
                LoadError::Parquet {
                    path: path.to_path_buf(),
                    source: e.into(),
                }
            })?;
        append_keys(open.as_ref(), out).ok_or_else(|| {
            schema_error(
                path,
                format!("key column {key_column} must be Int64 or Int32"),
            )
        })
    })
}

/// Reads just the text key column of a file into `out` (Utf8 keys, see `merge`).
pub(crate) fn read_text_keys(
    path: &Path,
    key_column: &str,
    out: &mut HashSet<Box<str>>,
) -> Result<(), LoadError> {
    for_each_projected_batch(path, &[key_column], |batch| {
        let column = batch.column(0);
        let keys = column
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| {
                let found = column.data_type();
                schema_error(
                    path,
                    format!("key column {key_column} is {found}, expected Utf8"),
                )
            })?;
        out.extend(keys.iter().flatten().map(Box::from));
        Ok(())
    })
}

/// A mask of the NULL slots of `array`.
fn null_mask(array: &dyn Array) -> arrow_array::BooleanArray {
    (0..array.len()).map(|i| Some(array.is_null(i))).collect()
}

/// Appends the non-null values of an Int64/Int32 array. `None` for other types.
pub(crate) fn append_keys(column: &dyn Array, out: &mut Vec<i64>) -> Option<()> {
    match column.data_type() {
        DataType::Int64 => {
            out.extend(
                column
                    .as_any()
                    .downcast_ref::<Int64Array>()?
                    .iter()
                    .flatten(),
            );
        }
        DataType::Int32 => {
            let a = column.as_any().downcast_ref::<Int32Array>()?;
            out.extend(a.iter().flatten().map(i64::from));
        }
        _ => return None,
    }
    Some(())
}

/// Reads one row group of a file in batches of `batch_rows` (streaming compaction).
pub(crate) fn read_row_group(
    path: &Path,
    row_group: usize,
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader, LoadError> {
    let file = File::open(path).at(path)?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .at(path)?
        .with_row_groups(vec![row_group])
        .with_batch_size(batch_rows)
        .build()
        .at(path)
}

/// Arrow schema and row-group count of a file, from its footer.
pub(crate) fn file_layout(path: &Path) -> Result<(SchemaRef, usize), LoadError> {
    let file = File::open(path).at(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
    Ok((
        builder.schema().clone(),
        builder.metadata().num_row_groups(),
    ))
}

/// `metadata` with the `Utf8` columns named in `wanted` read as `Dictionary(Int32, Utf8)`
/// where every row group of the file stores them with a dictionary page (how the lake's
/// writers store repetitive text): the reader then hands over each distinct value once and
/// an integer key per row instead of copying every row's string. Columns stored plain stay
/// text (turning them into dictionaries would cost a hash per row); the metadata comes back
/// unchanged when nothing qualifies or the reader refuses the hint. Callers accept both
/// shapes.
pub fn dictionary_hint(metadata: ArrowReaderMetadata, wanted: &[&str]) -> ArrowReaderMetadata {
    let parquet = metadata.metadata();
    let leaves = parquet.file_metadata().schema_descr();
    let encoded = |name: &str| {
        let Some(leaf) =
            (0..leaves.num_columns()).find(|&i| leaves.column(i).path().string() == name)
        else {
            return false;
        };
        parquet
            .row_groups()
            .iter()
            .all(|rg| rg.column(leaf).dictionary_page_offset().is_some())
    };
    let schema = metadata.schema();
    let hinted = |f: &FieldRef| {
        wanted.contains(&f.name().as_str()) && f.data_type() == &DataType::Utf8 && encoded(f.name())
    };
    if !schema.fields().iter().any(hinted) {
        return metadata;
    }
    let fields: Vec<FieldRef> = schema
        .fields()
        .iter()
        .map(|f| {
            if hinted(f) {
                let dictionary =
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                Arc::new(f.as_ref().clone().with_data_type(dictionary))
            } else {
                f.clone()
            }
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options = ArrowReaderOptions::new().with_schema(schema);
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).unwrap_or(metadata)
}
