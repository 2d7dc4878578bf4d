//! Framing: chunk splits at every offset, batch edges, trailer, truncation, bad headers.

use arrow_array::cast::AsArray;
use arrow_array::Array;

use super::tests::{array, decode, decode_cut, header, resolved, trailer, tuple};
use crate::postgres::error::ExtractError;
use crate::postgres::spec::ResolvedTable;
use crate::postgres::types::numeric::encode_numeric;
use crate::postgres::types::{oid, PgType};

/// A stream with several types, NULLs and a missing optional column.
fn mixed() -> (ResolvedTable, Vec<u8>) {
    let table = resolved(&[
        ("id", PgType::Int8, Some(PgType::Int4)),
        ("gone", PgType::Text, None),
        ("uri", PgType::Text, Some(PgType::Text)),
        ("tags", PgType::TextArray, Some(PgType::TextArray)),
        ("amount", PgType::Numeric, Some(PgType::Numeric)),
    ]);
    let mut s = header();
    let tags = array(oid::TEXT, &[Some(b"x"), None]);
    let amount = encode_numeric("-1.50");
    for i in 0..5i32 {
        let uri = format!("/views/wb{i}/sheet");
        let null_every_other = (i % 2 == 0).then_some(uri.as_bytes());
        tuple(
            &mut s,
            &[
                Some(&i.to_be_bytes()),
                null_every_other,
                Some(&tags),
                Some(&amount),
            ],
        );
    }
    trailer(&mut s);
    (table, s)
}

#[test]
fn missing_optional_column_is_typed_nulls_in_spec_position() {
    let (table, s) = mixed();
    let batch = decode(&table, &s).unwrap();
    assert_eq!(batch.schema(), table.schema);
    assert_eq!(batch.num_rows(), 5);
    assert_eq!(batch.column(1).null_count(), 5);
    assert_eq!(batch.column(1).data_type(), &arrow_schema::DataType::Utf8);
    assert_eq!(
        batch.column(2).as_string::<i32>().value(2),
        "/views/wb2/sheet"
    );
}

#[test]
fn split_at_every_offset_into_two_chunks() {
    let (table, s) = mixed();
    let whole = decode(&table, &s).unwrap();
    for cut in 0..=s.len() {
        let batches = decode_cut(&table, &s, &[cut], 2).unwrap();
        let joined = arrow_select::concat::concat_batches(&table.schema, &batches).unwrap();
        assert_eq!(joined, whole, "cut at {cut}");
    }
}

#[test]
fn one_byte_chunks() {
    let (table, s) = mixed();
    let cuts: Vec<usize> = (1..s.len()).collect();
    let batches = decode_cut(&table, &s, &cuts, 1024).unwrap();
    assert_eq!(batches, vec![decode(&table, &s).unwrap()]);
}

#[test]
fn batches_break_at_exactly_batch_rows() {
    let (table, s) = mixed(); // 5 rows
    let sizes = |n| {
        decode_cut(&table, &s, &[], n)
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .collect::<Vec<_>>()
    };
    assert_eq!(sizes(5), vec![5], "no empty trailing batch");
    assert_eq!(sizes(4), vec![4, 1]);
    assert_eq!(sizes(1), vec![1; 5]);
    assert_eq!(sizes(0), vec![1; 5], "0 is clamped to 1");
}

#[test]
fn empty_table_yields_no_batch_and_header_extension_is_skipped() {
    let table = resolved(&[("c", PgType::Int4, Some(PgType::Int4))]);
    let mut s = b"PGCOPY\n\xff\r\n\0".to_vec();
    s.extend_from_slice(&0x0000_0001i32.to_be_bytes()); // non-critical flag bit: ignored
    s.extend_from_slice(&3i32.to_be_bytes());
    s.extend_from_slice(b"ext");
    trailer(&mut s);
    assert!(decode_cut(&table, &s, &[5, 20], 10).unwrap().is_empty());
}

#[test]
fn framing_errors() {
    let (table, s) = mixed();
    let stream_err = |bytes: &[u8]| match decode_cut(&table, bytes, &[], 10) {
        Err(ExtractError::Decode {
            column, message, ..
        }) => {
            assert_eq!(column, "<stream>");
            message
        }
        other => panic!("expected a stream error, got {other:?}"),
    };
    // Truncated anywhere (inside the header, a tuple, or just before the trailer).
    for len in [0, 5, 19, 30, s.len() - 2, s.len() - 1] {
        assert!(stream_err(&s[..len]).contains("truncated"), "len {len}");
    }
    let mut extra = s.clone();
    extra.push(0);
    assert!(stream_err(&extra).contains("after the COPY trailer"));
    let mut bad_sig = s.clone();
    bad_sig[0] = b'X';
    assert!(stream_err(&bad_sig).contains("signature"));
    let mut oids = s.clone();
    oids[12] = 1; // flag bit 16: OID column per row
    assert!(stream_err(&oids).contains("flags"));
    let mut wrong_count = header();
    tuple(&mut wrong_count, &[None]);
    assert!(stream_err(&wrong_count).contains("1 fields but 4 columns"));
}
