//! Parquet encoding choices for BI readers, and the few ways the load stage reads
//! files back (footers, one key column, whole partitions for compaction).
//!
//! See `/shared/reference/parquet-for-bi.md`: INT64 TIMESTAMP(MICROS, UTC) (arrow-rs
//! writes that for `Timestamp(µs, Some(tz))`, never INT96 unless asked), page-level
//! statistics + page index for pruning, dictionary encoding, bounded row groups.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use arrow_array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
};
use arrow_ord::sort::{lexsort_to_indices, SortColumn};
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter, ProjectionMask};
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::metadata::{KeyValue, ParquetMetaData, ParquetMetaDataReader, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::statistics::Statistics;

use super::error::{arrow_err, IoContext, LoadError};
use crate::config::Compression;

/// Batch size used when reading files back (keys, compaction).
const READ_BATCH_ROWS: usize = 64 * 1024;

/// `plain_columns`: the dataset's (nearly) unique text columns, named by its source
/// kind (`WriterOptions::plain_columns`). A dictionary never pays off for them (arrow-rs
/// falls back to plain after a 1 MB dictionary page, but only after hashing every value
/// into its interner: ~5% of a first run in `perf`), so they are PLAIN from the start.
///
/// PLAIN for the key and for timestamps as well: they are unique per row, and a row
/// group of int64s fits arrow-rs's 1 MB dictionary page, so it never falls back and
/// writes every value twice (dictionary + indices): 30% larger `id` and `created_at`
/// chunks than PLAIN on the bench table, and hashing each value on the way.
fn is_dictionary_useless(
    field: &arrow_schema::Field,
    sort: Option<&SortSpec>,
    plain_columns: &[&str],
) -> bool {
    plain_columns.contains(&field.name().as_str())
        || matches!(field.data_type(), DataType::Timestamp(_, _))
        || sort.is_some_and(|s| &s.key_column == field.name())
}

/// Columns the rows of an event dataset are sorted by: (time, key).
#[derive(Debug, Clone)]
pub struct SortSpec {
    pub time_column: String,
    pub key_column: String,
}

pub(crate) fn writer_properties(
    dataset: &str,
    schema: &SchemaRef,
    compression: Compression,
    row_group_rows: usize,
    run_id: &str,
    sort: Option<&SortSpec>,
    plain_columns: &[&str],
) -> Result<WriterProperties, LoadError> {
    let compression = match compression {
        Compression::Uncompressed => ParquetCompression::UNCOMPRESSED,
        Compression::Snappy => ParquetCompression::SNAPPY,
        Compression::Zstd(level) => {
            ParquetCompression::ZSTD(ZstdLevel::try_new(level).map_err(|e| LoadError::Schema {
                dataset: dataset.to_string(),
                message: format!("zstd level: {e}"),
            })?)
        }
    };
    let mut builder = WriterProperties::builder()
        .set_created_by(format!("usagelake version {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "usagelake.run_id".into(),
            run_id.to_string(),
        )]))
        .set_compression(compression)
        .set_dictionary_enabled(true)
        // Page-level statistics make arrow-rs write the column index (page index).
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_offset_index_disabled(false)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)));
    for field in schema.fields() {
        if is_dictionary_useless(field, sort, plain_columns) {
            builder = builder.set_column_dictionary_enabled(field.name().as_str().into(), false);
        }
    }
    if let Some(sort) = sort {
        builder = builder.set_sorting_columns(sorting_columns(schema, sort));
    }
    Ok(builder.build())
}

/// Declares the (time, key) order in the footer so engines can skip a sort. Leaf
/// indices differ from field indices once nested columns exist, hence the lookup.
fn sorting_columns(schema: &SchemaRef, sort: &SortSpec) -> Option<Vec<SortingColumn>> {
    let descr = ArrowSchemaConverter::new().convert(schema).ok()?;
    let leaf = |name: &str| {
        descr
            .columns()
            .iter()
            .position(|c| c.path().string() == name)
    };
    let column = |idx: usize| SortingColumn {
        column_idx: idx as i32,
        descending: false,
        nulls_first: true,
    };
    Some(vec![
        column(leaf(&sort.time_column)?),
        column(leaf(&sort.key_column)?),
    ])
}

/// Sorts rows by (time, key), nulls first, stable with respect to nothing else.
pub(crate) fn sort_batch(
    dataset: &str,
    batch: &RecordBatch,
    sort: &SortSpec,
) -> Result<RecordBatch, LoadError> {
    let column = |name: &str| -> Result<ArrayRef, LoadError> {
        batch
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| LoadError::Schema {
                dataset: dataset.to_string(),
                message: format!("sort column {name} is missing"),
            })
    };
    let columns = [
        SortColumn {
            values: column(&sort.time_column)?,
            options: None,
        },
        SortColumn {
            values: column(&sort.key_column)?,
            options: None,
        },
    ];
    let indices = lexsort_to_indices(&columns, None).map_err(arrow_err(dataset))?;
    arrow_select::take::take_record_batch(batch, &indices).map_err(arrow_err(dataset))
}

/// Whether the rows of `batches`, in sequence, are already in (time, key) order with
/// NULL times first, as `sort_batch` would order them. Append logs nearly always are:
/// checking is one pass over two columns, sorting is a gather copy of every column.
pub(crate) fn is_sorted_run(batches: &[RecordBatch], sort: &SortSpec) -> bool {
    let mut last = (i64::MIN, i64::MIN);
    batches.iter().all(|batch| {
        visit_sort_keys(batch, sort, |row| {
            let in_order = row >= last;
            last = row;
            in_order
        }) == Some(true)
    })
}

/// The rows of `batches` as one batch in (time, key) order, NULL times first. One
/// gather copy (`interleave`) straight from the buffered batches: concatenating first
/// and then sorting copied every column twice and held both copies at once.
pub(crate) fn sort_batches(
    dataset: &str,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    sort: &SortSpec,
) -> Result<RecordBatch, LoadError> {
    if batches.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let mut order: Vec<((i64, i64), usize, usize)> = Vec::with_capacity(rows);
    for (b, batch) in batches.iter().enumerate() {
        let mut r = 0;
        let visited = visit_sort_keys(batch, sort, |row| {
            order.push((row, b, r));
            r += 1;
            true
        });
        if visited.is_none() {
            // A nullable or non-integer key: the general (two-copy) path.
            let merged = arrow_select::concat::concat_batches(schema, batches)
                .map_err(arrow_err(dataset))?;
            return sort_batch(dataset, &merged, sort);
        }
    }
    // (time, key, batch, row) is a total order, so an unstable sort is deterministic.
    order.sort_unstable();
    let indices: Vec<(usize, usize)> = order.into_iter().map(|(_, b, r)| (b, r)).collect();
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    arrow_select::interleave::interleave_record_batch(&refs, &indices).map_err(arrow_err(dataset))
}

/// Calls `visit` with (time, key) of each row, NULL time as `i64::MIN`, until it returns
/// false. None when the columns are missing or not a µs timestamp and a non-null Int64
/// or Int32 key; else whether every row was visited.
fn visit_sort_keys(
    batch: &RecordBatch,
    sort: &SortSpec,
    visit: impl FnMut((i64, i64)) -> bool,
) -> Option<bool> {
    let time = batch
        .column_by_name(&sort.time_column)?
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()?;
    let key = batch.column_by_name(&sort.key_column)?;
    if key.null_count() > 0 {
        return None;
    }
    let time_at = |i: usize| {
        if time.is_null(i) {
            i64::MIN
        } else {
            time.value(i)
        }
    };
    match key.data_type() {
        DataType::Int64 => {
            let key = key.as_any().downcast_ref::<Int64Array>()?;
            Some(visit_rows(
                batch.num_rows(),
                time_at,
                |i| key.value(i),
                visit,
            ))
        }
        DataType::Int32 => {
            let key = key.as_any().downcast_ref::<Int32Array>()?;
            Some(visit_rows(
                batch.num_rows(),
                time_at,
                |i| i64::from(key.value(i)),
                visit,
            ))
        }
        _ => None,
    }
}

#[inline]
fn visit_rows(
    rows: usize,
    time_at: impl Fn(usize) -> i64,
    key_at: impl Fn(usize) -> i64,
    mut visit: impl FnMut((i64, i64)) -> bool,
) -> bool {
    (0..rows).all(|i| visit((time_at(i), key_at(i))))
}

/// A Parquet file being written in the staging directory (name not ending in
/// `.parquet`, outside the dataset folders, so no reader's glob can pick it up).
pub(crate) struct StagedParquet {
    path: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl StagedParquet {
    pub fn create(
        path: PathBuf,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<Self, LoadError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .at(&path)?;
        let writer = ArrowWriter::try_new(file, schema, Some(props)).at(&path)?;
        Ok(Self {
            path,
            writer,
            rows: 0,
        })
    }

    /// Ends the current row group (what `write_batch` appended since the last one).
    pub fn end_row_group(&mut self) -> Result<(), LoadError> {
        self.writer.flush().at(&self.path)
    }

    /// Appends rows; ArrowWriter cuts a row group every `row_group_rows` rows. For
    /// data that needs no sort (snapshots), and for rows already in order.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), LoadError> {
        self.writer.write(batch).at(&self.path)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Writes the footer and fsyncs. Returns (path, rows).
    pub fn finish(self) -> Result<(PathBuf, u64), LoadError> {
        let Self { path, writer, rows } = self;
        let file = writer.into_inner().at(&path)?;
        file.sync_all().at(&path)?;
        crate::failpoint::hit("stage_written");
        Ok((path, rows))
    }
}

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

/// Reads JUST the key column of a file (projection) and appends its values to `out`.
pub(crate) fn read_keys(
    path: &Path,
    key_column: &str,
    out: &mut Vec<i64>,
) -> Result<(), LoadError> {
    let file = File::open(path).at(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), [key_column]);
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
        let column = batch.column(0);
        append_keys(column.as_ref(), out).ok_or_else(|| LoadError::Schema {
            dataset: path.display().to_string(),
            message: format!(
                "key column {key_column} is {}, expected Int64 or Int32",
                column.data_type()
            ),
        })?;
    }
    Ok(())
}

/// Appends the keys of a file's rows whose `null_column` is NULL (rows not final yet),
/// reading just those two columns.
pub(crate) fn read_keys_where_null(
    path: &Path,
    key_column: &str,
    null_column: &str,
    out: &mut Vec<i64>,
) -> Result<(), LoadError> {
    let file = File::open(path).at(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), [key_column, null_column]);
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
        let missing = |name: &str| LoadError::Schema {
            dataset: path.display().to_string(),
            message: format!("column {name} is missing"),
        };
        let keys = batch
            .column_by_name(key_column)
            .ok_or_else(|| missing(key_column))?;
        let marker = batch
            .column_by_name(null_column)
            .ok_or_else(|| missing(null_column))?;
        if marker.null_count() == 0 {
            continue;
        }
        let open =
            arrow_select::filter::filter(keys, &null_mask(marker.as_ref())).map_err(|e| {
                LoadError::Parquet {
                    path: path.to_path_buf(),
                    source: e.into(),
                }
            })?;
        append_keys(open.as_ref(), out).ok_or_else(|| LoadError::Schema {
            dataset: path.display().to_string(),
            message: format!("key column {key_column} must be Int64 or Int32"),
        })?;
    }
    Ok(())
}

/// Reads just the text key column of a file into `out` (Utf8 keys, see `merge`).
pub(crate) fn read_text_keys(
    path: &Path,
    key_column: &str,
    out: &mut std::collections::HashSet<Box<str>>,
) -> Result<(), LoadError> {
    let file = File::open(path).at(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), [key_column]);
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
        let column = batch.column(0);
        let keys = column
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .ok_or_else(|| LoadError::Schema {
                dataset: path.display().to_string(),
                message: format!(
                    "key column {key_column} is {}, expected Utf8",
                    column.data_type()
                ),
            })?;
        out.extend(keys.iter().flatten().map(Box::from));
    }
    Ok(())
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
