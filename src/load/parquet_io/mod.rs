//! Parquet encoding choices for BI readers and the staged file they are written with;
//! `sort` orders rows by (time, key), `read` is how the load stage reads files back
//! (footers, one key column, row groups for compaction).
//!
//! See `/shared/reference/parquet-for-bi.md`: INT64 TIMESTAMP(MICROS, UTC) (arrow-rs
//! writes that for `Timestamp(µs, Some(tz))`, never INT96 unless asked), page-level
//! statistics + page index for pruning, dictionary encoding, bounded row groups.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::error::{IoContext, LoadError};
use crate::config::Compression;

pub(crate) mod read;
mod sort;

pub(crate) use read::{
    append_keys, file_layout, key_range, read_footer, read_keys, read_keys_where_null,
    read_row_group, read_text_keys,
};
#[cfg(test)]
pub(crate) use sort::sort_batch;
pub(crate) use sort::{is_sorted_run, sort_batches};

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
