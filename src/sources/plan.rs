//! What a source can still provide per day, for `backfill --dry-run` and `plan`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::{list_partitions, LakeLayout};
use crate::sources::RunError;

/// How much of a day the source can still provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    All,
    /// The day of the source's oldest row: earlier rows of it are gone.
    Part,
    /// Before the source's oldest row: a backfill cannot re-read it.
    None,
    /// A dataset no backfill can re-read (e.g. a snapshot of members as they are now).
    NotBackfillable,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetDay {
    pub source: String,
    pub dataset: String,
    /// Rows the source holds for the day (a table: count over the day's key range, exact
    /// by time). None (JSON null) when the source cannot count a day cheaply: API pages
    /// that carry no total, and paging a whole day just to count it would be
    /// the backfill itself, so the dry run says "unknown" instead of guessing.
    pub source_rows: Option<u64>,
    /// Rows the lake's partition holds (Parquet footers).
    pub lake_rows: u64,
    pub source_can_provide: Availability,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayPlan {
    pub date: String,
    pub partition: String,
    pub datasets: Vec<DatasetDay>,
}

impl DatasetDay {
    pub fn is_backfillable(&self) -> bool {
        self.source_can_provide != Availability::NotBackfillable
    }
}

impl DayPlan {
    /// Rows a backfill of the day would read: the source's count where it has one,
    /// else what the lake holds for the day, the best estimate there is;
    /// a day the lake does not hold either counts 0 (unknown).
    pub fn estimated_rows(&self) -> u64 {
        self.datasets
            .iter()
            .filter(|d| d.is_backfillable())
            .map(|d| d.source_rows.unwrap_or(d.lake_rows))
            .sum()
    }
}

/// Rows the lake holds per partition folder of `source/dataset`.
pub fn lake_rows(
    layout: &LakeLayout,
    source: &str,
    dataset: &str,
) -> Result<BTreeMap<String, u64>, RunError> {
    let partitions = list_partitions(layout, source, dataset).map_err(|e| RunError::Load {
        source_name: source.to_string(),
        dataset: dataset.to_string(),
        source: e,
    })?;
    Ok(partitions.into_iter().map(|p| (p.name, p.rows)).collect())
}
