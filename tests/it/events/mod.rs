//! Source kind `events` end to end through the binary: event files → `events`,
//! `events_rejected`, `sessions`, and `report current-users`.

mod current_users;
mod files;
mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};

use crate::support::cli::{assert_success, usagelake};
use crate::support::lake::{parquet_files, partition_of, read_batches};

/// A temp dir with `logs/` for event files, a pipeline with one `events` source named
/// `logons`, and the lake under `lake/`.
pub struct EventsLake {
    pub dir: tempfile::TempDir,
    pub pipeline: PathBuf,
}

impl EventsLake {
    /// `section_extra`: more keys for the `[[sources]]` table (policy, maximum, zone).
    pub fn new(format: &str, pattern: &str, section_extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        let pipeline = dir.path().join("pipeline.toml");
        let text = format!(
            r#"time_zone = "Europe/Berlin"

[output]
root = "lake"

[[sources]]
name = "logons"
kind = "events"
format = "{format}"
paths = ["logs/{pattern}"]
{section_extra}
"#
        );
        std::fs::write(&pipeline, text).unwrap();
        Self { dir, pipeline }
    }

    pub fn csv(section_extra: &str) -> Self {
        Self::new("csv", "*.csv*", section_extra)
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join("logs").join(name)
    }

    pub fn append(&self, name: &str, text: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log(name))
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    pub fn run(&self) -> Output {
        let out = usagelake(
            &["run", self.pipeline.to_str().unwrap(), "--quiet"],
            &[],
            &[],
        );
        assert_success(&out);
        out
    }

    pub fn report(&self, args: &[&str]) -> String {
        let mut all = vec!["report"];
        all.extend_from_slice(&args[..1]);
        all.push(self.pipeline.to_str().unwrap());
        all.extend_from_slice(&args[1..]);
        let out = usagelake(&all, &[], &[]);
        assert_success(&out);
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn dataset(&self, name: &str) -> PathBuf {
        self.dir.path().join("lake").join("logons").join(name)
    }

    /// Every row of a dataset, with the partition folder of its file.
    pub fn rows(&self, dataset: &str) -> Vec<(String, RecordBatch)> {
        parquet_files(&self.dataset(dataset))
            .into_iter()
            .flat_map(|file| {
                let partition = partition_of(&file);
                read_batches(&file)
                    .into_iter()
                    .map(move |b| (partition.clone(), b))
            })
            .collect()
    }

    /// The sessions as comparable tuples, sorted.
    pub fn sessions(&self) -> Vec<SessionTuple> {
        read_sessions(&self.dataset("sessions"))
    }

    /// (file name, line, reason) of every rejected row, sorted.
    pub fn rejected(&self) -> Vec<(String, i64, String)> {
        let mut out = Vec::new();
        for (_, batch) in self.rows("events_rejected") {
            let file = batch.column_by_name("file").unwrap().as_string::<i32>();
            let line = batch
                .column_by_name("line")
                .unwrap()
                .as_primitive::<Int64Type>();
            let reason = batch.column_by_name("reason").unwrap().as_string::<i32>();
            for row in 0..batch.num_rows() {
                let name = Path::new(file.value(row))
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((name, line.value(row), reason.value(row).to_string()));
            }
        }
        out.sort();
        out
    }

    /// Events per partition.
    pub fn event_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (partition, batch) in self.rows("events") {
            *counts.entry(partition).or_default() += batch.num_rows();
        }
        counts
    }
}

/// A `sessions` dataset folder as comparable tuples, sorted (any source kind).
pub fn read_sessions(dir: &Path) -> Vec<SessionTuple> {
    let mut out = Vec::new();
    let rows = parquet_files(dir).into_iter().flat_map(|file| {
        let partition = partition_of(&file);
        read_batches(&file)
            .into_iter()
            .map(move |b| (partition.clone(), b))
    });
    for (partition, batch) in rows {
        let s = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let t = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<TimestampMicrosecondType>()
                .clone()
        };
        let b = |name: &str| batch.column_by_name(name).unwrap().as_boolean().clone();
        let (machine, user, reason) = (s("machine"), s("user"), s("end_reason"));
        let (login, logout) = (t("login_at"), t("logout_at"));
        let absorbed = batch
            .column_by_name("absorbed_logins")
            .unwrap()
            .as_primitive::<Int32Type>()
            .clone();
        let (orphan, double, zero) = (b("orphan"), b("double_login"), b("zero_length"));
        for row in 0..batch.num_rows() {
            let time = |a: &arrow_array::TimestampMicrosecondArray| {
                a.is_valid(row).then(|| utc(a.value(row)))
            };
            let mut flags = Vec::new();
            for (name, array) in [("orphan", &orphan), ("double", &double), ("zero", &zero)] {
                if array.value(row) {
                    flags.push(name);
                }
            }
            out.push(SessionTuple {
                partition: partition.clone(),
                machine: machine.value(row).to_string(),
                user: user.value(row).to_string(),
                login: time(&login),
                logout: time(&logout),
                reason: reason.value(row).to_string(),
                absorbed: absorbed.value(row),
                flags: flags.join(","),
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.machine, &a.user, &a.login, &a.logout).cmp(&(&b.machine, &b.user, &b.login, &b.logout))
    });
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTuple {
    pub partition: String,
    pub machine: String,
    pub user: String,
    /// `HH:MM` UTC on 2026-01-10, or the full instant on other days.
    pub login: Option<String>,
    pub logout: Option<String>,
    pub reason: String,
    pub absorbed: i32,
    pub flags: String,
}

/// Instants on 2026-01-10 as `HH:MM:SS` UTC, others in full, for short expectations.
pub fn utc(micros: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(micros).unwrap();
    let text = t.format("%Y-%m-%d %H:%M:%S").to_string();
    text.strip_prefix("2026-01-10 ")
        .map_or(text.clone(), str::to_string)
}

pub const HEADER: &str = "time,type,machine,user\n";

/// A CSV line on 2026-01-10 at `hh:mm` UTC.
pub fn at(hhmm: &str, kind: &str, machine: &str, user: &str) -> String {
    format!("2026-01-10T{hhmm}:00Z,{kind},{machine},{user}\n")
}
