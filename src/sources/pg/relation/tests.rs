//! The spec and read plan built from catalog columns, and naive local times ↔ UTC.

use super::*;
use crate::postgres::TableKind;
use crate::sources::pg::config::AuthMapping;

// Built-in type OIDs (see `postgres::types::oid`).
const INT4: u32 = 23;
const TEXT: u32 = 25;
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;
const UUID: u32 = 2950;
const INTERVAL: u32 = 1186;

fn catalog(cols: &[(&str, u32)]) -> Vec<CatalogColumn> {
    cols.iter()
        .map(|(name, oid)| CatalogColumn {
            name: (*name).into(),
            type_oid: *oid,
            type_name: match *oid {
                INTERVAL => "interval".into(),
                other => format!("oid {other}"),
            },
        })
        .collect()
}

fn table(incremental_by: &str, partition_by: &str, key: Option<&str>) -> PgTable {
    PgTable {
        schema: "audit".into(),
        relation: "events".into(),
        dataset: "events".into(),
        incremental_by: incremental_by.into(),
        partition_by: partition_by.into(),
        key: key.map(Into::into),
        columns: None,
        lookback: std::time::Duration::from_secs(3600),
        timestamp_zone: chrono_tz::Europe::Berlin,
        batch_rows: 1000,
        auth: None,
    }
}

fn audit() -> Vec<CatalogColumn> {
    catalog(&[
        ("id", INT4),
        ("created_at", TIMESTAMP),
        ("logged_at", TIMESTAMPTZ),
        ("uuid", UUID),
        ("who", TEXT),
        ("salt", TEXT),
    ])
}

#[test]
fn an_id_table_is_an_event_table_keyed_by_a_bigint_id() {
    let archive = build(&table("id", "created_at", None), "audit.events", &audit()).unwrap();
    assert_eq!(archive.watermark, Watermark::Key);
    assert!(
        matches!(&archive.table.spec.kind, TableKind::Event { key, time, .. } if key == "id" && time == "created_at")
    );
    assert_eq!(
        archive.table.spec.columns[0].pg_type,
        PgType::Int8,
        "id widened"
    );
    assert_eq!(archive.naive_columns, vec![1], "created_at is naive");
    assert!(!archive.partition_is_zoned);
    assert_eq!(archive.skipped_secret, vec!["salt".to_string()]);
    assert_eq!(archive.table.schema.fields().len(), 5);
}

#[test]
fn a_timestamp_watermark_needs_its_own_key() {
    let err = build(
        &table("logged_at", "logged_at", None),
        "audit.events",
        &audit(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("set `key`"), "{err}");
    let archive = build(
        &table("logged_at", "created_at", Some("uuid")),
        "audit.events",
        &audit(),
    )
    .unwrap();
    assert_eq!(
        archive.watermark,
        Watermark::Time {
            column: "logged_at".into(),
            is_zoned: true
        }
    );
    assert!(matches!(archive.table.spec.kind, TableKind::Log));
}

#[test]
fn missing_columns_wrong_types_and_unsupported_types_name_the_column() {
    let err = build(&table("id", "create_at", None), "audit.events", &audit()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no column \"create_at\" (`partition_by`)"),
        "{text}"
    );
    assert!(text.contains("created_at"), "did you mean: {text}");

    let err = build(&table("who", "created_at", None), "audit.events", &audit()).unwrap_err();
    assert!(
        err.to_string()
            .contains("`incremental_by` needs an integer"),
        "{err}"
    );

    let err = build(&table("id", "who", None), "audit.events", &audit()).unwrap_err();
    assert!(
        err.to_string().contains("`partition_by` needs a timestamp"),
        "{err}"
    );

    let mut cols = audit();
    cols.extend(catalog(&[("duration", INTERVAL)]));
    let err = build(&table("id", "created_at", None), "audit.events", &cols).unwrap_err();
    assert!(
        matches!(&err, RelationError::UnsupportedType { column, type_name, .. } if column == "duration" && type_name == "interval"),
        "{err}"
    );
    // Listing the other columns archives the table without it.
    let mut listed = table("id", "created_at", None);
    listed.columns = Some(vec!["id".into(), "created_at".into()]);
    assert!(build(&listed, "audit.events", &cols).is_ok());
    listed.columns = Some(vec!["id".into(), "created_at".into(), "salt".into()]);
    assert!(matches!(
        build(&listed, "audit.events", &cols),
        Err(RelationError::SecretColumn { .. })
    ));
}

#[test]
fn auth_columns_must_exist_and_be_text_or_integers() {
    let mut t = table("id", "created_at", None);
    t.auth = Some(AuthMapping {
        type_column: "kind".into(),
        user_column: "who".into(),
        machine: Machine::Fixed("crm".into()),
        login_values: vec![],
        logout_values: vec![],
        failed_login_values: vec![],
        login_policy: Default::default(),
        max_session_hours: 1,
    });
    let err = build(&t, "audit.events", &audit()).unwrap_err();
    assert!(err.to_string().contains("`auth.type_column`"), "{err}");
    t.auth.as_mut().unwrap().type_column = "logged_at".into();
    let err = build(&t, "audit.events", &audit()).unwrap_err();
    assert!(
        err.to_string().contains("a text or integer column"),
        "{err}"
    );
    t.auth.as_mut().unwrap().type_column = "id".into();
    assert!(build(&t, "audit.events", &audit()).is_ok());
}

#[test]
fn naive_local_times_become_utc_across_dst_changes() {
    let berlin = chrono_tz::Europe::Berlin;
    let us = |text: &str| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    // Winter: UTC+1; summer: UTC+2.
    assert_eq!(
        naive_to_utc(us("2026-01-10 10:00:00"), berlin),
        Some(us("2026-01-10 09:00:00"))
    );
    assert_eq!(
        naive_to_utc(us("2026-07-10 10:00:00"), berlin),
        Some(us("2026-07-10 08:00:00"))
    );
    // 02:30 on 2026-10-25 happens twice: the first one (summer time).
    assert_eq!(
        naive_to_utc(us("2026-10-25 02:30:00"), berlin),
        Some(us("2026-10-25 00:30:00"))
    );
    // 02:30 on 2026-03-29 does not exist: read with the offset before the jump.
    assert_eq!(
        naive_to_utc(us("2026-03-29 02:30:00"), berlin),
        Some(us("2026-03-29 01:30:00"))
    );
    // And back for predicates.
    assert_eq!(
        utc_to_naive(us("2026-07-10 08:00:00"), berlin),
        Some(us("2026-07-10 10:00:00"))
    );
    assert_eq!(
        naive_to_utc(us("2026-07-10 10:00:00"), chrono_tz::UTC),
        Some(us("2026-07-10 10:00:00"))
    );
}
