//! What the lake holds of an `indico` source, day by day, for `status` and `plan`.
//!
//! Every complete UTC day must have a `snapshot_date=` partition in the four per-day
//! datasets, so a day without one is missing (a gap: `status` exits 3). The changelog
//! may have days without entries, so its coverage is the last archived day in the
//! state file: complete days after it are missing.

use chrono::NaiveDate;

use super::archive::{days_between, first_day, last_archived, last_complete_day};
use super::datasets::USER_CHANGELOG;
use super::IndicoSourceConfig;
use crate::load::state::SourceState;
use crate::load::{
    event_partition_name, list_partitions, snapshot_partition_name, LakeLayout, LoadError,
};

/// One dataset's coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCoverage {
    pub dataset: String,
    pub last_archived: Option<NaiveDate>,
    /// Complete days that should be in the lake and are not, oldest first.
    pub missing_days: Vec<NaiveDate>,
}

/// Coverage of `datasets` of source `name` as of `today` (UTC).
pub fn coverage(
    layout: &LakeLayout,
    name: &str,
    config: &IndicoSourceConfig,
    state: &SourceState,
    datasets: &[&str],
    today: NaiveDate,
) -> Result<Vec<DayCoverage>, LoadError> {
    let yesterday = last_complete_day(today);
    let mut out = Vec::new();
    for dataset in datasets {
        if *dataset == USER_CHANGELOG {
            let last = last_archived(state, dataset);
            let from = match last {
                Some(last) => last.succ_opt().unwrap_or(last),
                None => first_day(config, today),
            };
            out.push(DayCoverage {
                dataset: dataset.to_string(),
                last_archived: last,
                missing_days: days_between(from, yesterday),
            });
            continue;
        }
        let held: Vec<NaiveDate> = list_partitions(layout, name, dataset)?
            .iter()
            .filter_map(|p| p.name.strip_prefix("snapshot_date=")?.parse().ok())
            .collect();
        // Expected from history_start when configured, else from the first day held
        // (a default first run starts at a moving "30 days ago").
        let from = config
            .history_start
            .or_else(|| held.first().copied())
            .unwrap_or_else(|| first_day(config, today));
        out.push(DayCoverage {
            dataset: dataset.to_string(),
            last_archived: held.last().copied(),
            missing_days: days_between(from, yesterday)
                .into_iter()
                .filter(|d| held.binary_search(d).is_err())
                .collect(),
        });
    }
    Ok(out)
}

/// The partition a day of `dataset` lives in: `snapshot_date=` for the per-day
/// datasets, `event_date=` for the changelog.
pub fn day_partition(dataset: &str, day: NaiveDate) -> String {
    if dataset == USER_CHANGELOG {
        event_partition_name(day)
    } else {
        snapshot_partition_name(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretRef;
    use crate::load::state::DatasetState;

    #[test]
    fn missing_snapshot_days_and_changelog_lag() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        for day in ["2026-11-01", "2026-11-02", "2026-11-04"] {
            let folder = layout
                .dataset_dir("ind", "user_summary")
                .join(format!("snapshot_date={day}"));
            std::fs::create_dir_all(folder).unwrap();
        }
        let config = IndicoSourceConfig::new("ind", "h", SecretRef::Env("T".into()));
        let mut state = SourceState::default();
        state.datasets.insert(
            USER_CHANGELOG.into(),
            DatasetState {
                last_snapshot_date: Some("2026-11-03".into()),
                ..Default::default()
            },
        );
        let got = coverage(
            &layout,
            "ind",
            &config,
            &state,
            &["user_summary", USER_CHANGELOG],
            d("2026-11-06"),
        )
        .unwrap();
        assert_eq!(got[0].last_archived, Some(d("2026-11-04")));
        assert_eq!(got[0].missing_days, [d("2026-11-03"), d("2026-11-05")]);
        assert_eq!(got[1].missing_days, [d("2026-11-04"), d("2026-11-05")]);
    }
}
