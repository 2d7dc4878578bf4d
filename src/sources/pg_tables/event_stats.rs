//! What a run learned about an event table's keys and times, for the next watermark.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};

use crate::load::state::DatasetState;

/// Per-batch extremes of the rows read (not only the rows written: a row already in the
/// lake still proves its key range was seen).
#[derive(Debug, Default)]
pub struct EventStats {
    pub rows: u64,
    pub max_key: Option<i64>,
    pub max_time_us: Option<i64>,
    /// Event time of the row with `max_key` (NULL time: None).
    pub time_at_max_key_us: Option<i64>,
    /// (smallest key, largest time) per batch; batches are ordered by arrival.
    batches: Vec<(i64, i64)>,
}

impl EventStats {
    pub fn observe(&mut self, batch: &RecordBatch, key_index: usize, time_index: usize) {
        let keys = batch.column(key_index).as_primitive::<Int64Type>();
        let times = batch
            .column(time_index)
            .as_primitive::<TimestampMicrosecondType>();
        let (mut min_key, mut max_key, mut max_at) = (i64::MAX, i64::MIN, 0);
        for (i, &k) in keys.values().iter().enumerate() {
            min_key = min_key.min(k);
            if k > max_key {
                (max_key, max_at) = (k, i);
            }
        }
        let max_time = times.iter().flatten().max();
        self.rows += batch.num_rows() as u64;
        if batch.num_rows() == 0 {
            return;
        }
        if self.max_key.is_none_or(|m| max_key > m) {
            self.max_key = Some(max_key);
            self.time_at_max_key_us = times.is_valid(max_at).then(|| times.value(max_at));
        }
        if let Some(t) = max_time {
            self.max_time_us = Some(self.max_time_us.map_or(t, |m| m.max(t)));
            self.batches.push((min_key, t));
        }
    }

    /// The key the next run reads above so that it re-reads every row whose event time
    /// lies within `lookback_us` of the newest event: a transaction that committed late
    /// with a lower id (ids come from a sequence at insert time) is then still caught.
    /// Batch-granular, so it errs on re-reading slightly more, never less.
    pub fn lookback_key(&self, lookback_us: i64) -> Option<i64> {
        let newest = self.max_time_us?;
        let threshold = newest.saturating_sub(lookback_us);
        self.batches
            .iter()
            .filter(|(_, max_time)| *max_time >= threshold)
            .map(|(min_key, _)| min_key - 1)
            .min()
    }
}

/// The state after a run of an event table read by key that saw `stats` (rows read,
/// published before this state is saved): the watermark is the highest key seen, the
/// next run re-reads from the lookback key (and from below any row not final yet,
/// `min_pending`), and the row at the watermark keeps its time for `key_restart`.
pub fn next_key_state(
    previous: &DatasetState,
    stats: &EventStats,
    lookback: std::time::Duration,
    min_pending: Option<i64>,
    rows_written: u64,
    run_id: &str,
) -> DatasetState {
    let lookback_us = i64::try_from(lookback.as_micros()).unwrap_or(i64::MAX);
    let mut next = previous.clone();
    next.watermark_key = previous.watermark_key.max(stats.max_key);
    if stats.max_key.is_some() && stats.max_key >= previous.watermark_key {
        next.watermark_time_us = stats.time_at_max_key_us;
    }
    next.max_event_time_us = previous.max_event_time_us.max(stats.max_time_us);
    let lookback = stats.lookback_key(lookback_us).or(previous.lookback_key);
    // Unfinished rows (running jobs) are excluded now and must be read once they end.
    next.lookback_key = match (lookback, min_pending.map(|k| k - 1)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    next.rows_total = Some(previous.rows_total.unwrap_or(0) + rows_written);
    next.updated_at = chrono::Utc::now().to_rfc3339();
    next.run_id = run_id.to_string();
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, TimestampMicrosecondArray};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    fn batch(keys: &[i64], times: &[i64]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new(
                "created_at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from(keys.to_vec())),
                Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC")),
            ],
        )
        .unwrap()
    }

    #[test]
    fn lookback_covers_every_batch_touching_the_window() {
        let hour = 3_600_000_000;
        let mut stats = EventStats::default();
        stats.observe(&batch(&[1, 2, 3], &[0, hour, 2 * hour]), 0, 1);
        stats.observe(&batch(&[4, 5, 6], &[3 * hour, 4 * hour, 5 * hour]), 0, 1);
        stats.observe(&batch(&[7, 8], &[5 * hour, 6 * hour]), 0, 1);
        assert_eq!(stats.rows, 8);
        assert_eq!(stats.max_key, Some(8));
        assert_eq!(stats.max_time_us, Some(6 * hour));
        // Window [5h, 6h]: batches 2 and 3 touch it; re-read from key 4.
        assert_eq!(stats.lookback_key(hour), Some(3));
        // Zero lookback still re-reads the newest batch.
        assert_eq!(stats.lookback_key(0), Some(6));
    }

    #[test]
    fn next_state_keeps_the_highest_key_and_rereads_from_pending_rows() {
        let hour = 3_600_000_000;
        let mut stats = EventStats::default();
        stats.observe(&batch(&[4, 5, 6], &[hour, 2 * hour, 3 * hour]), 0, 1);
        let previous = DatasetState {
            watermark_key: Some(10),
            lookback_key: Some(8),
            ..Default::default()
        };
        let lookback = std::time::Duration::from_secs(3600);
        let next = next_key_state(&previous, &stats, lookback, None, 2, "r1");
        assert_eq!(
            next.watermark_key,
            Some(10),
            "a lower re-read never lowers it"
        );
        assert_eq!(
            next.watermark_time_us, None,
            "the row at the watermark was not read"
        );
        assert_eq!(next.lookback_key, Some(3));
        assert_eq!(next.rows_total, Some(2));
        let next = next_key_state(&DatasetState::default(), &stats, lookback, Some(2), 3, "r2");
        assert_eq!(next.watermark_key, Some(6));
        assert_eq!(next.watermark_time_us, Some(3 * hour));
        assert_eq!(
            next.lookback_key,
            Some(1),
            "re-read from below the pending row"
        );
        assert_eq!(next.max_event_time_us, Some(3 * hour));
    }

    #[test]
    fn empty_run_learns_nothing() {
        let stats = EventStats::default();
        assert_eq!(stats.lookback_key(1), None);
        assert_eq!(stats.max_key, None);
    }
}
