//! A fake Indico on 127.0.0.1 and a temp dir holding `pipeline.toml` for it (source
//! `ind`, zone America/New_York, token in `indico.token`), and the checks that the lake
//! holds every day and every changelog entry of the ground truth exactly once.
//!
//! New York on purpose: changelog entries are read by UTC day but partitioned by the
//! local `event_date`, so one UTC day spans two partitions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Output;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use chrono::NaiveDate;
use usagelake::sources::indico::fake::{FakeIndico, FakeIndicoHandle, API_TOKEN};

use super::cli::{assert_success, usagelake};
use super::lake::{parquet_files, partition_of, read_batches};

pub const FIRST_DAY: &str = "2026-11-01";
pub use usagelake::sources::indico::DATASETS;

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub struct IndicoLake {
    pub fake: FakeIndicoHandle,
    pub dir: tempfile::TempDir,
}

impl IndicoLake {
    /// `users` users changing over `days` days from [`FIRST_DAY`]; `source_lines` end
    /// the source table.
    pub async fn start(users: usize, days: u32, source_lines: &str) -> IndicoLake {
        let fake = FakeIndico::generate(users, day(FIRST_DAY), days, 5);
        let (fake, host) = fake.start().await.expect("start the fake Indico");
        let lake = IndicoLake {
            fake,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(
            lake.dir.path().join("indico.token"),
            format!("{API_TOKEN}\n"),
        )
        .unwrap();
        let text = format!(
            r#"time_zone = "America/New_York"

[output]
root = "lake"

[[sources]]
name = "ind"
kind = "indico"
host = "{host}"
protocol = "http"
api_token_file = "indico.token"
history_start = "{FIRST_DAY}"
{source_lines}
"#
        );
        std::fs::write(lake.pipeline(), text).unwrap();
        lake
    }

    pub fn pipeline(&self) -> PathBuf {
        self.dir.path().join("pipeline.toml")
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    pub fn dataset(&self, name: &str) -> PathBuf {
        self.root().join("ind").join(name)
    }

    /// `usagelake <command> pipeline.toml <args…>` on UTC day `today`.
    pub fn cmd(&self, command: &str, args: &[&str], today: &str, env: &[(&str, &str)]) -> Output {
        let mut env = env.to_vec();
        env.push(("USAGELAKE_TODAY", today));
        usagelake(&[command, self.pipeline().to_str().unwrap()], args, &env)
    }

    pub fn run_ok(&self, today: &str) -> Output {
        let out = self.cmd("run", &["--quiet"], today, &[]);
        assert_success(&out);
        out
    }

    /// snapshot_date → user ids, from `user_snapshots`; panics on a user twice a day.
    pub fn snapshot_ids(&self) -> BTreeMap<NaiveDate, Vec<i32>> {
        let mut days: BTreeMap<NaiveDate, Vec<i32>> = BTreeMap::new();
        for file in parquet_files(&self.dataset("user_snapshots")) {
            let date = day(partition_of(&file).strip_prefix("snapshot_date=").unwrap());
            for batch in read_batches(&file) {
                let ids = batch
                    .column_by_name("id")
                    .unwrap()
                    .as_primitive::<Int32Type>();
                days.entry(date).or_default().extend(ids.values().iter());
            }
        }
        days
    }

    /// Every changelog id in the lake with how often it occurs.
    pub fn changelog_ids(&self) -> BTreeMap<String, usize> {
        let mut ids = BTreeMap::new();
        for file in parquet_files(&self.dataset("user_changelog")) {
            for batch in read_batches(&file) {
                for id in batch
                    .column_by_name("id")
                    .unwrap()
                    .as_string::<i32>()
                    .iter()
                {
                    *ids.entry(id.unwrap().to_string()).or_default() += 1;
                }
            }
        }
        ids
    }

    /// Rows per `snapshot_date=` partition of `dataset`, one file each.
    pub fn rows_per_day(&self, dataset: &str) -> BTreeMap<NaiveDate, usize> {
        let mut days = BTreeMap::new();
        for file in parquet_files(&self.dataset(dataset)) {
            let date = day(partition_of(&file).strip_prefix("snapshot_date=").unwrap());
            let rows: usize = read_batches(&file).iter().map(|b| b.num_rows()).sum();
            assert!(
                days.insert(date, rows).is_none(),
                "two files for {date} in {dataset}"
            );
        }
        days
    }

    /// Every day `FIRST_DAY..=last` is in each per-day dataset exactly once with the
    /// truth's rows, and the changelog holds every entry up to `last` once.
    pub fn assert_exactly_once_through(&self, last: &str) {
        let truth = self.fake.truth();
        let days: Vec<NaiveDate> = day(FIRST_DAY)
            .iter_days()
            .take_while(|d| *d <= day(last))
            .collect();
        let snapshots = self.snapshot_ids();
        assert_eq!(
            snapshots.keys().copied().collect::<Vec<_>>(),
            days,
            "snapshot days"
        );
        let summary = self.rows_per_day("user_summary");
        assert_eq!(
            summary.keys().copied().collect::<Vec<_>>(),
            days,
            "summary days"
        );
        assert!(summary.values().all(|n| *n == 1), "one summary row a day");
        let flat = self.rows_per_day("user_snapshot_datasets");
        for d in &days {
            let expected = truth.snapshot(*d);
            let want: Vec<i32> = expected.iter().map(|(u, _)| u.id).collect();
            assert_eq!(snapshots[d], want, "users on {d}");
            let grants: usize = expected.iter().map(|(_, s)| s.datasets.len()).sum();
            assert_eq!(
                flat.get(d).copied().unwrap_or(0),
                grants,
                "dataset grants on {d}"
            );
        }
        let stored = self.changelog_ids();
        let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "changelog ids stored twice: {twice:?}");
        let want: BTreeSet<String> = truth
            .changes_between(day(FIRST_DAY), day(last))
            .iter()
            .map(|c| c.id.clone())
            .collect();
        let got: BTreeSet<String> = stored.into_keys().collect();
        assert_eq!(got, want, "changelog entries");
    }
}
