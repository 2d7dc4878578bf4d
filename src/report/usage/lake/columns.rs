//! Reading Parquet files with only the columns a report needs (a Parquet projection),
//! string columns as dictionaries ([`StrDict`]), and typed accessors over the batches.

use std::fs::File;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rustc_hash::FxHashMap;

use crate::report::usage::ReportError;

const READ_BATCH_ROWS: usize = 64 * 1024;
/// The rows of `files` with only `columns` decoded. Columns a file lacks (an optional
/// column an older server did not have) are simply absent from its batches: the
/// accessors below return `None` for them and callers treat that as NULL.
pub fn read_columns(files: &[PathBuf], columns: &[&str]) -> Result<Vec<RecordBatch>, ReportError> {
    read_columns_with_dictionaries(files, columns, &[])
}

/// [`read_columns`], with the string columns named in `dictionaries` read as
/// `Dictionary(Int32, Utf8)`: the lake's writers dictionary-encode strings, so the Parquet
/// reader hands over each page's dictionary once and a key per row instead of copying the
/// string of every row (pages that fell back to plain encoding are interned by the
/// reader). Read them with [`dict_col`], which also accepts a plain string column (a file
/// the hint does not fit is read as it is).
pub fn read_columns_with_dictionaries(
    files: &[PathBuf],
    columns: &[&str],
    dictionaries: &[&str],
) -> Result<Vec<RecordBatch>, ReportError> {
    let mut batches = Vec::new();
    for path in files {
        let err = ReportError::read(path);
        let file = File::open(path).map_err(|e| err(e.to_string()))?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| err(e.to_string()))?;
        let metadata = crate::load::dictionary_hint(metadata, dictionaries);
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata);
        let roots: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| columns.contains(&f.name().as_str()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| err(e.to_string()))?;
        for batch in reader {
            batches.push(batch.map_err(|e| err(e.to_string()))?);
        }
    }
    Ok(batches)
}

/// A string column as dictionary keys: per row an index into the column's distinct
/// values, so a caller resolves each value once per batch and then works on integers.
pub struct StrDict {
    keys: Int32Array,
    values: StringArray,
}

impl StrDict {
    /// The row's index into [`StrDict::values`]; `None` for NULL.
    pub fn key(&self, row: usize) -> Option<usize> {
        self.keys
            .is_valid(row)
            .then(|| self.keys.value(row) as usize)
    }

    /// The value of `key` (a dictionary may hold a NULL value: `None`).
    pub fn value(&self, key: usize) -> Option<&str> {
        self.values.is_valid(key).then(|| self.values.value(key))
    }

    /// The row's value; `None` for NULL.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.key(row).and_then(|k| self.value(k))
    }

    /// Every value by key (some may be unused by the batch's rows).
    pub fn values(&self) -> impl Iterator<Item = Option<&str>> {
        self.values.iter()
    }
}

/// A string column of a batch read by [`read_columns_with_dictionaries`] as a [`StrDict`]:
/// its dictionary as is, or, when the file's column was read as plain strings, the
/// distinct values interned here. `None` when the column is absent or not a string.
pub fn dict_col(batch: &RecordBatch, name: &str) -> Option<StrDict> {
    let column = batch.column_by_name(name)?;
    if let Some(dict) = column.as_dictionary_opt::<Int32Type>() {
        let values = dict.values().as_string_opt::<i32>()?.clone();
        return Some(StrDict {
            keys: dict.keys().clone(),
            values,
        });
    }
    let strings = column.as_string_opt::<i32>()?;
    let mut index: FxHashMap<&str, i32> = FxHashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let keys: Int32Array = strings
        .iter()
        .map(|value| {
            value.map(|v| {
                *index.entry(v).or_insert_with(|| {
                    distinct.push(v);
                    distinct.len() as i32 - 1
                })
            })
        })
        .collect();
    Some(StrDict {
        keys,
        values: StringArray::from(distinct),
    })
}
/// Typed column accessors: `None` when the column is absent or has another type.
pub fn i32_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a Int32Array> {
    batch
        .column_by_name(name)
        .filter(|a| a.data_type() == &DataType::Int32)
        .map(|a| a.as_primitive::<Int32Type>())
}

pub fn i64_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a Int64Array> {
    batch
        .column_by_name(name)
        .filter(|a| a.data_type() == &DataType::Int64)
        .map(|a| a.as_primitive::<Int64Type>())
}

pub fn ts_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a TimestampMicrosecondArray> {
    batch
        .column_by_name(name)
        .and_then(|a| a.as_primitive_opt::<TimestampMicrosecondType>())
}

pub fn str_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|a| a.as_string_opt::<i32>())
}

pub fn bool_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a BooleanArray> {
    batch.column_by_name(name).and_then(|a| a.as_boolean_opt())
}

/// The value at `row`, NULL (or an absent column) as `None`.
pub fn get<A: ArrayValue>(array: Option<&A>, row: usize) -> Option<A::Value<'_>> {
    let array = array?;
    array.is_valid(row).then(|| array.value_at(row))
}

pub trait ArrayValue: Array {
    type Value<'a>
    where
        Self: 'a;
    fn value_at(&self, row: usize) -> Self::Value<'_>;
}

impl ArrayValue for Int32Array {
    type Value<'a> = i32;
    fn value_at(&self, row: usize) -> i32 {
        self.value(row)
    }
}

impl ArrayValue for Int64Array {
    type Value<'a> = i64;
    fn value_at(&self, row: usize) -> i64 {
        self.value(row)
    }
}

impl ArrayValue for TimestampMicrosecondArray {
    type Value<'a> = i64;
    fn value_at(&self, row: usize) -> i64 {
        self.value(row)
    }
}

impl ArrayValue for StringArray {
    type Value<'a> = &'a str;
    fn value_at(&self, row: usize) -> &str {
        self.value(row)
    }
}

impl ArrayValue for BooleanArray {
    type Value<'a> = bool;
    fn value_at(&self, row: usize) -> bool {
        self.value(row)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn string_columns_come_as_dictionaries_and_plain_ones_are_interned() {
        use parquet::arrow::ArrowWriter;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let names = StringArray::from(vec![Some("b"), None, Some("a"), Some("b")]);
        let ids = Int32Array::from(vec![1, 2, 3, 4]);
        let batch = RecordBatch::try_from_iter([
            ("name", Arc::new(names.clone()) as _),
            ("id", Arc::new(ids) as _),
        ])
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        fn rows(dict: &StrDict) -> Vec<Option<&str>> {
            (0..4).map(|r| dict.get(r)).collect()
        }
        let want = vec![Some("b"), None, Some("a"), Some("b")];

        let read =
            read_columns_with_dictionaries(std::slice::from_ref(&path), &["name", "id"], &["name"])
                .unwrap();
        let column = read[0].column_by_name("name").unwrap();
        assert!(matches!(column.data_type(), DataType::Dictionary(..)));
        let dict = dict_col(&read[0], "name").unwrap();
        assert_eq!(rows(&dict), want);
        assert_eq!(dict.key(0), dict.key(3), "one key per distinct value");
        assert_eq!(get(i32_col(&read[0], "id"), 2), Some(3));

        // Without the hint: plain strings, interned by `dict_col` to the same answer.
        let plain = read_columns(&[path], &["name"]).unwrap();
        assert_eq!(plain[0].column(0).data_type(), &DataType::Utf8);
        let interned = dict_col(&plain[0], "name").unwrap();
        assert_eq!(rows(&interned), want);
        let values: Vec<Option<&str>> = interned.values().collect();
        assert_eq!(values, [Some("b"), Some("a")]);
        assert!(dict_col(&plain[0], "missing").is_none());
    }
}
