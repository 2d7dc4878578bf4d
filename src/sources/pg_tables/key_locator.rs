//! The key range that holds a local day's events in an event table with a sequence key.
//!
//! The time column often has no index, so "the rows of 2026-11-03" would be a full scan
//! of the biggest table. Ids come from a sequence at insert time and the time is set at
//! the same moment, so time grows with id up to commit-order jitter: we binary-search
//! the id where a day starts with primary-key probes (`time_at_key`), widen the key
//! range by a margin (the source's lookback) on both sides to absorb the jitter, and
//! filter by time exactly. Rows more than the margin out of order are the same rows the
//! incremental run's lookback would miss.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::coverage::{source_extent, SourceExtent};
use crate::days::DateRange;
use crate::postgres::{ExtractError, PgSession, ResolvedTable, RowRange};

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
        margin: std::time::Duration,
        tz: Tz,
    ) -> Result<KeyLocator<'a>, ExtractError> {
        let extent = source_extent(session, table).await?;
        Ok(KeyLocator {
            session,
            table,
            extent,
            margin_us: i64::try_from(margin.as_micros()).unwrap_or(i64::MAX),
            tz,
        })
    }

    /// The rows of local `date`: keys from the search, times exact. None: empty table.
    pub async fn day_range(&self, date: NaiveDate) -> Result<Option<RowRange>, ExtractError> {
        let (from_us, to_us) = DateRange::day(date).to_utc_micros(self.tz);
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
