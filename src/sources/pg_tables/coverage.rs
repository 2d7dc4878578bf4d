//! Did we lose anything? Compares what the source can still provide with what the lake
//! already holds.
//!
//! Repositories purge their logs (the BI repository: request logs after about a week by
//! its maintenance cleanup or a TRUNCATE in some backup scripts, background jobs after
//! 30 days). Event ids come
//! from a sequence, so when the source's oldest remaining id is above our watermark + 1,
//! the ids in between were deleted before any run copied them. Caveat: ids a rolled-back
//! transaction consumed look the same, so a gap of a few ids right at the edge can be a
//! false alarm; a real purge gap is usually thousands of ids and hours of time.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use crate::days::format_us;
use crate::load::state::DatasetState;
use crate::postgres::{ExtractError, PgSession, ResolvedTable};
use crate::sources::status::DatasetStatus;

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
        Some(crate::days::local_date(self.oldest_us?, tz))
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

/// Evidence that the source hands out ids the lake already holds for other events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRestart {
    pub dataset: String,
    /// Highest id archived.
    pub watermark: i64,
    /// The source's highest id now.
    pub source_max_key: i64,
    /// Event time (µs UTC) of the row at `watermark`: archived, and now in the source.
    pub archived_time_us: Option<i64>,
    pub source_time_us: Option<i64>,
}

impl KeyRestart {
    pub fn describe(&self) -> String {
        let what = if self.source_max_key < self.watermark {
            format!(
                "the source's highest id is {} but the lake already holds ids up to {}",
                self.source_max_key, self.watermark
            )
        } else {
            format!(
                "the row with id {} was created at {} when archived, but the source's row \
                 with that id was created at {}",
                self.watermark,
                format_us(self.archived_time_us),
                format_us(self.source_time_us)
            )
        };
        format!(
            "ids restarted below the watermark: {what}. The repository was restored from a \
             backup, rebuilt, or truncated with RESTART IDENTITY, and new events reuse ids \
             the lake holds for other events, so merging them by id would drop them. Nothing \
             was written for `{dataset}`. Run `usagelake run <pipeline> --new-key-generation \
             {dataset}` once: it archives the table again in a new key generation \
             (`part-g<N>.parquet` files), dropping only rows already archived with the same \
             id and time",
            dataset = self.dataset
        )
    }
}

/// Sets what `status` shows for one key-archived table: the ids purged from the source
/// that the archive never saw, and a key restart. Ids below a restart are not "purged":
/// the restart explains them. `previous` is the table's saved state as the run reads it.
pub async fn mark_purge_and_restart(
    session: &PgSession,
    table: &ResolvedTable,
    previous: Option<&DatasetState>,
    status: &mut DatasetStatus,
) -> Result<(), ExtractError> {
    let extent = source_extent(session, table).await?;
    let gap = purge_gap(
        &extent,
        previous.and_then(|d| d.watermark_key),
        previous.and_then(|d| d.max_event_time_us),
    );
    let restart = match previous {
        Some(previous) => key_restart(session, table, previous).await?,
        None => None,
    };
    status.purged = gap.filter(|_| restart.is_none());
    status.key_restart = restart;
    Ok(())
}

/// Restart evidence for an event table the lake already holds (`previous` has a
/// watermark): the source's highest id is below the watermark, or the source's row at
/// the watermark id has another event time than the archived one (more than 1 ms apart:
/// servers before PostgreSQL 14 return the epoch as a float). Two index probes.
pub async fn key_restart(
    session: &PgSession,
    table: &ResolvedTable,
    previous: &DatasetState,
) -> Result<Option<KeyRestart>, ExtractError> {
    let Some(watermark) = previous.watermark_key else {
        return Ok(None);
    };
    let (_, max_key) = session.key_bounds(table).await?;
    // An empty table (purged, or truncated and not written to yet) reuses nothing yet.
    let Some(source_max_key) = max_key else {
        return Ok(None);
    };
    let mut restart = KeyRestart {
        dataset: table.spec.dataset.clone(),
        watermark,
        source_max_key,
        archived_time_us: previous.watermark_time_us,
        source_time_us: None,
    };
    if source_max_key < watermark {
        return Ok(Some(restart));
    }
    let Some(archived) = previous.watermark_time_us else {
        return Ok(None); // state from an older version: the max-id check only
    };
    restart.source_time_us = session.time_of_key(table, watermark).await?;
    Ok(restart
        .source_time_us
        .is_some_and(|t| t.abs_diff(archived) > 1_000)
        .then_some(restart))
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
