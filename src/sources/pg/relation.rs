//! A configured table matched against the server's catalog: which columns exist, with
//! which types, and how the run reads it (by an integer key or a timestamp watermark).
//!
//! The table spec is built from the catalog (every column, or the configured ones), so
//! the lake schema follows the relation; the shared extractor then reads it like any
//! other spec. Problems name the relation, the column and its type, and say what to do.

use arrow_schema::{DataType, TimeUnit};
use chrono_tz::Tz;

use super::config::{Machine, PgTable};
use crate::postgres::{
    Catalog, CatalogColumn, ColumnSpec, ExtractError, PgSession, PgType, ResolvedTable, TableKind,
    TableSpec, SECRET_COLUMNS,
};

/// Why a configured table cannot be read as configured.
#[derive(Debug, thiserror::Error)]
pub enum RelationError {
    #[error("relation {relation} does not exist or is not visible to user {user:?} (check the schema, the name's case, and the user's USAGE on the schema)")]
    Missing { relation: String, user: String },
    #[error("user {user:?} may not SELECT from {relation}; GRANT SELECT ON {relation} TO {user}")]
    NoPrivilege { relation: String, user: String },
    #[error("relation {relation} has no column {column:?} (`{key}`){hint}")]
    MissingColumn {
        relation: String,
        column: String,
        key: &'static str,
        /// " — did you mean …?" or empty.
        hint: String,
    },
    #[error("relation {relation} column {column:?} has type {type_name}, which usagelake cannot archive; list the other columns in `columns` (or cast it in a view, e.g. {column}::text)")]
    UnsupportedType {
        relation: String,
        column: String,
        type_name: String,
    },
    #[error("relation {relation} column {column:?} (`{key}`) is {type_name}, but `{key}` needs {expected}")]
    WrongType {
        relation: String,
        column: String,
        key: &'static str,
        type_name: String,
        expected: &'static str,
    },
    #[error("relation {relation} column {column:?} holds credentials and is never archived; remove it from `columns`")]
    SecretColumn { relation: String, column: String },
    #[error(transparent)]
    Catalog(#[from] ExtractError),
}

/// How a table's new rows are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watermark {
    /// An integer column from a sequence: `key > watermark` (TableKind::Event).
    Key,
    /// A timestamp column: `column >= newest - lookback OR column IS NULL`.
    Time { column: String, is_zoned: bool },
}

/// A configured table ready to read.
#[derive(Debug, Clone)]
pub struct Archive {
    pub config: PgTable,
    pub table: ResolvedTable,
    pub watermark: Watermark,
    /// The partition column is `timestamp with time zone` (else naive, in `timestamp_zone`).
    pub partition_is_zoned: bool,
    /// Schema positions of naive timestamp columns, converted from local time in
    /// `config.timestamp_zone` to UTC in every batch.
    pub naive_columns: Vec<usize>,
    /// Credential columns of the relation left out of an all-columns archive.
    pub skipped_secret: Vec<String>,
}

impl Archive {
    pub fn relation(&self) -> String {
        format!("{}.{}", self.config.schema, self.config.relation)
    }

    pub fn index_of(&self, column: &str) -> usize {
        self.table
            .schema
            .index_of(column)
            .expect("resolved columns are in the schema")
    }
}

/// Reads the catalog and builds the table's spec. Every problem with the configuration
/// comes back as one error naming the relation and column.
pub async fn resolve(
    session: &PgSession,
    config: &PgTable,
    user: &str,
) -> Result<Archive, RelationError> {
    let relation = format!("{}.{}", config.schema, config.relation);
    let catalog = session.describe(&config.schema, &config.relation).await?;
    let server = match catalog {
        Catalog::Absent => {
            return Err(RelationError::Missing {
                relation,
                user: user.to_owned(),
            })
        }
        Catalog::NoPrivilege => {
            return Err(RelationError::NoPrivilege {
                relation,
                user: user.to_owned(),
            })
        }
        Catalog::Columns(columns) => columns,
    };
    let archive = build(config, &relation, &server)?;
    // The shared matcher checks the same facts again (types, the event key and time).
    let table =
        session
            .resolve(&archive.table.spec)
            .await?
            .ok_or_else(|| RelationError::Missing {
                relation: relation.clone(),
                user: user.to_owned(),
            })?;
    Ok(Archive { table, ..archive })
}

/// The spec and read plan from the catalog's columns (pure, unit-tested).
pub fn build(
    config: &PgTable,
    relation: &str,
    server: &[CatalogColumn],
) -> Result<Archive, RelationError> {
    let find = |name: &str, key: &'static str| -> Result<&CatalogColumn, RelationError> {
        server.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = server.iter().map(|c| c.name.as_str()).collect();
            RelationError::MissingColumn {
                relation: relation.to_owned(),
                column: name.to_owned(),
                key,
                hint: crate::config::did_you_mean(name, &names)
                    .map(|h| format!(" — {h}"))
                    .unwrap_or_default(),
            }
        })
    };
    let type_of = |c: &CatalogColumn| {
        PgType::from_oid(c.type_oid).ok_or_else(|| RelationError::UnsupportedType {
            relation: relation.to_owned(),
            column: c.name.clone(),
            type_name: c.type_name.clone(),
        })
    };
    let wrong =
        |c: &CatalogColumn, key: &'static str, expected: &'static str| RelationError::WrongType {
            relation: relation.to_owned(),
            column: c.name.clone(),
            key,
            type_name: c.type_name.clone(),
            expected,
        };

    // Columns in output order.
    let mut skipped_secret = Vec::new();
    let chosen: Vec<&CatalogColumn> = match &config.columns {
        Some(listed) => {
            let mut chosen = Vec::with_capacity(listed.len());
            for name in listed {
                if SECRET_COLUMNS.contains(&name.as_str()) {
                    return Err(RelationError::SecretColumn {
                        relation: relation.to_owned(),
                        column: name.clone(),
                    });
                }
                chosen.push(find(name, "columns")?);
            }
            chosen
        }
        None => server
            .iter()
            .filter(|c| {
                let is_secret = SECRET_COLUMNS.contains(&c.name.as_str());
                if is_secret {
                    skipped_secret.push(c.name.clone());
                }
                !is_secret
            })
            .collect(),
    };

    let incremental = find(&config.incremental_by, "incremental_by")?;
    let partition = find(&config.partition_by, "partition_by")?;
    let key = find(config.key_column(), "key")?;
    let incremental_type = type_of(incremental)?;
    let partition_type = type_of(partition)?;
    let key_type = type_of(key)?;
    let is_integer = |t: PgType| matches!(t, PgType::Int2 | PgType::Int4 | PgType::Int8);
    let is_time = |t: PgType| matches!(t, PgType::Timestamp | PgType::TimestampTz);
    if !is_time(partition_type) {
        return Err(wrong(
            partition,
            "partition_by",
            "a timestamp or timestamptz column",
        ));
    }
    let watermark = if is_integer(incremental_type) {
        Watermark::Key
    } else if is_time(incremental_type) {
        if config.key.is_none() {
            return Err(wrong(
                incremental,
                "key",
                "its own key column: set `key` (an id or uuid column) when incremental_by is a timestamp",
            ));
        }
        Watermark::Time {
            column: incremental.name.clone(),
            is_zoned: incremental_type.is_zoned(),
        }
    } else {
        return Err(wrong(
            incremental,
            "incremental_by",
            "an integer (id from a sequence) or a timestamp/timestamptz column",
        ));
    };
    // The lake merges by Int64, Int32 or text keys.
    if !(is_integer(key_type) || matches!(key_type, PgType::Text | PgType::Uuid)) {
        return Err(wrong(key, "key", "an integer, text or uuid column"));
    }
    if let Some(auth) = &config.auth {
        let machine = match &auth.machine {
            Machine::Column(c) => Some(c.as_str()),
            Machine::Fixed(_) => None,
        };
        for (name, key) in [
            (Some(auth.type_column.as_str()), "auth.type_column"),
            (Some(auth.user_column.as_str()), "auth.user_column"),
            (machine, "auth.machine_column"),
        ] {
            let Some(name) = name else { continue };
            let column = find(name, key)?;
            if !matches!(
                type_of(column)?,
                PgType::Text | PgType::Int2 | PgType::Int4 | PgType::Int8
            ) {
                return Err(wrong(column, key, "a text or integer column"));
            }
            if !chosen.iter().any(|c| c.name == name) {
                return Err(RelationError::MissingColumn {
                    relation: relation.to_owned(),
                    column: name.to_owned(),
                    key,
                    hint: " — it is not archived (add it to `columns`)".into(),
                });
            }
        }
    }

    let mut columns = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let actual = type_of(c)?;
        // Integer ids the run reads by are widened to bigint so the watermark statistics
        // and the merge key have one type whatever the server stores.
        let is_id = c.name == config.incremental_by && matches!(watermark, Watermark::Key);
        let is_key = c.name == config.key_column();
        let pg_type = if (is_id || is_key) && is_integer(actual) {
            PgType::Int8
        } else {
            actual
        };
        columns.push(ColumnSpec {
            name: c.name.clone(),
            pg_type,
            is_required: true,
        });
    }
    let kind = match &watermark {
        Watermark::Key => TableKind::Event {
            key: config.incremental_by.clone(),
            time: config.partition_by.clone(),
            pending: None,
            pending_column: None,
        },
        Watermark::Time { .. } => TableKind::Log,
    };
    let spec = TableSpec {
        dataset: config.dataset.clone(),
        schema: config.schema.clone(),
        table: config.relation.clone(),
        columns,
        kind,
        is_optional: false,
        row_filter: None,
    };
    let fields: Vec<_> = spec
        .columns
        .iter()
        .map(|c| c.pg_type.arrow_field(&c.name))
        .collect();
    let naive_columns = chosen
        .iter()
        .enumerate()
        .filter(|(_, c)| PgType::from_oid(c.type_oid) == Some(PgType::Timestamp))
        .map(|(i, _)| i)
        .collect();
    let present = spec
        .columns
        .iter()
        .zip(&chosen)
        .map(|(spec, c)| (spec.clone(), PgType::from_oid(c.type_oid).expect("checked")))
        .collect();
    Ok(Archive {
        config: config.clone(),
        table: ResolvedTable {
            spec,
            schema: std::sync::Arc::new(arrow_schema::Schema::new(fields)),
            present,
            missing: Vec::new(),
            ignored: Vec::new(),
        },
        watermark,
        partition_is_zoned: partition_type.is_zoned(),
        naive_columns,
        skipped_secret,
    })
}

/// Local wall-clock time in `zone` (a naive `timestamp` value read as UTC µs) → the UTC
/// instant. A time in the repeated hour when clocks go back is its first occurrence; a
/// time in the skipped hour (which no correct clock wrote) is read with the offset before
/// the change, i.e. as the instant the clock would have shown had it not jumped.
pub fn naive_to_utc(naive_us: i64, zone: Tz) -> Option<i64> {
    use chrono::{Offset, TimeZone};
    let naive = chrono::DateTime::from_timestamp_micros(naive_us)?.naive_utc();
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Some(t.timestamp_micros()),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.timestamp_micros()),
        chrono::LocalResult::None => {
            let before = naive - chrono::Duration::hours(3);
            let offset = zone.offset_from_local_datetime(&before).earliest()?.fix();
            Some(
                (naive - chrono::Duration::seconds(i64::from(offset.local_minus_utc())))
                    .and_utc()
                    .timestamp_micros(),
            )
        }
    }
}

/// A UTC instant → local wall-clock time in `zone`, as naive µs (for predicates on a
/// naive column).
pub fn utc_to_naive(utc_us: i64, zone: Tz) -> Option<i64> {
    let at = chrono::DateTime::from_timestamp_micros(utc_us)?.with_timezone(&zone);
    Some(at.naive_local().and_utc().timestamp_micros())
}

/// Rewrites the naive timestamp columns of a batch from local time to UTC.
pub fn localize(
    archive: &Archive,
    batch: arrow_array::RecordBatch,
) -> Result<arrow_array::RecordBatch, ExtractError> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::{Array, ArrayRef, TimestampMicrosecondArray};
    let zone = archive.config.timestamp_zone;
    if archive.naive_columns.is_empty() || zone == chrono_tz::UTC {
        return Ok(batch);
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for &i in &archive.naive_columns {
        let values = columns[i].as_primitive::<TimestampMicrosecondType>();
        let mut out = Vec::with_capacity(values.len());
        for (row, value) in values.iter().enumerate() {
            out.push(match value {
                None => None,
                Some(v) => Some(naive_to_utc(v, zone).ok_or_else(|| ExtractError::Decode {
                    table: archive.relation(),
                    column: batch.schema().field(i).name().clone(),
                    row: row as u64 + 1,
                    message: format!("local time {v} µs cannot be placed in {zone}"),
                })?),
            });
        }
        debug_assert!(matches!(
            columns[i].data_type(),
            DataType::Timestamp(TimeUnit::Microsecond, _)
        ));
        columns[i] = std::sync::Arc::new(TimestampMicrosecondArray::from(out).with_timezone("UTC"));
    }
    arrow_array::RecordBatch::try_new(batch.schema(), columns).map_err(|e| ExtractError::Decode {
        table: archive.relation(),
        column: "<batch>".into(),
        row: 0,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
