//! Reading the lake for reports: partitions pruned by folder name (`event_date=` /
//! `snapshot_date=`), files read with only the columns a report needs (a Parquet
//! projection), partitions processed in parallel. Never the sources.
//!
//! Aggregation is plain Rust over Arrow arrays rather than polars: the reports are
//! distinct counts and maxima keyed by a few integers, which a hash map does in one pass
//! without converting batches, and polars here has no Parquet reader (its `parquet`
//! feature would rebuild polars for every build of this project).

mod columns;
mod parallel;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use columns::{
    bool_col, dict_col, get, i32_col, i64_col, read_columns, read_columns_with_dictionaries,
    str_col, ts_col, StrDict,
};
pub use parallel::{par_fold, par_map};

use super::ReportError;
use crate::pipeline::Pipeline;
use crate::sources::SourceConfig;

/// The platform a source belongs to (its `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Tableau,
    Arcgis,
    /// User metrics only (roles, dataset access, enablement): no usage events, so the
    /// activity reports (adoption, logins, maintenance window) skip it.
    Indico,
}

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::Tableau => "tableau",
            Platform::Arcgis => "arcgis",
            Platform::Indico => "indico",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LakeSource {
    pub name: String,
    pub platform: Platform,
}

/// One partition folder: its date and its data files.
#[derive(Debug, Clone)]
pub struct Partition {
    pub date: NaiveDate,
    pub files: Vec<PathBuf>,
}

/// The lake of one pipeline, as reports see it.
#[derive(Debug, Clone)]
pub struct Lake {
    pub root: PathBuf,
    pub tz: chrono_tz::Tz,
    pub sources: Vec<LakeSource>,
}

impl Lake {
    pub fn new(pipeline: &Pipeline) -> Self {
        let sources = pipeline
            .sources
            .iter()
            // Platforms with accounts; an events source (login files) has sessions, which
            // the session reports read.
            .filter_map(|s| {
                let platform = match s {
                    SourceConfig::Tableau(_) => Platform::Tableau,
                    SourceConfig::Arcgis(_) => Platform::Arcgis,
                    SourceConfig::Indico(_) => Platform::Indico,
                    _ => return None,
                };
                Some(LakeSource {
                    name: s.name().to_string(),
                    platform,
                })
            })
            .collect();
        Lake {
            root: pipeline.output.root.clone(),
            tz: pipeline.time_zone,
            sources,
        }
    }

    pub fn sources_of(&self, platform: Platform) -> impl Iterator<Item = &LakeSource> {
        self.sources.iter().filter(move |s| s.platform == platform)
    }

    /// Only the sources named `name` (all when `None`); an unknown name is an error.
    pub fn select_sources(&self, name: Option<&str>) -> Result<Vec<&LakeSource>, ReportError> {
        let Some(name) = name else {
            return Ok(self.sources.iter().collect());
        };
        let chosen: Vec<&LakeSource> = self
            .sources
            .iter()
            .filter(|s| s.name == name || s.platform.label() == name)
            .collect();
        if chosen.is_empty() {
            let known: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(ReportError::NoSource {
                kind: format!("`{name}`"),
                hint: format!(
                    " (sources: {}; or a platform: tableau, arcgis, indico)",
                    known.join(", ")
                ),
            });
        }
        Ok(chosen)
    }

    pub fn dataset_dir(&self, source: &str, dataset: &str) -> PathBuf {
        self.root.join(source).join(dataset)
    }

    /// Fails with a clear message when the dataset's folder does not exist at all.
    pub fn require(
        &self,
        source: &str,
        dataset: &str,
        hint: &'static str,
    ) -> Result<(), ReportError> {
        let path = self.dataset_dir(source, dataset);
        if path.is_dir() {
            Ok(())
        } else {
            Err(ReportError::MissingDataset {
                source_name: source.to_string(),
                dataset: dataset.to_string(),
                path,
                hint,
            })
        }
    }

    /// Every dated partition of a dataset (`key=YYYY-MM-DD` folders with data files),
    /// oldest first; a missing dataset has none.
    pub fn partitions(
        &self,
        source: &str,
        dataset: &str,
        key: &str,
    ) -> Result<Vec<Partition>, ReportError> {
        let dir = self.dataset_dir(source, dataset);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ReportError::read(&dir)(e.to_string())),
        };
        let mut partitions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ReportError::read(&dir)(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(date) = partition_date(&name, key) else {
                continue;
            };
            let files = data_files(&entry.path())?;
            if !files.is_empty() {
                partitions.push(Partition { date, files });
            }
        }
        partitions.sort_by_key(|p| p.date);
        Ok(partitions)
    }

    /// Event partitions with `from <= date <= to` (folder names only: pruning).
    pub fn event_partitions(
        &self,
        source: &str,
        dataset: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Partition>, ReportError> {
        let mut all = self.partitions(source, dataset, "event_date")?;
        all.retain(|p| p.date >= from && p.date <= to);
        Ok(all)
    }

    /// The snapshot in force on `date`: the latest `snapshot_date <= date`, else the
    /// earliest (the rule the enrichment uses, README "Point in time").
    pub fn snapshot_in_force(
        &self,
        source: &str,
        dataset: &str,
        date: NaiveDate,
    ) -> Result<Option<Partition>, ReportError> {
        let all = self.partitions(source, dataset, "snapshot_date")?;
        let dates: Vec<NaiveDate> = all.iter().map(|p| p.date).collect();
        let chosen = crate::sources::tableau::enrich::snapshot_in_force(&dates, date);
        Ok(all.into_iter().find(|p| Some(p.date) == chosen))
    }

    /// The span of event dates a dataset holds, for "the lake holds … instead" messages.
    pub fn held_span(&self, source: &str, dataset: &str) -> Option<(NaiveDate, NaiveDate)> {
        let all = self.partitions(source, dataset, "event_date").ok()?;
        Some((all.first()?.date, all.last()?.date))
    }
}

fn partition_date(name: &str, key: &str) -> Option<NaiveDate> {
    let value = name.strip_prefix(key)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// `*.parquet` files not starting with `.` or `_` (what every reader treats as data).
fn data_files(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReportError::read(dir)(e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| ReportError::read(dir)(e.to_string()))?
            .path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".parquet") && !name.starts_with(['.', '_']) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn lake_with(folders: &[(&str, &[&str])]) -> (tempfile::TempDir, Lake) {
        let dir = tempfile::tempdir().unwrap();
        for (folder, files) in folders {
            let path = dir.path().join("src/ds").join(folder);
            std::fs::create_dir_all(&path).unwrap();
            for file in *files {
                std::fs::write(path.join(file), b"").unwrap();
            }
        }
        let lake = Lake {
            root: dir.path().to_path_buf(),
            tz: chrono_tz::UTC,
            sources: vec![LakeSource {
                name: "src".into(),
                platform: Platform::Tableau,
            }],
        };
        (dir, lake)
    }

    #[test]
    fn partitions_are_pruned_by_folder_name_and_hidden_files_skipped() {
        let (_dir, lake) = lake_with(&[
            ("event_date=2026-11-01", &["part-0.parquet"]),
            (
                "event_date=2026-11-02",
                &["part-0.parquet", ".part-1.parquet", "_tmp.parquet"],
            ),
            ("event_date=2026-11-03", &["part-0.parquet.staged"]),
            ("event_date=2026-11-04", &["b.parquet", "a.parquet"]),
            ("event_date=garbage", &["part-0.parquet"]),
            ("_usagelake", &["x.parquet"]),
        ]);
        let found = lake.event_partitions("src", "ds", d(2), d(30)).unwrap();
        let dates: Vec<NaiveDate> = found.iter().map(|p| p.date).collect();
        assert_eq!(dates, [d(2), d(4)], "11-03 has no data file");
        assert_eq!(found[0].files.len(), 1);
        let names: Vec<_> = found[1]
            .files
            .iter()
            .map(|f| f.file_name().unwrap())
            .collect();
        assert_eq!(names, ["a.parquet", "b.parquet"]);
        assert!(lake
            .event_partitions("src", "missing", d(1), d(30))
            .unwrap()
            .is_empty());
        assert_eq!(lake.held_span("src", "ds"), Some((d(1), d(4))));
    }

    #[test]
    fn the_snapshot_in_force_is_the_latest_on_or_before_else_the_first() {
        let (_dir, lake) = lake_with(&[
            ("snapshot_date=2026-11-03", &["part-0.parquet"]),
            ("snapshot_date=2026-11-07", &["part-0.parquet"]),
        ]);
        let date = |day| {
            lake.snapshot_in_force("src", "ds", d(day))
                .unwrap()
                .map(|p| p.date)
        };
        assert_eq!(date(1), Some(d(3)));
        assert_eq!(date(6), Some(d(3)));
        assert_eq!(date(30), Some(d(7)));
    }
}
