//! Rows in (time, key) order: checking an append log is already sorted (the usual
//! case) and sorting it with one gather copy when it is not.

use arrow_array::{
    Array, ArrayRef, Int32Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
};
use arrow_ord::sort::{lexsort_to_indices, SortColumn};
use arrow_schema::{DataType, SchemaRef};

use super::SortSpec;
use crate::load::error::{arrow_err, LoadError};

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
