use std::sync::Arc;

use arrow_schema::Schema;

use super::*;
use crate::postgres::spec::{ColumnSpec, TableSpec};
use crate::postgres::types::PgType;

fn table(time_type: PgType, row_filter: Option<&str>) -> ResolvedTable {
    let columns = vec![
        ColumnSpec {
            name: "id".into(),
            pg_type: PgType::Int8,
            is_required: true,
        },
        ColumnSpec {
            name: "created_at".into(),
            pg_type: PgType::Timestamp,
            is_required: true,
        },
        ColumnSpec {
            name: "index".into(),
            pg_type: PgType::Int4,
            is_required: false,
        },
        ColumnSpec {
            name: "gone".into(),
            pg_type: PgType::Text,
            is_required: false,
        },
    ];
    let present = vec![
        (columns[0].clone(), PgType::Int4),
        (columns[1].clone(), time_type),
        (columns[2].clone(), PgType::Int4),
    ];
    ResolvedTable {
        spec: TableSpec {
            dataset: "jobs".into(),
            schema: "public".into(),
            table: "background_jobs".into(),
            columns,
            kind: TableKind::Event {
                key: "id".into(),
                time: "created_at".into(),
                pending: Some("progress < 100".into()),
                pending_column: None,
            },
            is_optional: false,
            row_filter: row_filter.map(Into::into),
        },
        schema: Arc::new(Schema::empty()),
        present,
        missing: vec!["gone".into()],
        ignored: vec![],
    }
}

#[test]
fn copy_selects_present_columns_quoted() {
    let s = copy_sql(&table(PgType::Timestamp, None), &RowRange::All).unwrap();
    assert_eq!(
        s.sql,
        r#"COPY (SELECT "id", "created_at", "index" FROM "public"."background_jobs") TO STDOUT (FORMAT binary)"#
    );
}

#[test]
fn key_range_and_row_filter() {
    let s = copy_sql(
        &table(PgType::Timestamp, Some("completed_at IS NOT NULL")),
        &RowRange::KeyAbove(-42),
    )
    .unwrap();
    assert!(
        s.sql
            .contains(r#" WHERE (completed_at IS NOT NULL) AND "id" > -42)"#),
        "{}",
        s.sql
    );
}

#[test]
fn naive_time_range_uses_naive_literals() {
    // 2026-03-08 05:00:00 UTC, the hour US clocks spring forward.
    let from = 1_772_946_000_000_000;
    let range = RowRange::TimeBetween {
        from_us: from,
        to_us: from + 3_600_000_001,
    };
    let s = copy_sql(&table(PgType::Timestamp, None), &range).unwrap();
    assert!(s.sql.contains(
        r#""created_at" >= '2026-03-08 05:00:00.000000'::timestamp AND "created_at" < '2026-03-08 06:00:00.000001'::timestamp"#
    ), "{}", s.sql);
    let s = count_sql(&table(PgType::TimestampTz, None), &range).unwrap();
    assert!(
        s.sql
            .contains("'2026-03-08 05:00:00.000000+00'::timestamptz"),
        "{}",
        s.sql
    );
    assert!(!s.sql.contains("::timestamp "), "{}", s.sql);
}

#[test]
fn timestamps_before_1970_and_out_of_range() {
    assert_eq!(
        timestamp_literal(-1, false).unwrap(),
        "'1969-12-31 23:59:59.999999'::timestamp"
    );
    assert!(timestamp_literal(i64::MAX, false).is_none());
    let err = copy_sql(
        &table(PgType::Timestamp, None),
        &RowRange::TimeBetween {
            from_us: 2,
            to_us: 1,
        },
    );
    assert!(matches!(err, Err(ExtractError::InvalidRange { .. })));
}

#[test]
fn bounds_and_pending() {
    let t = table(PgType::Timestamp, Some("x = 1"));
    assert_eq!(
        key_bounds_sql(&t).unwrap().sql,
        "SELECT pg_catalog.min(\"id\")::int8 AS min_key, pg_catalog.max(\"id\")::int8 AS max_key\nFROM \"public\".\"background_jobs\" WHERE (x = 1)"
    );
    // The row filter (e.g. `completed_at IS NOT NULL`) must not apply: pending rows are
    // exactly the ones it excludes, so ANDing both would always find none.
    let p = min_pending_sql(&t).unwrap().unwrap().sql;
    assert!(p.ends_with(" WHERE (progress < 100)"), "{p}");
}

#[test]
fn snapshot_tables_have_no_key_ranges() {
    let mut t = table(PgType::Timestamp, None);
    t.spec.kind = TableKind::Snapshot;
    assert!(copy_sql(&t, &RowRange::All).is_ok());
    assert!(matches!(
        copy_sql(&t, &RowRange::KeyAbove(1)),
        Err(ExtractError::InvalidRange { .. })
    ));
    assert!(key_bounds_sql(&t).is_err());
}

#[test]
fn key_and_time_range_and_time_probe() {
    let t = table(PgType::Timestamp, Some("x = 1"));
    let range = RowRange::KeysAndTimeBetween {
        key_from: 10,
        key_to: 20,
        from_us: 0,
        to_us: 1,
    };
    let s = copy_sql(&t, &range).unwrap().sql;
    assert!(
        s.contains(r#" WHERE (x = 1) AND "id" >= 10 AND "id" < 20 AND "created_at" >= '1970-01-01 00:00:00.000000'::timestamp"#),
        "{s}"
    );
    let p = time_at_key_sql(&t, 42).unwrap().sql;
    assert!(
        p.contains(r#"WHERE (x = 1) AND ("id" >= 42 AND "created_at" IS NOT NULL)"#),
        "{p}"
    );
    assert!(p.ends_with("ORDER BY \"id\"\nLIMIT 1"), "{p}");
}

#[test]
fn identifiers_with_quotes_are_escaped() {
    assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
}

#[test]
fn time_predicates_use_the_column_type_and_may_keep_nulls() {
    let day = 86_400_000_000;
    assert_eq!(
        time_predicate("at", true, Some(day), Some(2 * day), false).unwrap(),
        r#""at" >= '1970-01-02 00:00:00.000000+00'::timestamptz AND "at" < '1970-01-03 00:00:00.000000+00'::timestamptz"#
    );
    assert_eq!(
        time_predicate("at", false, Some(0), None, true).unwrap(),
        r#"("at" >= '1970-01-01 00:00:00.000000'::timestamp) OR "at" IS NULL"#
    );
    assert_eq!(
        time_predicate("a\"t", false, None, None, true).unwrap(),
        r#"(true) OR "a""t" IS NULL"#
    );
    assert_eq!(
        time_predicate("at", true, Some(i64::MAX), None, false),
        None
    );
    // A log (no integer key) refuses key ranges; its rows are chosen by row filters.
    let mut t = table(PgType::Timestamp, None);
    t.spec.kind = TableKind::Log;
    assert!(copy_sql(&t, &RowRange::KeyAbove(1)).is_err());
    assert!(copy_sql(&t, &RowRange::All).is_ok());
}
