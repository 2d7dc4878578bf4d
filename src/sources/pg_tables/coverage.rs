//! Did we lose anything? Compares what the source can still provide with what the lake
//! already holds.
//!
//! Tableau purges `http_requests` after about a week (`tsm maintenance cleanup`, or a
//! TRUNCATE in some backup scripts) and background jobs after 30 days. Event ids come
//! from a sequence, so when the source's oldest remaining id is above our watermark + 1,
//! the ids in between were deleted before any run copied them. Caveat: ids a rolled-back
//! transaction consumed look the same, so a gap of a few ids right at the edge can be a
//! false alarm; a real purge gap is usually thousands of ids and hours of time.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::days::format_us;
use crate::load::state::DatasetState;
use crate::postgres::{ExtractError, PgSession, ResolvedTable};

/// Ids (and roughly the time span) the source purged before we archived them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeGap {
    /// Inclusive id range that is lost.
    pub first_missing_key: i64,
    pub last_missing_key: i64,
    /// Newest event time we hold (µs UTC): the gap starts after it.
    pub archived_newest_us: Option<i64>,
    /// Event time of the source's oldest remaining row (µs UTC): the gap ends before it.
    pub source_oldest_us: Option<i64>,
}

impl PurgeGap {
    pub fn describe(&self) -> String {
        let ids = self.last_missing_key - self.first_missing_key + 1;
        format!(
            "the source purged ids {}..={} ({ids} ids) before they were archived; estimated time span {} .. {}",
            self.first_missing_key,
            self.last_missing_key,
            format_us(self.archived_newest_us),
            format_us(self.source_oldest_us),
        )
    }
}

/// What the source still holds of an event table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceExtent {
    pub min_key: Option<i64>,
    pub max_key: Option<i64>,
    /// Event time of the row with `min_key` (µs UTC).
    pub oldest_us: Option<i64>,
}

impl SourceExtent {
    /// The local date of the source's oldest row: days before it cannot be re-read.
    pub fn oldest_date(&self, tz: Tz) -> Option<NaiveDate> {
        let t = DateTime::<Utc>::from_timestamp_micros(self.oldest_us?)?;
        Some(t.with_timezone(&tz).date_naive())
    }
}

/// Key bounds plus the oldest row's time: two index probes.
pub async fn source_extent(
    session: &PgSession,
    table: &ResolvedTable,
) -> Result<SourceExtent, ExtractError> {
    let (min_key, max_key) = session.key_bounds(table).await?;
    let oldest_us = match min_key {
        Some(k) => session.time_at_key(table, k).await?,
        None => None,
    };
    Ok(SourceExtent {
        min_key,
        max_key,
        oldest_us,
    })
}

/// A gap when the source's oldest id is above `watermark + 1`. No watermark (never
/// archived) or an empty source gives no evidence either way: no gap.
pub fn purge_gap(
    extent: &SourceExtent,
    watermark: Option<i64>,
    archived_newest_us: Option<i64>,
) -> Option<PurgeGap> {
    let (watermark, min_key) = (watermark?, extent.min_key?);
    (min_key > watermark.saturating_add(1)).then(|| PurgeGap {
        first_missing_key: watermark + 1,
        last_missing_key: min_key - 1,
        archived_newest_us,
        source_oldest_us: extent.oldest_us,
    })
}

/// For an incremental run: a logged warning (and its text for the summary) when the
/// source purged rows above our watermark before this run could copy them.
pub async fn purge_warning(
    session: &PgSession,
    table: &ResolvedTable,
    previous: &DatasetState,
    source_name: &str,
) -> Result<Option<String>, ExtractError> {
    if previous.watermark_key.is_none() {
        return Ok(None); // first run: nothing to compare with, and no extra queries
    }
    let extent = source_extent(session, table).await?;
    let gap = purge_gap(&extent, previous.watermark_key, previous.max_event_time_us);
    Ok(gap.map(|gap| {
        let text = gap.describe();
        tracing::warn!(source = source_name, dataset = %table.spec.dataset, first_missing_id = gap.first_missing_key, last_missing_id = gap.last_missing_key, "{text}");
        text
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_only_when_the_oldest_id_skips_past_the_watermark() {
        let extent = |min| SourceExtent {
            min_key: Some(min),
            max_key: Some(900),
            oldest_us: Some(0),
        };
        assert_eq!(purge_gap(&extent(101), Some(100), None), None);
        assert_eq!(purge_gap(&extent(50), Some(100), None), None);
        assert_eq!(purge_gap(&extent(500), None, None), None, "never archived");
        let gap = purge_gap(&extent(500), Some(100), Some(0)).unwrap();
        assert_eq!((gap.first_missing_key, gap.last_missing_key), (101, 499));
        assert!(gap.describe().contains("101..=499 (399 ids)"));
        assert_eq!(purge_gap(&SourceExtent::default(), Some(100), None), None);
    }
}
