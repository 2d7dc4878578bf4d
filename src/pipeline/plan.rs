//! What a backfill would read, per day: the key range that holds a day's events, the
//! rows the source still has for it, what the lake already holds, and how to split a
//! long range into shards of similar size (`usagelake plan`).
//!
//! Tableau has no index on `created_at`, so "the rows of 2026-11-03" is a full scan of
//! the biggest table. Ids come from a sequence at insert time and `created_at` is set
//! at the same moment, so time grows with id up to commit-order jitter: we binary-search
//! the id where a day starts with primary-key probes (`time_at_key`), widen the key
//! range by a margin (the source's `lookback`) on both sides to absorb the jitter, and
//! filter by time exactly. Rows more than the margin out of order are the same rows the
//! incremental run's lookback would miss.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::{Pipeline, TableauSource};
use crate::extract::postgres::{ExtractError, PgSession, ResolvedTable, RowRange};
use crate::load::{event_partition_name, list_partitions, LakeLayout};
use crate::pipeline::coverage::{source_extent, SourceExtent};
use crate::pipeline::DateRange;

/// Maps a day to the key range holding its events, for one event table.
pub struct KeyLocator<'a> {
    session: &'a PgSession,
    table: &'a ResolvedTable,
    pub extent: SourceExtent,
    margin_us: i64,
    tz: Tz,
}

impl<'a> KeyLocator<'a> {
    pub async fn new(
        session: &'a PgSession,
        table: &'a ResolvedTable,
        source: &TableauSource,
        tz: Tz,
    ) -> Result<KeyLocator<'a>, ExtractError> {
        let extent = source_extent(session, table).await?;
        Ok(KeyLocator {
            session,
            table,
            extent,
            margin_us: i64::try_from(source.lookback.as_micros()).unwrap_or(i64::MAX),
            tz,
        })
    }

    /// The rows of local `date`: keys from the search, times exact. None: empty table.
    pub async fn day_range(&self, date: NaiveDate) -> Result<Option<RowRange>, ExtractError> {
        let (from_us, to_us) = DateRange {
            from: date,
            to: date,
        }
        .to_utc_micros(self.tz);
        let Some(key_from) = self
            .first_key_at(from_us.saturating_sub(self.margin_us))
            .await?
        else {
            return Ok(None);
        };
        let key_to = self
            .first_key_at(to_us.saturating_add(self.margin_us))
            .await?
            .expect("table is not empty");
        Ok(Some(RowRange::KeysAndTimeBetween {
            key_from,
            key_to,
            from_us,
            to_us,
        }))
    }

    /// Smallest key `k` in `min..=max+1` whose first row at or above has time `>= t`
    /// (above the last row counts as +∞). About log2(max - min) index probes.
    async fn first_key_at(&self, t_us: i64) -> Result<Option<i64>, ExtractError> {
        let (Some(min), Some(max)) = (self.extent.min_key, self.extent.max_key) else {
            return Ok(None);
        };
        let is_at_or_after = |time: Option<i64>| time.is_none_or(|time| time >= t_us);
        if is_at_or_after(self.extent.oldest_us) {
            return Ok(Some(min));
        }
        // Invariant: time(lo) < t <= time(hi).
        let (mut lo, mut hi) = (min, max.saturating_add(1));
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if is_at_or_after(self.session.time_at_key(self.table, mid).await?) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }
}

/// How much of a day the source can still provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    All,
    /// The day of the source's oldest row: earlier rows of it are gone.
    Part,
    /// Before the source's oldest row: a backfill cannot re-read it.
    None,
    /// A dataset no backfill can re-read (ArcGIS `users`, `logins`: the portal knows
    /// each member only as they are now).
    NotBackfillable,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetDay {
    pub source: String,
    pub dataset: String,
    /// Rows the source holds for the day (Tableau: count over the key range, exact by
    /// time). None (JSON null) when the source cannot count a day cheaply: ArcGIS
    /// history pages carry no total, and paging a whole day just to count it would be
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
    /// else (ArcGIS history) what the lake holds for the day, the best estimate there is;
    /// a day the lake does not hold either counts 0 (unknown).
    pub fn estimated_rows(&self) -> u64 {
        self.datasets
            .iter()
            .filter(|d| d.is_backfillable())
            .map(|d| d.source_rows.unwrap_or(d.lake_rows))
            .sum()
    }
}

/// Per day of `range`, per event dataset of every source: estimates from the source
/// (one snapshot per source) and what the lake holds; ArcGIS datasets as
/// `arcgis::backfill::plan_days` says. Reads only; writes nothing.
pub async fn plan_days(
    pipeline: &Pipeline,
    range: DateRange,
    requested: &[String],
) -> Result<Vec<DayPlan>, crate::pipeline::RunError> {
    use crate::pipeline::backfill::{event_tables, open_session};
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let days = days_of(range);
    let mut plans: Vec<DayPlan> = days
        .iter()
        .map(|d| DayPlan {
            date: d.to_string(),
            partition: event_partition_name(*d),
            datasets: Vec::new(),
        })
        .collect();
    for source in crate::pipeline::backfill::tableau_sources(pipeline) {
        let session = open_session(source).await?;
        for table in event_tables(&session, source, requested).await? {
            let dataset = table.spec.dataset.clone();
            let extract_error = |e| crate::pipeline::RunError::Extract {
                source_name: source.name.clone(),
                dataset: dataset.clone(),
                source: Box::new(e),
            };
            let locator = KeyLocator::new(&session, &table, source, pipeline.time_zone)
                .await
                .map_err(extract_error)?;
            let oldest = locator.extent.oldest_date(pipeline.time_zone);
            let lake: BTreeMap<String, u64> = list_partitions(&layout, &source.name, &dataset)
                .map_err(|e| crate::pipeline::RunError::Load {
                    source_name: source.name.clone(),
                    dataset: dataset.clone(),
                    source: e,
                })?
                .into_iter()
                .map(|p| (p.name, p.rows))
                .collect();
            for (day, plan) in days.iter().zip(plans.iter_mut()) {
                let availability = match oldest {
                    Some(oldest) if *day < oldest => Availability::None,
                    Some(oldest) if *day == oldest => Availability::Part,
                    _ => Availability::All,
                };
                let source_rows = match availability {
                    Availability::None | Availability::NotBackfillable => 0,
                    _ => match locator.day_range(*day).await.map_err(extract_error)? {
                        Some(range) => session
                            .count_rows(&table, &range)
                            .await
                            .map_err(extract_error)?
                            .max(0) as u64,
                        None => 0,
                    },
                };
                plan.datasets.push(DatasetDay {
                    source: source.name.clone(),
                    dataset: dataset.clone(),
                    source_rows: Some(source_rows),
                    lake_rows: lake.get(&plan.partition).copied().unwrap_or(0),
                    source_can_provide: availability,
                });
            }
        }
        let _ = session.finish().await;
    }
    crate::pipeline::arcgis::backfill::plan_days(pipeline, requested, &days, &mut plans).await?;
    Ok(plans)
}

pub fn days_of(range: DateRange) -> Vec<NaiveDate> {
    range
        .from
        .iter_days()
        .take_while(|d| *d <= range.to)
        .collect()
}

/// Splits days (with their weights) into at most `shards` contiguous, non-overlapping,
/// non-empty index ranges that cover all days: the k-th cut goes to the day boundary
/// whose running total is nearest to k/shards of the whole. Empty days weigh 1 so a
/// quiet stretch still spreads.
pub fn split_shards(weights: &[u64], shards: usize) -> Vec<Range<usize>> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let shards = shards.clamp(1, n);
    let mut prefix = vec![0u128; n + 1];
    for (i, &w) in weights.iter().enumerate() {
        prefix[i + 1] = prefix[i] + u128::from(w.max(1));
    }
    let total = prefix[n];
    let mut cuts = vec![0usize];
    for k in 1..shards {
        let target = total * k as u128 / shards as u128;
        let previous = *cuts.last().expect("starts with 0");
        // Leave at least one day for this shard and each one after it.
        let candidates = previous + 1..=n - (shards - k);
        let best = candidates
            .min_by_key(|&j| prefix[j].abs_diff(target))
            .expect("range is not empty");
        cuts.push(best);
    }
    cuts.push(n);
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(weights: &[u64], shards: usize) -> Vec<Range<usize>> {
        let out = split_shards(weights, shards);
        assert_eq!(out.len(), shards.min(weights.len()));
        assert_eq!(out.first().unwrap().start, 0);
        assert_eq!(out.last().unwrap().end, weights.len());
        for pair in out.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "contiguous: {out:?}");
        }
        assert!(out.iter().all(|r| !r.is_empty()), "{out:?}");
        out
    }

    #[test]
    fn shards_are_contiguous_balanced_and_never_empty() {
        assert_eq!(check(&[10; 10], 2), vec![0..5, 5..10]);
        assert_eq!(check(&[100, 1, 1, 1, 1, 100], 2), vec![0..3, 3..6]);
        // One heavy day early: later shards still get a day each.
        assert_eq!(check(&[1000, 1, 1, 1], 3), vec![0..1, 1..2, 2..4]);
        check(&[0, 0, 0], 5);
        check(&[5, 0, 0, 0, 0, 0, 9], 4);
        assert!(split_shards(&[], 3).is_empty());
    }
}
