//! Renders the statements in `sql/extract/` for one resolved table.
//!
//! COPY cannot take bind parameters, so the only values inlined are integers and
//! timestamps this module formats itself from `i64`s; identifiers are always quoted
//! (`views."index"`); spec `row_filter` and `pending` are trusted fragments from our code.

use chrono::DateTime;

use super::error::ExtractError;
use super::spec::{ResolvedTable, TableKind};

const COPY_TABLE_SQL: &str = include_str!("../../sql/extract/copy_table.sql");
const KEY_BOUNDS_SQL: &str = include_str!("../../sql/extract/key_bounds.sql");
const MIN_PENDING_KEY_SQL: &str = include_str!("../../sql/extract/min_pending_key.sql");
const COUNT_ROWS_SQL: &str = include_str!("../../sql/extract/count_rows.sql");
const TIME_AT_KEY_SQL: &str = include_str!("../../sql/extract/time_at_key.sql");

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
    /// bounds let the server use the primary key index (event times often have no
    /// index); the time bounds keep the result exact (backfills).
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
            // Not `where_clause`: the row filter (`completed_at IS NOT NULL`) excludes
            // exactly the pending rows, so ANDing it in would always find none.
            ("{where}", &finish_where(Vec::new(), Some(pending))?),
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

/// Event time of the row whose key is exactly `key` (same template as `time_at_key_sql`).
pub(super) fn time_of_key_sql(table: &ResolvedTable, key: i64) -> Result<Statement, ExtractError> {
    let (key_column, time, _) = event_columns(table)?;
    let at = format!(
        "{} = {key} AND {} IS NOT NULL",
        quote_ident(key_column),
        quote_ident(time)
    );
    let sql = render(
        TIME_AT_KEY_SQL,
        &[
            ("{key}", &quote_ident(key_column)),
            ("{time}", &quote_ident(time)),
            ("{table}", &qualified_table(table)),
            ("{where}", &where_clause(table, &RowRange::All, Some(&at))?),
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
    format!(
        "{}.{}",
        quote_ident(&table.spec.schema),
        quote_ident(&table.spec.table)
    )
}

fn event_columns(table: &ResolvedTable) -> Result<(&str, &str, Option<&str>), ExtractError> {
    match &table.spec.kind {
        TableKind::Event {
            key, time, pending, ..
        } => Ok((key, time, pending.as_deref())),
        TableKind::Snapshot | TableKind::Log => Err(ExtractError::InvalidRange {
            table: table.spec.table.clone(),
            message: "keys and time ranges apply to event tables only; this table is read \
                      whole or through its row filter"
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

/// `"column" >= <from> AND "column" < <to>` (either bound optional), with literals of the
/// column's own type (see [`timestamp_literal`]); `or_null` also selects rows whose value
/// is NULL, so a log read by a timestamp watermark never loses them. For a naive column
/// the bounds are the naive values themselves, taken as UTC µs. None: a bound outside
/// years 1..=9999.
pub fn time_predicate(
    column: &str,
    is_zoned: bool,
    from_us: Option<i64>,
    to_us: Option<i64>,
    or_null: bool,
) -> Option<String> {
    let col = quote_ident(column);
    let mut parts = Vec::new();
    if let Some(from) = from_us {
        parts.push(format!("{col} >= {}", timestamp_literal(from, is_zoned)?));
    }
    if let Some(to) = to_us {
        parts.push(format!("{col} < {}", timestamp_literal(to, is_zoned)?));
    }
    let range = if parts.is_empty() {
        "true".to_owned()
    } else {
        parts.join(" AND ")
    };
    Some(if or_null {
        format!("({range}) OR {col} IS NULL")
    } else {
        range
    })
}

/// A literal of the column's own type, so the server never converts between zones:
/// naive-UTC `timestamp` columns compare to a naive literal (casting either
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
mod tests;
