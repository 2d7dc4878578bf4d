//! Typed access to the columns of lake batches, tolerant of columns a server lacked.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{new_null_array, Array, ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::TransformError;

/// `batch` narrowed to `columns` in that order. A column the batch lacks (a table or an
/// optional column absent on this server version) becomes all NULL; one of another type is
/// an error. `None` gives an empty batch of that schema.
pub fn project(
    dataset: &str,
    batch: Option<&RecordBatch>,
    columns: &[(&str, DataType)],
) -> Result<RecordBatch, TransformError> {
    let rows = batch.map_or(0, RecordBatch::num_rows);
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (name, data_type) in columns {
        let array = match batch.and_then(|b| b.column_by_name(name)) {
            Some(array) if array.data_type() == data_type => array.clone(),
            Some(array) => {
                return Err(TransformError::ColumnType {
                    dataset: dataset.to_string(),
                    column: name.to_string(),
                    found: array.data_type().to_string(),
                    expected: type_label(data_type),
                })
            }
            None => new_null_array(data_type, rows),
        };
        fields.push(Field::new(*name, data_type.clone(), true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(|e| {
        TransformError::ColumnType {
            dataset: dataset.to_string(),
            column: String::new(),
            found: e.to_string(),
            expected: "a consistent batch",
        }
    })
}

fn type_label(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int16 => "Int16",
        DataType::Int32 => "Int32",
        DataType::Int64 => "Int64",
        DataType::Utf8 => "Utf8",
        DataType::Boolean => "Boolean",
        DataType::Timestamp(..) => "Timestamp(µs, UTC)",
        _ => "another type",
    }
}

/// Column `name` of a batch built by [`project`] as Int32.
pub fn int32<'a>(batch: &'a RecordBatch, name: &str) -> &'a Int32Array {
    batch
        .column_by_name(name)
        .expect("projected column")
        .as_primitive::<Int32Type>()
}

/// Column `name` of a batch built by [`project`] as Utf8.
pub fn utf8<'a>(batch: &'a RecordBatch, name: &str) -> &'a StringArray {
    batch
        .column_by_name(name)
        .expect("projected column")
        .as_string::<i32>()
}

pub fn opt_i32(array: &Int32Array, row: usize) -> Option<i32> {
    array.is_valid(row).then(|| array.value(row))
}

pub fn opt_str(array: &StringArray, row: usize) -> Option<&str> {
    array.is_valid(row).then(|| array.value(row))
}
