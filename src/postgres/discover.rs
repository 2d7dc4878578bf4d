//! Catalog discovery: match a [`TableSpec`] against the columns the server really has.
//!
//! Vendor schemas drift between versions (reference §6b.10: sites 55 → 152 columns,
//! sessions.data dropped in 2023.1, ids widened in 2022.2), so every run checks
//! `sql/extract/discover_columns.sql` instead of trusting the spec.

use std::sync::Arc;

use arrow_schema::Schema;

use super::error::ExtractError;
use super::spec::{ResolvedTable, TableKind, TableSpec};
use super::types::PgType;

/// Columns that hold credentials in the repositories we read (reference §2: system_users,
/// workbooks, datasources, sessions). Never selected, whatever a spec says.
pub const SECRET_COLUMNS: &[&str] = &[
    "hashed_password",
    "salt",
    "keychain",
    "protected_password",
    "embedded",
    "hashed_secret",
];

pub(super) const DISCOVER_COLUMNS_SQL: &str =
    include_str!("../../sql/extract/discover_columns.sql");

/// One row of `discover_columns.sql`.
#[derive(Debug, Clone)]
pub struct CatalogColumn {
    pub name: String,
    pub type_oid: u32,
    /// `format_type(...)`, e.g. `character varying(255)`, for messages.
    pub type_name: String,
}

/// What the catalog says about one table.
#[derive(Debug, Clone)]
pub enum Catalog {
    Absent,
    NoPrivilege,
    Columns(Vec<CatalogColumn>),
}

/// Fails when a spec names a secret column, before anything is sent to the server.
pub(super) fn reject_secret_columns(spec: &TableSpec) -> Result<(), ExtractError> {
    match spec
        .columns
        .iter()
        .find(|c| SECRET_COLUMNS.contains(&c.name.as_str()))
    {
        Some(c) => Err(ExtractError::SecretColumn {
            table: spec.table.clone(),
            column: c.name.clone(),
        }),
        None => Ok(()),
    }
}

/// Matches `spec` to the catalog. Ok(None): an optional table the server lacks.
pub(super) fn match_spec(
    spec: &TableSpec,
    catalog: Catalog,
    user: &str,
) -> Result<Option<ResolvedTable>, ExtractError> {
    reject_secret_columns(spec)?;
    let table = || spec.table.clone();
    let server = match catalog {
        Catalog::Absent if spec.is_optional => return Ok(None),
        Catalog::Absent => return Err(ExtractError::MissingTable { table: table() }),
        Catalog::NoPrivilege => {
            return Err(ExtractError::PermissionDenied {
                table: table(),
                user: user.to_owned(),
            })
        }
        Catalog::Columns(columns) => columns,
    };

    let mut present = Vec::new();
    let mut missing = Vec::new();
    for col in &spec.columns {
        let Some(found) = server.iter().find(|s| s.name == col.name) else {
            if col.is_required {
                return Err(ExtractError::MissingColumn {
                    table: table(),
                    column: col.name.clone(),
                });
            }
            missing.push(col.name.clone());
            continue;
        };
        let actual =
            PgType::from_oid(found.type_oid).ok_or_else(|| ExtractError::UnsupportedType {
                table: table(),
                column: col.name.clone(),
                type_name: found.type_name.clone(),
            })?;
        if !col.pg_type.accepts(actual) {
            return Err(ExtractError::TypeMismatch {
                table: table(),
                column: col.name.clone(),
                expected: col.pg_type,
                actual: found.type_name.clone(),
            });
        }
        present.push((col.clone(), actual));
    }

    // An event table is read by key and cut by time: both must be real, readable columns.
    if let TableKind::Event { key, time, .. } = &spec.kind {
        let actual_of = |name: &str| {
            present
                .iter()
                .find(|(c, _)| c.name == name)
                .map(|(_, t)| *t)
        };
        let checks = [
            (
                key,
                PgType::Int8,
                matches!(
                    actual_of(key),
                    Some(PgType::Int2 | PgType::Int4 | PgType::Int8)
                ),
            ),
            (
                time,
                PgType::Timestamp,
                matches!(
                    actual_of(time),
                    Some(PgType::Timestamp | PgType::TimestampTz)
                ),
            ),
        ];
        for (name, expected, is_usable) in checks {
            match actual_of(name) {
                None => {
                    return Err(ExtractError::MissingColumn {
                        table: table(),
                        column: name.clone(),
                    })
                }
                Some(actual) if !is_usable => {
                    return Err(ExtractError::TypeMismatch {
                        table: table(),
                        column: name.clone(),
                        expected,
                        actual: actual.sql_name().to_owned(),
                    })
                }
                Some(_) => {}
            }
        }
    }

    let ignored = server
        .iter()
        .filter(|s| !spec.columns.iter().any(|c| c.name == s.name))
        .map(|s| s.name.clone())
        .collect();
    let fields: Vec<_> = spec
        .columns
        .iter()
        .map(|c| c.pg_type.arrow_field(&c.name))
        .collect();
    Ok(Some(ResolvedTable {
        spec: spec.clone(),
        schema: Arc::new(Schema::new(fields)),
        present,
        missing,
        ignored,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::spec::ColumnSpec;
    use crate::postgres::types::oid;

    fn col(name: &str, pg_type: PgType, is_required: bool) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            pg_type,
            is_required,
        }
    }

    fn server(cols: &[(&str, u32)]) -> Catalog {
        Catalog::Columns(
            cols.iter()
                .map(|(n, o)| CatalogColumn {
                    name: (*n).into(),
                    type_oid: *o,
                    type_name: format!("oid{o}"),
                })
                .collect(),
        )
    }

    fn requests_spec() -> TableSpec {
        TableSpec {
            dataset: "http_requests".into(),
            schema: "public".into(),
            table: "http_requests".into(),
            columns: vec![
                col("id", PgType::Int8, true),
                col("created_at", PgType::Timestamp, true),
                col("flags_used", PgType::Int8, false),
            ],
            kind: TableKind::Event {
                key: "id".into(),
                time: "created_at".into(),
                pending: None,
                pending_column: None,
            },
            is_optional: false,
            row_filter: None,
        }
    }

    #[test]
    fn widened_id_missing_optional_and_ignored_columns() {
        let cat = server(&[
            ("id", oid::INT4),
            ("controller", oid::VARCHAR),
            ("created_at", oid::TIMESTAMP),
        ]);
        let t = match_spec(&requests_spec(), cat, "readonly")
            .unwrap()
            .unwrap();
        assert_eq!(t.present.len(), 2);
        assert_eq!(
            t.present[0].1,
            PgType::Int4,
            "server type kept for the decoder"
        );
        assert_eq!(t.missing, vec!["flags_used".to_string()]);
        assert_eq!(t.ignored, vec!["controller".to_string()]);
        let names: Vec<_> = t
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            ["id", "created_at", "flags_used"],
            "schema = all spec columns in spec order"
        );
    }

    #[test]
    fn absent_tables() {
        let mut spec = requests_spec();
        assert!(matches!(
            match_spec(&spec, Catalog::Absent, "u"),
            Err(ExtractError::MissingTable { .. })
        ));
        spec.is_optional = true;
        assert!(match_spec(&spec, Catalog::Absent, "u").unwrap().is_none());
        assert!(matches!(
            match_spec(&spec, Catalog::NoPrivilege, "u"),
            Err(ExtractError::PermissionDenied { .. })
        ));
    }

    #[test]
    fn missing_required_column_names_table_and_column() {
        let err = match_spec(&requests_spec(), server(&[("id", oid::INT8)]), "u").unwrap_err();
        assert!(
            matches!(&err, ExtractError::MissingColumn { table, column } if table == "http_requests" && column == "created_at")
        );
    }

    #[test]
    fn incompatible_and_unsupported_types() {
        let err = match_spec(
            &requests_spec(),
            server(&[("id", oid::TEXT), ("created_at", oid::TIMESTAMP)]),
            "u",
        )
        .unwrap_err();
        assert!(
            matches!(err, ExtractError::TypeMismatch { ref column, .. } if column == "id"),
            "{err}"
        );
        let err = match_spec(
            &requests_spec(),
            server(&[("id", oid::INT8), ("created_at", 1186)]),
            "u",
        )
        .unwrap_err();
        assert!(
            matches!(err, ExtractError::UnsupportedType { ref column, .. } if column == "created_at"),
            "{err}"
        );
    }

    #[test]
    fn event_key_must_be_integer_and_time_a_timestamp() {
        let mut spec = requests_spec();
        spec.columns[1] = col("created_at", PgType::Text, true);
        let err = match_spec(
            &spec,
            server(&[("id", oid::INT8), ("created_at", oid::TEXT)]),
            "u",
        )
        .unwrap_err();
        assert!(
            matches!(err, ExtractError::TypeMismatch { ref column, .. } if column == "created_at"),
            "{err}"
        );
        spec.columns.remove(1);
        let err = match_spec(
            &spec,
            server(&[("id", oid::INT8), ("created_at", oid::TIMESTAMP)]),
            "u",
        )
        .unwrap_err();
        assert!(
            matches!(err, ExtractError::MissingColumn { ref column, .. } if column == "created_at"),
            "{err}"
        );
    }

    #[test]
    fn secret_columns_are_refused_even_if_present() {
        let mut spec = requests_spec();
        spec.columns
            .push(col("hashed_password", PgType::Text, false));
        let err = match_spec(
            &spec,
            server(&[("id", oid::INT8), ("hashed_password", oid::VARCHAR)]),
            "u",
        )
        .unwrap_err();
        assert!(
            matches!(err, ExtractError::SecretColumn { ref column, .. } if column == "hashed_password")
        );
    }
}
