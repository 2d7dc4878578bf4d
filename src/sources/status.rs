//! `usagelake status` facts of one source: what the lake holds per dataset (state files
//! and Parquet footers) and what the source no longer provides. Each kind fills a
//! [`SourceStatus`] in `sources/<kind>/status.rs`; `report::status` prints them.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::Serialize;

use crate::days::format_us;
use crate::load::state::{DatasetState, SourceState, StateStore};
use crate::load::{list_partitions, LakeLayout, LoadError, PartitionInfo};
use crate::sources::pg_tables::coverage::{KeyRestart, PurgeGap};

#[derive(Debug, Serialize)]
pub struct SourceStatus {
    pub name: String,
    /// Why the source could not be asked; lake-side facts are still reported.
    pub unreachable: Option<String>,
    pub datasets: Vec<DatasetStatus>,
}

impl SourceStatus {
    /// The lake's `datasets` of `name`, with what asking the source for its gaps said.
    pub fn new(
        name: &str,
        datasets: Vec<DatasetStatus>,
        gaps: Result<(), impl std::error::Error + 'static>,
    ) -> Self {
        SourceStatus {
            name: name.to_owned(),
            unreachable: gaps.err().map(|e| error_chain(&e)),
            datasets,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DatasetStatus {
    pub name: String,
    pub kind: &'static str,
    /// RFC3339: when a run last updated this dataset successfully (state file).
    pub last_success: Option<String>,
    /// The state's watermark as the kind defines it (a key, or UTC epoch ms).
    pub watermark: Option<i64>,
    /// The watermark as a time where it is one (everything before it is archived).
    pub watermark_time: Option<String>,
    pub newest_event: Option<String>,
    /// Hours between the newest archived event and now.
    pub lag_hours: Option<f64>,
    pub lake_rows: u64,
    pub lake_partitions: usize,
    pub first_partition: Option<String>,
    pub last_partition: Option<String>,
    /// Ids the source purged before we copied them.
    pub purged: Option<PurgeGap>,
    /// The source hands out ids the lake holds for other events (see `coverage`).
    pub key_restart: Option<KeyRestart>,
    /// A time span the source no longer provides and the lake does not hold (its
    /// retention passed our watermark, or the first run's start).
    pub lost_span: Option<LostSpan>,
    /// Worth knowing but not a gap (e.g. events the portal still has before the lake's
    /// first day, which a backfill can still archive).
    pub notes: Vec<String>,
    /// Event days with no partition between days that have one.
    pub empty_days: Vec<String>,
    /// Days the source defines that the lake must hold and does not (e.g. complete UTC
    /// days an API kind has not archived). Always a gap, unlike `empty_days` (a quiet day).
    pub missing_days: Vec<String>,
}

/// A time span the source no longer provides and the lake does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostSpan {
    /// Inclusive start (µs UTC) and its text.
    pub from_us: i64,
    pub from: String,
    /// Exclusive end (µs UTC): the source's oldest remaining event.
    pub to_us: i64,
    pub to: String,
    pub why: String,
}

impl LostSpan {
    pub fn new(from_us: i64, to_us: i64, why: String) -> Self {
        LostSpan {
            from_us,
            from: format_us(Some(from_us)),
            to_us,
            to: format_us(Some(to_us)),
            why,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "events from {} to {} are lost (estimated span {:.1} h): {}",
            self.from,
            self.to,
            (self.to_us - self.from_us) as f64 / 3.6e9,
            self.why
        )
    }
}

/// A state file that cannot be read is reported without (status must still answer).
pub fn load_state(store: &StateStore, source: &str) -> SourceState {
    store.load(source).unwrap_or_else(|e| {
        tracing::warn!(source, error = %e, "state file unreadable; reporting without it");
        Default::default()
    })
}

/// What the lake and the state file say of one dataset (no watermark, no source facts).
pub fn lake_status(
    dataset: &str,
    is_event: bool,
    partitions: &[PartitionInfo],
    ds: Option<&DatasetState>,
    now_us: i64,
) -> DatasetStatus {
    let newest_us = ds.and_then(|d| d.max_event_time_us);
    DatasetStatus {
        name: dataset.to_string(),
        kind: if is_event { "event" } else { "snapshot" },
        last_success: ds.map(|d| d.updated_at.clone()).filter(|u| !u.is_empty()),
        watermark: None,
        watermark_time: None,
        newest_event: newest_us.map(|t| format_us(Some(t))),
        lag_hours: newest_us.map(|t| (now_us - t) as f64 / 3.6e9),
        lake_rows: partitions.iter().map(|p| p.rows).sum(),
        lake_partitions: partitions.len(),
        first_partition: partitions.first().map(|p| p.name.clone()),
        last_partition: partitions.last().map(|p| p.name.clone()),
        purged: None,
        key_restart: None,
        lost_span: None,
        notes: Vec::new(),
        empty_days: if is_event {
            empty_days(partitions.iter().map(|p| p.name.as_str()))
        } else {
            Vec::new()
        },
        missing_days: Vec::new(),
    }
}

/// What the lake holds of a dataset a kind derives from its raw datasets
/// (`auth_events`, `sessions`, …): rows and partitions from the footers. It has no state
/// file and no watermark of its own, and a day without sign-ins is normal, so empty days
/// are not gaps. Every kind that derives sign-in datasets lists them with this.
pub fn derived_status(
    layout: &LakeLayout,
    source: &str,
    dataset: &str,
    now_us: i64,
) -> Result<DatasetStatus, LoadError> {
    let partitions = list_partitions(layout, source, dataset)?;
    // Built as a snapshot-kind status (no empty-day gaps), labelled an event dataset.
    let mut status = lake_status(dataset, false, &partitions, None, now_us);
    status.kind = "event";
    Ok(status)
}

/// Dates missing between the first and last `event_date=` partitions.
pub fn empty_days<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let dates: Vec<NaiveDate> = names
        .filter_map(crate::load::event_partition_date)
        // The NULL-time bucket (1970-01-01) is not a day of activity.
        .filter(|d: &NaiveDate| *d != crate::load::NULL_EVENT_DATE)
        .collect();
    let present: std::collections::BTreeSet<_> = dates.iter().copied().collect();
    let (Some(first), Some(last)) = (present.first(), present.last()) else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| d <= last)
        .filter(|d| !present.contains(d))
        .map(|d| d.to_string())
        .collect()
}

pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let _ = write!(text, ": {c}");
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_days_are_the_holes_between_partitions() {
        let names = [
            "event_date=1970-01-01",
            "event_date=2026-11-01",
            "event_date=2026-11-02",
            "event_date=2026-11-05",
        ];
        assert_eq!(
            empty_days(names.iter().copied()),
            vec!["2026-11-03", "2026-11-04"]
        );
        assert!(empty_days(std::iter::empty()).is_empty());
    }
}
