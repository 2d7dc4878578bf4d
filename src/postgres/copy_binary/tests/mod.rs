//! Hand-built binary COPY streams: every type, NULLs, chunk splits, batch edges, errors.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::*;
use arrow_schema::Schema;

use super::CopyDecoder;
use crate::postgres::error::ExtractError;
use crate::postgres::spec::{ColumnSpec, ResolvedTable, TableKind, TableSpec};
use crate::postgres::types::numeric::encode_numeric;
use crate::postgres::types::{oid, PgType};

mod structured_types;

pub(crate) fn header() -> Vec<u8> {
    let mut b = b"PGCOPY\n\xff\r\n\0".to_vec();
    b.extend_from_slice(&0i32.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes());
    b
}

pub(crate) fn tuple(out: &mut Vec<u8>, fields: &[Option<&[u8]>]) {
    out.extend_from_slice(&(fields.len() as i16).to_be_bytes());
    for f in fields {
        match f {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }
}

pub(crate) fn trailer(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i16).to_be_bytes());
}

/// A resolved table: (name, spec type, server type); server type None = absent column.
pub(crate) fn resolved(cols: &[(&str, PgType, Option<PgType>)]) -> ResolvedTable {
    let columns: Vec<ColumnSpec> = cols
        .iter()
        .map(|(n, t, _)| ColumnSpec {
            name: (*n).into(),
            pg_type: *t,
            is_required: false,
        })
        .collect();
    let present = cols
        .iter()
        .zip(&columns)
        .filter_map(|((_, _, actual), c)| actual.map(|a| (c.clone(), a)))
        .collect();
    let missing = cols
        .iter()
        .filter(|c| c.2.is_none())
        .map(|c| c.0.to_string())
        .collect();
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| c.pg_type.arrow_field(&c.name))
            .collect::<Vec<_>>(),
    ));
    ResolvedTable {
        spec: TableSpec {
            dataset: "t".into(),
            schema: "public".into(),
            table: "t".into(),
            columns,
            kind: TableKind::Snapshot,
            is_optional: false,
            row_filter: None,
        },
        schema,
        present,
        missing,
        ignored: vec![],
    }
}

/// Feeds `stream` in chunks cut at `cuts` (byte offsets) and returns every batch.
pub(super) fn decode_cut(
    table: &ResolvedTable,
    stream: &[u8],
    cuts: &[usize],
    batch_rows: usize,
) -> Result<Vec<RecordBatch>, ExtractError> {
    let mut decoder = CopyDecoder::new(table, batch_rows);
    let mut out = VecDeque::new();
    let mut start = 0;
    for &cut in cuts.iter().chain([stream.len()].iter()) {
        decoder.feed(&stream[start..cut], &mut out)?;
        start = cut;
    }
    out.extend(decoder.finish()?);
    Ok(out.into())
}

pub(super) fn decode(table: &ResolvedTable, stream: &[u8]) -> Result<RecordBatch, ExtractError> {
    let batches = decode_cut(table, stream, &[], 1024)?;
    Ok(arrow_select::concat::concat_batches(&table.schema, &batches).unwrap())
}

/// Decodes rows of one column (spec type `expected`, server type `actual`).
fn one_column(
    expected: PgType,
    actual: PgType,
    values: &[Option<&[u8]>],
) -> Result<ArrayRef, ExtractError> {
    let table = resolved(&[("c", expected, Some(actual))]);
    let mut s = header();
    for v in values {
        tuple(&mut s, &[*v]);
    }
    trailer(&mut s);
    Ok(decode(&table, &s)?.column(0).clone())
}

fn decode_message(result: Result<ArrayRef, ExtractError>) -> String {
    match result {
        Err(ExtractError::Decode { message, .. }) => message,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn int2() {
    let a = one_column(
        PgType::Int2,
        PgType::Int2,
        &[Some(&(-7i16).to_be_bytes()), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &Int16Array::from(vec![Some(-7), None]) as &dyn Array
    );
    let bad = one_column(PgType::Int2, PgType::Int2, &[Some(&[1, 2, 3])]);
    assert!(decode_message(bad).contains("expected 2 bytes, got 3"));
}

#[test]
fn int4_and_int2_widened() {
    let a = one_column(
        PgType::Int4,
        PgType::Int4,
        &[Some(&i32::MIN.to_be_bytes()), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &Int32Array::from(vec![Some(i32::MIN), None]) as &dyn Array
    );
    let a = one_column(PgType::Int4, PgType::Int2, &[Some(&(-2i16).to_be_bytes())]).unwrap();
    assert_eq!(a.as_ref(), &Int32Array::from(vec![-2]) as &dyn Array);
}

#[test]
fn int8_and_narrower_ids_widened() {
    // http_requests.id was int4 before 2022.2 and int8 since: both read as Int64.
    let a = one_column(
        PgType::Int8,
        PgType::Int8,
        &[Some(&(1i64 << 40).to_be_bytes()), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &Int64Array::from(vec![Some(1 << 40), None]) as &dyn Array
    );
    let a = one_column(PgType::Int8, PgType::Int4, &[Some(&(-5i32).to_be_bytes())]).unwrap();
    assert_eq!(a.as_ref(), &Int64Array::from(vec![-5]) as &dyn Array);
    let a = one_column(PgType::Int8, PgType::Int2, &[Some(&300i16.to_be_bytes())]).unwrap();
    assert_eq!(a.as_ref(), &Int64Array::from(vec![300]) as &dyn Array);
}

#[test]
fn float4_and_float8() {
    let a = one_column(
        PgType::Float4,
        PgType::Float4,
        &[Some(&1.5f32.to_be_bytes()), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &Float32Array::from(vec![Some(1.5), None]) as &dyn Array
    );
    let a = one_column(
        PgType::Float8,
        PgType::Float8,
        &[
            Some(&f64::NEG_INFINITY.to_be_bytes()),
            Some(&f64::NAN.to_be_bytes()),
        ],
    )
    .unwrap();
    let a = a.as_primitive::<arrow_array::types::Float64Type>();
    assert_eq!(a.value(0), f64::NEG_INFINITY);
    assert!(a.value(1).is_nan());
}

#[test]
fn bool() {
    let a = one_column(PgType::Bool, PgType::Bool, &[Some(&[1]), Some(&[0]), None]).unwrap();
    assert_eq!(
        a.as_ref(),
        &BooleanArray::from(vec![Some(true), Some(false), None]) as &dyn Array
    );
}

#[test]
fn text_varchar_and_invalid_utf8() {
    let a = one_column(
        PgType::Text,
        PgType::Text,
        &[Some("Zürich ✓".as_bytes()), None, Some(b"")],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &StringArray::from(vec![Some("Zürich ✓"), None, Some("")]) as &dyn Array
    );
    let table = resolved(&[("c", PgType::Text, Some(PgType::Text))]);
    let mut s = header();
    tuple(&mut s, &[Some(b"ok")]);
    tuple(&mut s, &[Some(&[0xC3])]); // half of 'é': only the pair is valid UTF-8
    tuple(&mut s, &[Some(&[0xA9])]);
    trailer(&mut s);
    match decode(&table, &s) {
        Err(ExtractError::Decode {
            column,
            row,
            message,
            ..
        }) => {
            assert_eq!((column.as_str(), row), ("c", 2), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

fn timestamps(actual: PgType) {
    // PostgreSQL µs since 2000-01-01 → Unix µs, tagged UTC, never shifted by a zone.
    let pg = |unix_us: i64| (unix_us - 946_684_800_000_000).to_be_bytes();
    let before_1970 = -1i64; // 1969-12-31 23:59:59.999999
    let before_2000 = 946_684_799_000_000i64; // 1999-12-31 23:59:59
    let us_dst_gap = 1_772_935_200_000_000i64; // 2026-03-08 02:00 naive: no such LA wall time
    let values = [
        Some(&pg(before_1970)[..]),
        Some(&pg(before_2000)[..]),
        Some(&pg(us_dst_gap)[..]),
        None,
    ];
    let a = one_column(actual, actual, &values).unwrap();
    let expected = TimestampMicrosecondArray::from(vec![
        Some(before_1970),
        Some(before_2000),
        Some(us_dst_gap),
        None,
    ])
    .with_timezone("UTC");
    assert_eq!(a.as_ref(), &expected as &dyn Array);
    let inf = one_column(actual, actual, &[Some(&i64::MAX.to_be_bytes())]);
    assert!(decode_message(inf).contains("infinity"));
}

#[test]
fn timestamp() {
    timestamps(PgType::Timestamp);
}

#[test]
fn timestamptz() {
    timestamps(PgType::TimestampTz);
    // Either server type fills either spec type: same microseconds on the wire.
    let a = one_column(
        PgType::Timestamp,
        PgType::TimestampTz,
        &[Some(&0i64.to_be_bytes())],
    )
    .unwrap();
    assert_eq!(
        a.as_primitive::<arrow_array::types::TimestampMicrosecondType>()
            .value(0),
        946_684_800_000_000
    );
}

#[test]
fn date() {
    let a = one_column(
        PgType::Date,
        PgType::Date,
        &[
            Some(&(-1i32).to_be_bytes()),
            Some(&0i32.to_be_bytes()),
            None,
        ],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &Date32Array::from(vec![Some(10_956), Some(10_957), None]) as &dyn Array
    );
    assert!(decode_message(one_column(
        PgType::Date,
        PgType::Date,
        &[Some(&i32::MIN.to_be_bytes())]
    ))
    .contains("infinity"));
}

/// Binary array: 1-D when `elems` is Some, `ndim` dimensions of size 1 otherwise.
pub(super) fn array(elem_oid: u32, elems: &[Option<&[u8]>]) -> Vec<u8> {
    let mut b = Vec::new();
    let ndim: i32 = if elems.is_empty() { 0 } else { 1 };
    b.extend_from_slice(&ndim.to_be_bytes());
    b.extend_from_slice(&(elems.iter().any(|e| e.is_none()) as i32).to_be_bytes());
    b.extend_from_slice(&elem_oid.to_be_bytes());
    if ndim == 1 {
        b.extend_from_slice(&(elems.len() as i32).to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes());
    }
    for e in elems {
        match e {
            None => b.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                b.extend_from_slice(v);
            }
        }
    }
    b
}
