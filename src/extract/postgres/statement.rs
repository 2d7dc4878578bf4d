//! Renders the statements in `sql/extract/` for one resolved table.
//!
//! COPY cannot take bind parameters, so the only values inlined are integers and
//! timestamps this module formats itself from `i64`s; identifiers are always quoted
//! (`views."index"`); spec `row_filter` and `pending` are trusted fragments from our code.

use chrono::DateTime;

use super::error::ExtractError;
use super::spec::{ResolvedTable, TableKind};

const COPY_TABLE_SQL: &str = include_str!("../../../sql/extract/copy_table.sql");
const KEY_BOUNDS_SQL: &str = include_str!("../../../sql/extract/key_bounds.sql");
const MIN_PENDING_KEY_SQL: &str = include_str!("../../../sql/extract/min_pending_key.sql");
const COUNT_ROWS_SQL: &str = include_str!("../../../sql/extract/count_rows.sql");
const TIME_AT_KEY_SQL: &str = include_str!("../../../sql/extract/time_at_key.sql");

/// Schema every Tableau repository table is read from.
pub(super) const SCHEMA: &str = "public";

/// Which rows of a table to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRange {
    All,
    /// Event tables: key strictly greater than the watermark.
    KeyAbove(i64),
    /// Event tables: `from_us <= time < to_us`, UTC microseconds since the Unix epoch.
    TimeBetween {
        from_us: i64,
        to_us: i64,
    },
    /// Event tables: `key_from <= key < key_to` and `from_us <= time < to_us`. The key
    /// bounds let the server use the primary key index (Tableau has no index on
    /// `created_at`); the time bounds keep the result exact (backfills).
    KeysAndTimeBetween {
        key_from: i64,
        key_to: i64,
        from_us: i64,
        to_us: i64,
    },
}

/// A rendered statement and the `sql/extract/` file it came from (for errors).
pub(super) struct Statement {
    pub name: &'static str,
    pub sql: String,
}

pub(super) fn copy_sql(table: &ResolvedTable, range: &RowRange) -> Result<Statement, ExtractError> {
    // Only the spec columns the server has; absent optional ones are typed NULLs added
    // by the decoder, so the SELECT list never names a column that does not exist.
    let columns = table
        .present
        .iter()
        .map(|(c, _)| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = render(
        COPY_TABLE_SQL,
        &[
            ("{columns}", &columns),
            ("{table}", &qualified_table(table)),
            ("{where}", &where_clause(table, range, None)?),
        ],
    );
    Ok(Statement {
        name: "copy_table.sql",
        sql,
    })
}

pub(super) fn count_sql(
    table: &ResolvedTable,
    range: &RowRange,
) -> Result<Statement, ExtractError> {
    let sql = render(
        COUNT_ROWS_SQL,
        &[
            ("{table}", &qualified_table(table)),
            ("{where}", &where_clause(table, range, None)?),
        ],
    );
    Ok(Statement {
        name: "count_rows.sql",
        sql,
    })
}

pub(super) fn key_bounds_sql(table: &ResolvedTable) -> Result<Statement, ExtractError> {
    let (key, _, _) = event_columns(table)?;
    let sql = render(
        KEY_BOUNDS_SQL,
        &[
            ("{key}", &quote_ident(key)),
            ("{table}", &qualified_table(table)),
            ("{where}", &where_clause(table, &RowRange::All, None)?),
        ],
    );
    Ok(Statement {
        name: "key_bounds.sql",
        sql,
    })
}

/// None when the event table has no pending predicate (every row is final).
pub(super) fn min_pending_sql(table: &ResolvedTable) -> Result<Option<Statement>, ExtractError> {
    let (key, _, pending) = event_columns(table)?;
    let Some(pending) = pending else {
        return Ok(None);
    };
    let sql = render(
        MIN_PENDING_KEY_SQL,
        &[
            ("{key}", &quote_ident(key)),
            ("{table}", &qualified_table(table)),
            (
                "{where}",
                &where_clause(table, &RowRange::All, Some(pending))?,
            ),
        ],
    );
    Ok(Some(Statement {
        name: "min_pending_key.sql",
        sql,
    }))
}

/// Event time (µs since the epoch, UTC) of the first row whose key is `>= key`: one
/// primary-key index probe, used to map times to key ranges by binary search.
pub(super) fn time_at_key_sql(table: &ResolvedTable, key: i64) -> Result<Statement, ExtractError> {
    let (key_column, time, _) = event_columns(table)?;
    let at_or_above = format!(
        "{} >= {key} AND {} IS NOT NULL",
        quote_ident(key_column),
        quote_ident(time)
    );
    let sql = render(
        TIME_AT_KEY_SQL,
        &[
            ("{key}", &quote_ident(key_column)),
            ("{time}", &quote_ident(time)),
            ("{table}", &qualified_table(table)),
            (
                "{where}",
                &where_clause(table, &RowRange::All, Some(&at_or_above))?,
            ),
        ],
    );
    Ok(Statement {
        name: "time_at_key.sql",
        sql,
    })
}

/// `"name"` with embedded quotes doubled.
pub(super) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn qualified_table(table: &ResolvedTable) -> String {
    format!("{}.{}", quote_ident(SCHEMA), quote_ident(&table.spec.table))
}

fn event_columns(table: &ResolvedTable) -> Result<(&str, &str, Option<&str>), ExtractError> {
    match &table.spec.kind {
        TableKind::Event { key, time, pending } => Ok((key, time, pending.as_deref())),
        TableKind::Snapshot => Err(ExtractError::InvalidRange {
            table: table.spec.table.clone(),
            message: "keys and time ranges apply to event tables only; this is a snapshot table"
                .into(),
        }),
    }
}

/// `""` or `" WHERE (…) AND (…)"`: the row filter, the range, and an extra predicate.
fn where_clause(
    table: &ResolvedTable,
    range: &RowRange,
    extra: Option<&str>,
) -> Result<String, ExtractError> {
    let mut predicates: Vec<String> = Vec::new();
    if let Some(filter) = &table.spec.row_filter {
        predicates.push(format!("({filter})"));
    }
    match *range {
        RowRange::All => {}
        RowRange::KeyAbove(watermark) => {
            let (key, _, _) = event_columns(table)?;
            predicates.push(format!("{} > {watermark}", quote_ident(key)));
        }
        RowRange::KeysAndTimeBetween {
            key_from,
            key_to,
            from_us,
            to_us,
        } => {
            let (key, _, _) = event_columns(table)?;
            let key = quote_ident(key);
            predicates.push(format!("{key} >= {key_from} AND {key} < {key_to}"));
            return where_clause_time(table, predicates, from_us, to_us, extra);
        }
        RowRange::TimeBetween { from_us, to_us } => {
            return where_clause_time(table, predicates, from_us, to_us, extra);
        }
    }
    finish_where(predicates, extra)
}

fn where_clause_time(
    table: &ResolvedTable,
    mut predicates: Vec<String>,
    from_us: i64,
    to_us: i64,
    extra: Option<&str>,
) -> Result<String, ExtractError> {
    let (_, time, _) = event_columns(table)?;
    if from_us > to_us {
        return Err(range_error(
            table,
            format!("time range starts after it ends ({from_us} > {to_us} µs)"),
        ));
    }
    let is_zoned = table
        .present
        .iter()
        .any(|(c, actual)| c.name == time && actual.is_zoned());
    let col = quote_ident(time);
    let from = timestamp_literal(from_us, is_zoned)
        .ok_or_else(|| range_error(table, format!("{from_us} µs is out of range")))?;
    let to = timestamp_literal(to_us, is_zoned)
        .ok_or_else(|| range_error(table, format!("{to_us} µs is out of range")))?;
    predicates.push(format!("{col} >= {from} AND {col} < {to}"));
    finish_where(predicates, extra)
}

fn finish_where(mut predicates: Vec<String>, extra: Option<&str>) -> Result<String, ExtractError> {
    if let Some(extra) = extra {
        predicates.push(format!("({extra})"));
    }
    Ok(if predicates.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", predicates.join(" AND "))
    })
}

fn range_error(table: &ResolvedTable, message: String) -> ExtractError {
    ExtractError::InvalidRange {
        table: table.spec.table.clone(),
        message,
    }
}

/// A literal of the column's own type, so the server never converts between zones:
/// Tableau's naive-UTC `timestamp` columns compare to a naive literal (casting either
/// side to timestamptz would apply the server's TimeZone), timestamptz columns to an
/// explicit `+00` literal. None outside years 1..=9999 (chrono's range).
pub(super) fn timestamp_literal(unix_us: i64, is_zoned: bool) -> Option<String> {
    let at = DateTime::from_timestamp_micros(unix_us)?.naive_utc();
    let year = chrono::Datelike::year(&at);
    if !(1..=9999).contains(&year) {
        return None;
    }
    let text = at.format("%Y-%m-%d %H:%M:%S%.6f");
    Some(if is_zoned {
        format!("'{text}+00'::timestamptz")
    } else {
        format!("'{text}'::timestamp")
    })
}

/// Drops `--` comment lines (placeholders may appear in them), then fills placeholders.
fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut sql = template
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for (placeholder, value) in values {
        sql = sql.replace(placeholder, value);
    }
    sql.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_schema::Schema;

    use super::*;
    use crate::extract::postgres::spec::{ColumnSpec, TableSpec};
    use crate::extract::postgres::types::PgType;

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
                table: "background_jobs".into(),
                columns,
                kind: TableKind::Event {
                    key: "id".into(),
                    time: "created_at".into(),
                    pending: Some("progress < 100".into()),
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
        let p = min_pending_sql(&t).unwrap().unwrap().sql;
        assert!(p.ends_with(" WHERE (x = 1) AND (progress < 100)"), "{p}");
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
}
