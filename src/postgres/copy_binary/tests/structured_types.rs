//! uuid, numeric, json/jsonb and array columns.

use super::*;

#[test]
fn uuid() {
    let bytes: [u8; 16] = [
        0xA0, 0xEE, 0xBC, 0x99, 0x9C, 0x0B, 0x4E, 0xF8, 0xBB, 0x6D, 0x6B, 0xB9, 0xBD, 0x38, 0x0A,
        0x11,
    ];
    let a = one_column(PgType::Uuid, PgType::Uuid, &[Some(&bytes), None]).unwrap();
    assert_eq!(
        a.as_ref(),
        &StringArray::from(vec![Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), None]) as &dyn Array
    );
}

#[test]
fn numeric() {
    let texts = [
        "0",
        "-1.50",
        "0.00000000000000000001",
        "NaN",
        "123456789012345678901234567890.123",
    ];
    let encoded: Vec<Vec<u8>> = texts.iter().map(|t| encode_numeric(t)).collect();
    let mut values: Vec<Option<&[u8]>> = encoded.iter().map(|e| Some(e.as_slice())).collect();
    values.push(None);
    let a = one_column(PgType::Numeric, PgType::Numeric, &values).unwrap();
    let mut expected: Vec<Option<&str>> = texts.iter().map(|t| Some(*t)).collect();
    expected.push(None);
    assert_eq!(a.as_ref(), &StringArray::from(expected) as &dyn Array);
}

#[test]
fn json() {
    let a = one_column(
        PgType::Json,
        PgType::Json,
        &[Some(br#"{"a": [1, 2]}"#), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &StringArray::from(vec![Some(r#"{"a": [1, 2]}"#), None]) as &dyn Array
    );
}

#[test]
fn jsonb_strips_version_byte() {
    let a = one_column(
        PgType::Jsonb,
        PgType::Jsonb,
        &[Some(b"\x01{\"a\": 1}"), None],
    )
    .unwrap();
    assert_eq!(
        a.as_ref(),
        &StringArray::from(vec![Some(r#"{"a": 1}"#), None]) as &dyn Array
    );
    // json server column into a jsonb spec: no version byte on the wire.
    let a = one_column(PgType::Jsonb, PgType::Json, &[Some(b"[]")]).unwrap();
    assert_eq!(a.as_string::<i32>().value(0), "[]");
    assert!(
        decode_message(one_column(PgType::Jsonb, PgType::Jsonb, &[Some(b"\x02{}")]))
            .contains("version")
    );
}

#[test]
fn text_array_with_null_elements() {
    let full = array(oid::VARCHAR, &[Some(b"a"), None, Some("ü".as_bytes())]);
    let empty = array(oid::TEXT, &[]);
    let a = one_column(
        PgType::TextArray,
        PgType::TextArray,
        &[Some(&full), None, Some(&empty)],
    )
    .unwrap();
    let list = a.as_list::<i32>();
    assert_eq!(list.len(), 3);
    assert_eq!(
        list.value(0).as_ref(),
        &StringArray::from(vec![Some("a"), None, Some("ü")]) as &dyn Array
    );
    assert!(list.is_null(1));
    assert!(list.is_valid(2) && list.value(2).is_empty());
    // Two dimensions: '{{a},{b}}'.
    let mut two_d = Vec::new();
    for v in [2i32, 0, oid::TEXT as i32, 2, 1, 1, 1] {
        two_d.extend_from_slice(&v.to_be_bytes());
    }
    let msg = decode_message(one_column(
        PgType::TextArray,
        PgType::TextArray,
        &[Some(&two_d)],
    ));
    assert!(msg.contains("2-dimensional"), "{msg}");
}

#[test]
fn int4_array() {
    let v = array(oid::INT4, &[Some(&7i32.to_be_bytes()), None]);
    let a = one_column(PgType::Int4Array, PgType::Int4Array, &[Some(&v), None]).unwrap();
    let expected =
        ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(7), None]), None]);
    assert_eq!(a.as_ref(), &expected as &dyn Array);
    let wrong = array(oid::INT8, &[Some(&7i64.to_be_bytes())]);
    assert!(decode_message(one_column(
        PgType::Int4Array,
        PgType::Int4Array,
        &[Some(&wrong)]
    ))
    .contains("element type"));
}

#[test]
fn int8_array() {
    let v = array(oid::INT8, &[None, Some(&(-1i64).to_be_bytes())]);
    let a = one_column(PgType::Int8Array, PgType::Int8Array, &[Some(&v)]).unwrap();
    let expected =
        ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![None, Some(-1)])]);
    assert_eq!(a.as_ref(), &expected as &dyn Array);
}
