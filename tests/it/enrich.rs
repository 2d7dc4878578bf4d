//! `requests_enriched` and the seed datasets on a hand-built repository holding every
//! oddity (tests/it/fixtures/enrich.sql), asserted row by row and read back with the
//! parquet crate only.

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use crate::support::cli::{assert_success, LakeFixture, PipelineSpec};
use crate::support::lake::{counts_by_partition, parquet_files, partition_of, read_batches};
use crate::support::pg::{TestDb, DEMO_SCHEMA_SQL};

const FIXTURE_SQL: &str = include_str!("fixtures/enrich.sql");

/// Every value of one row as text ("-" for NULL), by column name.
type Row = BTreeMap<String, String>;

fn cell(array: &dyn Array, i: usize) -> String {
    if array.is_null(i) {
        return "-".into();
    }
    match array.data_type() {
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i).to_string(),
        DataType::Utf8 => array.as_string::<i32>().value(i).to_string(),
        DataType::Boolean => array.as_boolean().value(i).to_string(),
        DataType::Float64 => array
            .as_primitive::<arrow_array::types::Float64Type>()
            .value(i)
            .to_string(),
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(i);
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(days as u64))
                .to_string()
        }
        DataType::Timestamp(_, _) => {
            let us = array.as_primitive::<TimestampMicrosecondType>().value(i);
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .naive_utc()
                .to_string()
        }
        other => format!("<{other}>"),
    }
}

fn rows(dataset_dir: &Path) -> Vec<(String, Row)> {
    let mut out = Vec::new();
    for file in parquet_files(dataset_dir) {
        let partition = partition_of(&file);
        for batch in read_batches(&file) {
            out.extend(
                batch_rows(&batch)
                    .into_iter()
                    .map(|r| (partition.clone(), r)),
            );
        }
    }
    out
}

fn batch_rows(batch: &RecordBatch) -> Vec<Row> {
    (0..batch.num_rows())
        .map(|i| {
            batch
                .schema()
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, a)| (f.name().clone(), cell(a.as_ref(), i)))
                .collect()
        })
        .collect()
}

fn by_id(dataset_dir: &Path) -> BTreeMap<i64, Row> {
    rows(dataset_dir)
        .into_iter()
        .map(|(_, r)| (r["id"].parse().unwrap(), r))
        .collect()
}

const CHECKED: &[&str] = &[
    "item_type",
    "resolution_method",
    "view_id",
    "view_name",
    "workbook_id",
    "workbook_name",
    "datasource_id",
    "datasource_name",
    "project_id",
    "project_name",
    "owner_name",
    "user_name",
    "friendly_name",
    "site_name",
    "site_role",
    "is_view_load",
];

fn assert_row(rows: &BTreeMap<i64, Row>, id: i64, want: &str) {
    let row = &rows[&id];
    let got: Vec<&str> = CHECKED.iter().map(|c| row[*c].as_str()).collect();
    let want: Vec<&str> = want.split('|').map(str::trim).collect();
    assert_eq!(got, want, "request {id}; columns {CHECKED:?}");
}

async fn fixture_db() -> TestDb {
    let db = TestDb::new().await;
    db.exec(DEMO_SCHEMA_SQL).await;
    db.exec(FIXTURE_SQL).await;
    db
}

#[tokio::test]
async fn every_oddity_resolves_to_the_right_ids_and_names_at_its_point_in_time() {
    let db = fixture_db().await;
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.time_zone = "America/New_York";
    let lake = LakeFixture::new(&spec);
    assert_success(&lake.run_with_env(&[], &[("USAGELAKE_TODAY", "2026-11-02")]));
    let enriched = lake.dataset_dir("requests_enriched");
    let rows = by_id(&enriched);
    // item | method | view | view name | wb | wb name | ds | ds name | project | project name |
    // owner | user | friendly | site | role | view load
    let expected = [
        (1, "View | current_sheet | 1 | Overview | 1 | Superstore | - | - | 11 | Analytics | ben | ana | Ana Smith | Default | Viewer | true"),
        // Same currentsheet, other site: that site's own view (§6(b).3).
        (2, "View | current_sheet | 40 | Overview (Sales) | 32 | Superstore | - | - | 31 | Sales Ops | ana | ana | Ana Smith | Sales | SiteAdministrator | true"),
        (3, "View | customized_view | 1 | Overview | 1 | Superstore | - | - | 11 | Analytics | ben | ben | Ben Garcia | Default | Creator | false"),
        (4, "Data Source | datasource_prefix | - | - | - | - | 7 | Superstore Sales | 11 | Analytics | ana | ana | Ana Smith | Default | Viewer | false"),
        // '/null' falls back to the URI; a NULL user is unknown, not a failure.
        (5, "View | uri_views | 2 | Trend | 1 | Superstore | - | - | 11 | Analytics | ben | - | - | Default | - | false"),
        // Deleted view: hist name (latest of its two hist rows), no id left; user 0 unknown.
        (6, "View | current_sheet | - | Detail | 1 | Superstore | - | - | 11 | Analytics | ben | - | - | Default | - | true"),
        (7, "- | unresolved | - | - | - | - | - | - | - | - | - | ana | Ana Smith | Default | Viewer | false"),
        (8, "View | unresolved | - | - | - | - | - | - | - | - | - | ana | Ana Smith | Default | Viewer | false"),
    ];
    for (id, want) in expected {
        assert_row(&rows, id, want);
    }
    // Derived per-row columns: 14:00Z on the fall-back day is 09:00 EST.
    assert_eq!(rows[&1]["local_time"], "2026-11-01 09:00:00");
    assert_eq!(rows[&1]["local_date"], "2026-11-01");
    assert_eq!(rows[&1]["duration_ms"], "1500");
    assert_eq!(rows[&5]["export_type"], "pdf");
    assert_eq!(rows[&8]["duration_ms"], "-");
    assert_eq!(
        counts_by_partition(&enriched, "id"),
        counts_by_partition(&lake.dataset_dir("http_requests"), "id")
    );

    // Rename a view and a user, add a request on a later day, run on a later snapshot date.
    db.exec(
        "UPDATE views SET name = 'Trend (renamed)' WHERE id = 2;
         UPDATE system_users SET friendly_name = 'Ana Smith-Jones' WHERE id = 2;
         INSERT INTO http_requests (id, created_at, completed_at, action, http_request_uri, currentsheet,
           site_id, user_id, status, session_id)
         VALUES (9, '2026-11-03 16:00', '2026-11-03 16:00:00.4', 'show', '/views/Superstore/Trend',
           'Superstore/Trend', 1, 101, 200, 'w9');",
    )
    .await;
    assert_success(&lake.run_with_env(&[], &[("USAGELAKE_TODAY", "2026-11-03")]));
    let rows = by_id(&enriched);
    assert_row(&rows, 9, "View | current_sheet | 2 | Trend (renamed) | 1 | Superstore | - | - | 11 | Analytics | ben | ana | Ana Smith-Jones | Default | Viewer | false");
    // Earlier days keep the snapshot in force then: the old names.
    assert_eq!(rows[&5]["view_name"], "Trend");
    assert_eq!(rows[&1]["friendly_name"], "Ana Smith");

    // A lost enriched partition is rebuilt by the next run (raw and enriched counts differ).
    std::fs::remove_dir_all(enriched.join("event_date=2026-11-01")).unwrap();
    assert_success(&lake.run_with_env(&[], &[("USAGELAKE_TODAY", "2026-11-03")]));
    assert_eq!(
        counts_by_partition(&enriched, "id"),
        counts_by_partition(&lake.dataset_dir("http_requests"), "id")
    );
    assert_eq!(by_id(&enriched)[&5]["view_name"], "Trend");

    assert_seeds(&lake);
    assert_run_summary(&lake);
}

fn assert_seeds(lake: &LakeFixture) {
    let logins = rows(&lake.dataset_dir("logins"));
    let ana_day1 = logins
        .iter()
        .find(|(p, r)| p == "event_date=2026-11-01" && r["user_id"] == "101")
        .map(|(_, r)| r)
        .expect("ana's login row on 2026-11-01");
    assert_eq!(ana_day1["first_request_at"], "2026-11-01 14:00:00");
    assert_eq!(ana_day1["last_request_at"], "2026-11-01 14:15:00");
    assert_eq!(
        (ana_day1["requests"].as_str(), ana_day1["sessions"].as_str()),
        ("2", "1")
    );
    assert!(logins
        .iter()
        .all(|(_, r)| r["user_id"] != "-" && r["user_id"] != "0"));

    let usage = rows(&lake.dataset_dir("usage_daily"));
    let overview = usage
        .iter()
        .find(|(p, r)| p == "event_date=2026-11-01" && r["view_id"] == "1" && r["user_id"] == "101")
        .map(|(_, r)| r)
        .expect("usage row of view 1 by user 101");
    assert_eq!(overview["view_loads"], "1");
    assert_eq!(overview["median_load_ms"], "1500");
    assert!(
        usage.iter().all(|(_, r)| r["item_type"] != "-"),
        "unresolved rows excluded"
    );

    let extracts = rows(&lake.dataset_dir("extracts_workbooks"));
    let mut got: Vec<String> = extracts
        .iter()
        .filter(|(p, _)| p == "snapshot_date=2026-11-03")
        .map(|(_, r)| {
            format!(
                "{} {} {} {} {} {}",
                r["extract_id"],
                r["item_type"],
                r["workbook_name"],
                r["datasource_name"],
                r["project_name"],
                r["owner_name"]
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "1 Workbook Superstore - Analytics ben",
            "2 Data Source - Superstore Sales Analytics ana"
        ]
    );
}

fn assert_run_summary(lake: &LakeFixture) {
    let runs = lake.root().join("_usagelake").join("runs");
    let latest = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(latest).unwrap()).unwrap();
    let report = &summary["sources"][0]["transform"]["resolution"];
    assert!(
        report["view_like_requests"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(report["by_method"].is_object(), "{report}");
}
