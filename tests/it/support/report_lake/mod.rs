//! A generated lake for the report tests: a Tableau source (`tab`, two sites) and an
//! ArcGIS source (`agol`), written with the real datasets' schemas, deterministic
//! pseudo-random activity over three weeks that cross the end of daylight saving time in
//! Europe/Zurich (2026-10-25), plus the awkward cases: anonymous requests (user id NULL
//! and 0), a user missing from `system_users`, deleted and never-viewed content, content
//! created after the range, members who never signed in, two snapshots of the users.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    new_null_array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::{Duration, NaiveDate, TimeZone};
use parquet::arrow::ArrowWriter;

mod arcgis;
mod tableau;

use arcgis::arcgis;
use tableau::tableau;

pub const TZ: &str = "Europe/Zurich";
pub const FIRST_DAY: (i32, u32, u32) = (2026, 10, 19);
pub const DAYS: i64 = 21;

/// One cell of a generated row.
#[derive(Debug, Clone)]
pub enum V {
    I(i64),
    S(String),
    T(i64),
    B(bool),
}

pub type Row = Vec<(&'static str, V)>;

fn s(text: impl Into<String>) -> V {
    V::S(text.into())
}

/// A batch of `schema` with the given values; columns a row does not name are NULL.
pub fn batch(schema: &SchemaRef, rows: &[Row]) -> RecordBatch {
    let value =
        |row: &Row, name: &str| row.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let values: Vec<Option<V>> = rows.iter().map(|r| value(r, f.name())).collect();
            let array: ArrayRef = match f.data_type() {
                DataType::Int32 => {
                    Arc::new(Int32Array::from_iter(values.iter().map(|v| match v {
                        Some(V::I(i)) => Some(*i as i32),
                        _ => None,
                    })))
                }
                DataType::Int64 => {
                    Arc::new(Int64Array::from_iter(values.iter().map(|v| match v {
                        Some(V::I(i)) => Some(*i),
                        _ => None,
                    })))
                }
                DataType::Utf8 => {
                    Arc::new(StringArray::from_iter(values.iter().map(|v| match v {
                        Some(V::S(t)) => Some(t.clone()),
                        _ => None,
                    })))
                }
                DataType::Boolean => {
                    Arc::new(BooleanArray::from_iter(values.iter().map(|v| match v {
                        Some(V::B(b)) => Some(*b),
                        _ => None,
                    })))
                }
                DataType::Timestamp(_, zone) => Arc::new(
                    TimestampMicrosecondArray::from_iter(values.iter().map(|v| match v {
                        Some(V::T(t)) => Some(*t),
                        _ => None,
                    }))
                    .with_timezone_opt(zone.clone()),
                ),
                other => new_null_array(other, rows.len()),
            };
            array
        })
        .collect();
    // The lake's files declare every column nullable except keys; NULL-filled optional
    // columns must not trip a non-nullable field here.
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

pub fn write(
    root: &Path,
    source: &str,
    dataset: &str,
    partition: &str,
    schema: &SchemaRef,
    rows: &[Row],
) {
    let dir = root.join(source).join(dataset).join(partition);
    std::fs::create_dir_all(&dir).unwrap();
    let b = batch(schema, rows);
    let mut writer = ArrowWriter::try_new(
        File::create(dir.join("part-0.parquet")).unwrap(),
        b.schema(),
        None,
    )
    .unwrap();
    writer.write(&b).unwrap();
    writer.close().unwrap();
}

fn spec_schema(dataset: &str) -> SchemaRef {
    let spec = usagelake::sources::tableau::tables::table_spec(dataset, false).unwrap();
    Arc::new(Schema::new(
        spec.columns
            .iter()
            .map(|c| Field::new(&c.name, c.pg_type.arrow_type(), true))
            .collect::<Vec<_>>(),
    ))
}

/// Deterministic pseudo-random numbers (a 64-bit LCG: reproducible on every platform).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).unwrap()
}

fn utc_us(local: chrono::NaiveDateTime) -> i64 {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    tz.from_local_datetime(&local)
        .earliest()
        .unwrap()
        .timestamp_micros()
}

fn day_name(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub struct ReportLake {
    pub dir: tempfile::TempDir,
    pub pipeline: PathBuf,
}

impl ReportLake {
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }
}

/// Tableau people: (system user id, name, friendly name, site memberships as
/// (users.id, site id, site role id)).
const PEOPLE: usize = 14;

pub fn generate() -> ReportLake {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            r#"time_zone = "{TZ}"

[output]
root = "lake"

[[sources]]
name = "tab"
kind = "tableau"
host = "127.0.0.1"
user = "readonly"
password_env = "UNUSED_BY_REPORTS"

[[sources]]
name = "agol"
kind = "arcgis"
portal_url = "https://example.maps.arcgis.com"
username = "admin"
password_env = "UNUSED_BY_REPORTS"
"#
        ),
    )
    .unwrap();
    let root = dir.path().join("lake");
    tableau(&root);
    arcgis(&root);
    ReportLake { dir, pipeline }
}
