//! Point in time: which dimension snapshot describes the world on a given event date.
//!
//! Rule (README "Enriched datasets"): a request on local date D is joined to each dimension's
//! snapshot with the latest `snapshot_date ≤ D`; events older than the first snapshot use the
//! earliest one (the lake cannot know names from before it started). So a view renamed on
//! day 10 keeps its old name on requests of days before 10 once both snapshots exist.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::lake::partition_date;
use super::TransformError;
use crate::load::{list_partitions, LakeLayout};

/// Dimension datasets the transform reads.
pub const DIMENSIONS: &[&str] = &[
    "users",
    "system_users",
    "site_roles",
    "sites",
    "views",
    "hist_views",
    "workbooks",
    "hist_workbooks",
    "datasources",
    "hist_datasources",
    "projects",
    "projects_contents",
    "extracts",
];

/// The snapshot partitions of every dimension of one source.
#[derive(Debug, Default)]
pub struct SnapshotCatalog {
    by_dataset: BTreeMap<&'static str, Vec<(NaiveDate, Vec<PathBuf>)>>,
}

impl SnapshotCatalog {
    pub fn load(layout: &LakeLayout, source: &str) -> Result<Self, TransformError> {
        let mut by_dataset = BTreeMap::new();
        for &dataset in DIMENSIONS {
            let partitions =
                list_partitions(layout, source, dataset).map_err(|e| TransformError::List {
                    dataset: format!("{source}/{dataset}"),
                    source: e,
                })?;
            let mut dated: Vec<(NaiveDate, Vec<PathBuf>)> = partitions
                .into_iter()
                .filter_map(|p| Some((partition_date(&p.name, "snapshot_date")?, p.files)))
                .filter(|(_, files)| !files.is_empty())
                .collect();
            dated.sort_by_key(|(date, _)| *date);
            by_dataset.insert(dataset, dated);
        }
        Ok(Self { by_dataset })
    }

    /// The snapshot of `dataset` in force on `date`, if the dataset has any.
    pub fn in_force(&self, dataset: &str, date: NaiveDate) -> Option<NaiveDate> {
        let dates: Vec<NaiveDate> = self
            .by_dataset
            .get(dataset)?
            .iter()
            .map(|(d, _)| *d)
            .collect();
        snapshot_in_force(&dates, date)
    }

    pub fn files(&self, dataset: &str, snapshot: NaiveDate) -> &[PathBuf] {
        self.by_dataset
            .get(dataset)
            .and_then(|all| all.iter().find(|(d, _)| *d == snapshot))
            .map_or(&[], |(_, files)| files.as_slice())
    }

    /// Every snapshot date of `dataset`, oldest first.
    pub fn dates(&self, dataset: &str) -> Vec<NaiveDate> {
        self.by_dataset
            .get(dataset)
            .map(|all| all.iter().map(|(d, _)| *d).collect())
            .unwrap_or_default()
    }

    /// The snapshots in force on `date`, one per dimension: two dates with the same
    /// selection share their dimension tables.
    pub fn selection(&self, date: NaiveDate) -> Vec<Option<NaiveDate>> {
        DIMENSIONS.iter().map(|d| self.in_force(d, date)).collect()
    }
}

/// Latest of `sorted` on or before `date`, else the earliest; `None` only when empty.
pub fn snapshot_in_force(sorted: &[NaiveDate], date: NaiveDate) -> Option<NaiveDate> {
    let on_or_before = sorted.partition_point(|d| *d <= date);
    match on_or_before {
        0 => sorted.first().copied(),
        n => Some(sorted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn latest_snapshot_on_or_before_the_event_wins() {
        let snaps = [d(3), d(5), d(9)];
        assert_eq!(snapshot_in_force(&snaps, d(5)), Some(d(5)));
        assert_eq!(snapshot_in_force(&snaps, d(8)), Some(d(5)));
        assert_eq!(snapshot_in_force(&snaps, d(30)), Some(d(9)));
    }

    #[test]
    fn events_before_the_first_snapshot_use_the_earliest() {
        assert_eq!(snapshot_in_force(&[d(3), d(5)], d(1)), Some(d(3)));
        assert_eq!(snapshot_in_force(&[], d(1)), None);
    }
}
