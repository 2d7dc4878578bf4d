//! The one place that knows both type systems: arrow-rs `RecordBatch` ↔ polars `DataFrame`.
//!
//! polars has its own Arrow implementation (`polars-arrow`), whose arrays are not arrow-rs
//! arrays. Both speak the Arrow C Data Interface, so columns cross by handing over the
//! `ArrowArray`/`ArrowSchema` C structs: buffers are shared, never copied, and the producer's
//! release callback frees them once the last side lets go.
//!
//! Copies that remain, by type:
//! - arrow-rs → polars, `Utf8`: polars stores strings only as views (`Utf8View`), so import
//!   builds one 16-byte view per value (strings ≤ 12 bytes are inlined into it); the string
//!   bytes themselves stay in the arrow-rs buffer, shared. Every other type we store (Int16/32/64,
//!   Float64, Boolean, Timestamp µs UTC, Date32, List<Utf8> offsets) is zero-copy.
//! - polars → arrow-rs, strings: polars exports `Utf8View` (zero-copy) and the lake stores
//!   `Utf8` (what every BI reader expects and what the raw datasets hold), so the bridge
//!   re-packs the bytes into one contiguous buffer. That copy is unavoidable: views point into
//!   several buffers in any order. Lists come back as `LargeList` and get i32 offsets.
//! - Timestamps keep their unit and zone ("UTC"); polars is built without the `timezones`
//!   feature, which only means it does not *validate* zone names.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{ffi, make_array, new_empty_array, Array, ArrayRef, ListArray, RecordBatch};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use polars::prelude::{Column, CompatLevel, DataFrame, PlSmallStr, Series};
use polars_arrow::ffi as pl_ffi;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("column `{column}`: {message}")]
    Column { column: String, message: String },
    #[error("assembling the result: {0}")]
    Frame(String),
}

fn column_err(column: &str) -> impl Fn(String) -> BridgeError + '_ {
    move |message| BridgeError::Column {
        column: column.to_string(),
        message,
    }
}

// The two crates define the same C structs (Arrow C Data Interface, `#[repr(C)]`); a
// bitwise move from one to the other is a move of ownership, as the interface specifies.
const _: () = assert!(size_of::<ffi::FFI_ArrowArray>() == size_of::<pl_ffi::ArrowArray>());
const _: () = assert!(size_of::<ffi::FFI_ArrowSchema>() == size_of::<pl_ffi::ArrowSchema>());

/// Every column of `batch` as a polars column of the same name.
pub fn batch_to_frame(batch: &RecordBatch) -> Result<DataFrame, BridgeError> {
    let columns = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, array)| array_to_series(field.name(), array.as_ref()).map(Column::from))
        .collect::<Result<Vec<_>, _>>()?;
    DataFrame::new(batch.num_rows(), columns).map_err(|e| BridgeError::Frame(e.to_string()))
}

/// One arrow-rs array as a polars series, through the C Data Interface.
pub fn array_to_series(name: &str, array: &dyn Array) -> Result<Series, BridgeError> {
    let err = column_err(name);
    let (c_array, c_schema) = ffi::to_ffi(&array.to_data()).map_err(|e| err(e.to_string()))?;
    // SAFETY: same C struct layout (asserted above); ownership moves with the bits and the
    // originals are not dropped (transmute consumes them).
    let c_array: pl_ffi::ArrowArray = unsafe { std::mem::transmute(c_array) };
    let c_schema: pl_ffi::ArrowSchema = unsafe { std::mem::transmute(c_schema) };
    // SAFETY: both structs were just produced by arrow-rs from valid array data.
    let field =
        unsafe { pl_ffi::import_field_from_c(&c_schema) }.map_err(|e| err(e.to_string()))?;
    let imported = unsafe { pl_ffi::import_array_from_c(c_array, field.dtype().clone()) }
        .map_err(|e| err(e.to_string()))?;
    Series::from_arrow(PlSmallStr::from_str(name), imported).map_err(|e| err(e.to_string()))
}

/// The columns of `schema`, taken by name from `frame` and conformed to the schema's types.
pub fn frame_to_batch(frame: &DataFrame, schema: &SchemaRef) -> Result<RecordBatch, BridgeError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let column = frame
                .column(field.name())
                .map_err(|e| column_err(field.name())(e.to_string()))?;
            series_to_array(column.as_materialized_series(), field)
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| BridgeError::Frame(e.to_string()))
}

/// One polars series as an arrow-rs array of `target`'s type.
pub fn series_to_array(series: &Series, target: &Field) -> Result<ArrayRef, BridgeError> {
    let err = column_err(target.name());
    let series = series.rechunk();
    if series.n_chunks() == 0 || series.is_empty() {
        return Ok(new_empty_array(target.data_type()));
    }
    let exported = series.to_arrow(0, CompatLevel::newest());
    let field = polars_arrow::datatypes::Field::new(
        PlSmallStr::from_str(target.name()),
        exported.dtype().clone(),
        true,
    );
    let c_schema = pl_ffi::export_field_to_c(&field);
    let c_array = pl_ffi::export_array_to_c(exported);
    // SAFETY: as in `array_to_series`, in the other direction.
    let c_schema: ffi::FFI_ArrowSchema = unsafe { std::mem::transmute(c_schema) };
    let c_array: ffi::FFI_ArrowArray = unsafe { std::mem::transmute(c_array) };
    let data = unsafe { ffi::from_ffi(c_array, &c_schema) }.map_err(|e| err(e.to_string()))?;
    conform(make_array(data), target.data_type()).map_err(err)
}

/// Adapts what polars exports to the lake's types; anything else must already match.
fn conform(array: ArrayRef, target: &DataType) -> Result<ArrayRef, String> {
    let source = array.data_type().clone();
    match (&source, target) {
        (s, t) if s == t => Ok(array),
        (DataType::Utf8View | DataType::LargeUtf8, DataType::Utf8) => Ok(to_utf8(&array)),
        (DataType::LargeList(_), DataType::List(item)) => {
            let list = array.as_list::<i64>();
            let values = conform(list.values().clone(), item.data_type())?;
            let offsets = list
                .offsets()
                .iter()
                .map(|&o| i32::try_from(o).map_err(|_| "list longer than i32 offsets".to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let list = ListArray::try_new(
                item.clone(),
                OffsetBuffer::new(offsets.into()),
                values,
                list.nulls().cloned(),
            )
            .map_err(|e| e.to_string())?;
            Ok(Arc::new(list))
        }
        // Same values, zone label only (a frame built in polars without a zone).
        (
            DataType::Timestamp(TimeUnit::Microsecond, _),
            DataType::Timestamp(TimeUnit::Microsecond, tz),
        ) => {
            let values = array.as_primitive::<TimestampMicrosecondType>().clone();
            Ok(Arc::new(values.with_timezone_opt(tz.clone())))
        }
        _ => Err(format!(
            "polars produced {source}, the schema wants {target}"
        )),
    }
}

fn to_utf8(array: &ArrayRef) -> ArrayRef {
    let mut builder = StringBuilder::with_capacity(array.len(), 0);
    match array.data_type() {
        DataType::Utf8View => builder.extend(array.as_string_view().iter()),
        _ => builder.extend(array.as_string::<i64>().iter()),
    }
    Arc::new(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{
        BooleanArray, Date32Array, Float64Array, Int16Array, Int32Array, Int64Array, StringArray,
        TimestampMicrosecondArray,
    };
    use arrow_schema::Schema;
    use polars::prelude::DataType as PlType;

    fn every_stored_type() -> RecordBatch {
        let mut tags = ListBuilder::new(StringBuilder::new());
        tags.append_value([Some("viewer"), None, Some("créateur")]);
        tags.append_null();
        tags.append_value(Vec::<Option<&str>>::new());
        let long = "a string longer than twelve bytes, so it is not inlined in a view";
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "i16",
                Arc::new(Int16Array::from(vec![Some(-3), None, Some(i16::MAX)])),
            ),
            (
                "i32",
                Arc::new(Int32Array::from(vec![Some(0), Some(i32::MIN), None])),
            ),
            (
                "i64",
                Arc::new(Int64Array::from(vec![None, Some(2_147_483_648), Some(-1)])),
            ),
            (
                "f64",
                Arc::new(Float64Array::from(vec![Some(1.5), None, Some(f64::MAX)])),
            ),
            (
                "bool",
                Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
            ),
            (
                "utf8",
                Arc::new(StringArray::from(vec![Some("Chloé"), None, Some(long)])),
            ),
            (
                "ts",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        Some(1_793_510_400_123_456),
                        None,
                        Some(0),
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            (
                "date",
                Arc::new(Date32Array::from(vec![Some(20_758), Some(-1), None])),
            ),
            ("list", Arc::new(tags.finish())),
        ];
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect();
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
    }

    #[test]
    fn every_stored_type_round_trips_unchanged() {
        let batch = every_stored_type();
        let frame = batch_to_frame(&batch).unwrap();
        assert_eq!(frame.height(), 3);
        let back = frame_to_batch(&frame, &batch.schema()).unwrap();
        assert_eq!(back, batch);
    }

    #[test]
    fn polars_sees_native_types() {
        let frame = batch_to_frame(&every_stored_type()).unwrap();
        let dtype = |name: &str| frame.column(name).unwrap().dtype().clone();
        assert_eq!(dtype("i16"), PlType::Int16);
        assert_eq!(dtype("utf8"), PlType::String);
        assert_eq!(dtype("date"), PlType::Date);
        assert_eq!(dtype("list"), PlType::List(Box::new(PlType::String)));
        assert!(matches!(dtype("ts"), PlType::Datetime(_, Some(ref tz)) if tz.as_str() == "UTC"));
    }

    #[test]
    fn primitive_buffers_are_shared_not_copied() {
        let values = Int64Array::from(vec![7, 8, 9]);
        let series = array_to_series("id", &values).unwrap();
        let imported = series.to_arrow(0, CompatLevel::newest());
        let imported = imported
            .as_any()
            .downcast_ref::<polars_arrow::array::PrimitiveArray<i64>>()
            .unwrap();
        assert_eq!(imported.values().as_ptr(), values.values().as_ptr());
    }

    #[test]
    fn sliced_and_empty_batches_cross() {
        let batch = every_stored_type();
        let sliced = batch.slice(1, 2);
        let back = frame_to_batch(&batch_to_frame(&sliced).unwrap(), &batch.schema()).unwrap();
        assert_eq!(back, sliced);
        let empty = batch.slice(0, 0);
        let back = frame_to_batch(&batch_to_frame(&empty).unwrap(), &batch.schema()).unwrap();
        assert_eq!(back.num_rows(), 0);
    }

    #[test]
    fn a_type_polars_cannot_produce_is_an_error_naming_the_column() {
        let frame = batch_to_frame(&every_stored_type()).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("i16", DataType::Int64, true)]));
        let err = frame_to_batch(&frame, &schema).unwrap_err().to_string();
        assert!(err.contains("`i16`"), "{err}");
    }
}
