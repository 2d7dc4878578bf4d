//! Source kind `postgres` end to end through the binary against a real PostgreSQL:
//! application tables archived by id and by timestamp, views, the types users have,
//! NULLs, reruns and late rows (`archive`), `check`/`status`/`backfill` (`ops`), no
//! transaction held while the lake publishes (`publish`), and an
//! audit table feeding `auth_events` and `sessions`, one test per session rule
//! (`sessions`).

mod archive;
mod ops;
mod publish;
mod sessions;

use std::path::{Path, PathBuf};
use std::process::Output;

use arrow_array::RecordBatch;

use crate::support::cli::{assert_success, usagelake};
use crate::support::lake::{parquet_files, partition_of, read_batches};
use crate::support::TestDb;

/// A test database with the tables a test creates, a pipeline with one `postgres`
/// source named `app` pointing at it (zone Europe/Berlin), and the lake under `lake/`.
pub struct PgLake {
    pub db: TestDb,
    pub dir: tempfile::TempDir,
    pub pipeline: PathBuf,
}

impl PgLake {
    /// `setup`: SQL run first (tables, rows); `tables`: the `[[sources.tables]]` TOML.
    pub async fn new(setup: &str, tables: &str) -> PgLake {
        let db = TestDb::new().await;
        db.exec(setup).await;
        let dir = tempfile::tempdir().unwrap();
        let pipeline = dir.path().join("pipeline.toml");
        let lake = PgLake { db, dir, pipeline };
        lake.write_pipeline(tables);
        lake
    }

    pub fn write_pipeline(&self, tables: &str) {
        let text = format!(
            r#"time_zone = "Europe/Berlin"

[output]
root = "lake"

[[sources]]
name = "app"
kind = "postgres"
host = "{host}"
port = {port}
database = "{db}"
user = "postgres"
sslmode = "disable"
batch_rows = 3
{tables}"#,
            host = self.db.host(),
            port = self.db.port(),
            db = self.db.dbname(),
        );
        std::fs::write(&self.pipeline, text).unwrap();
    }

    /// `usagelake <command> <pipeline> <args>`.
    pub fn cmd(&self, command: &str, args: &[&str]) -> Output {
        let mut all = vec![command, self.pipeline.to_str().unwrap()];
        all.extend_from_slice(args);
        usagelake(&all, &[], &[])
    }

    /// A run that must succeed; returns its summary table (stdout).
    pub fn run(&self) -> String {
        let out = self.cmd("run", &[]);
        assert_success(&out);
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn dataset(&self, name: &str) -> PathBuf {
        self.dir.path().join("lake").join("app").join(name)
    }

    /// Every batch of a dataset with the partition folder of its file.
    pub fn rows(&self, dataset: &str) -> Vec<(String, RecordBatch)> {
        rows_in(&self.dataset(dataset))
    }

    /// Rows per partition folder.
    pub fn counts(&self, dataset: &str) -> Vec<(String, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for (partition, batch) in self.rows(dataset) {
            *counts.entry(partition).or_insert(0) += batch.num_rows();
        }
        counts.into_iter().collect()
    }
}

pub fn rows_in(dir: &Path) -> Vec<(String, RecordBatch)> {
    parquet_files(dir)
        .into_iter()
        .flat_map(|file| {
            let partition = partition_of(&file);
            read_batches(&file)
                .into_iter()
                .map(move |b| (partition.clone(), b))
        })
        .collect()
}

/// Every value of a column as text (NULL → "NULL"), in key order of `key`.
pub fn column_text(batches: &[(String, RecordBatch)], column: &str) -> Vec<String> {
    use arrow_array::Array;
    let mut out = Vec::new();
    for (_, batch) in batches {
        let array = batch.column_by_name(column).unwrap();
        let options = arrow_cast_free_display(array);
        for row in 0..array.len() {
            out.push(options(row));
        }
    }
    out
}

/// A tiny display of the types these tests archive (no arrow-cast in the tree).
fn arrow_cast_free_display(array: &arrow_array::ArrayRef) -> impl Fn(usize) -> String + '_ {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_array::Array;
    use arrow_schema::DataType;
    move |row| {
        if array.is_null(row) {
            return "NULL".into();
        }
        match array.data_type() {
            DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
            DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
            DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
            DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
            DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
            DataType::Boolean => array.as_boolean().value(row).to_string(),
            DataType::Date32 => {
                let days = array.as_primitive::<Date32Type>().value(row);
                (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                    + chrono::Days::new(days as u64))
                .to_string()
            }
            DataType::Timestamp(_, _) => {
                let us = array.as_primitive::<TimestampMicrosecondType>().value(row);
                chrono::DateTime::from_timestamp_micros(us)
                    .unwrap()
                    .format("%Y-%m-%d %H:%M:%SZ")
                    .to_string()
            }
            other => format!("<{other}>"),
        }
    }
}
