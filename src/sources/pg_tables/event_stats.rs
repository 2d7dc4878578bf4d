//! What a run learned about an event table's keys and times, for the next watermark.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::RecordBatch;

/// Per-batch extremes of the rows read (not only the rows written: a row already in the
/// lake still proves its key range was seen).
#[derive(Debug, Default)]
pub struct EventStats {
    pub rows: u64,
    pub max_key: Option<i64>,
    pub max_time_us: Option<i64>,
    /// (smallest key, largest time) per batch; batches are ordered by arrival.
    batches: Vec<(i64, i64)>,
}

impl EventStats {
    pub fn observe(&mut self, batch: &RecordBatch, key_index: usize, time_index: usize) {
        let keys = batch.column(key_index).as_primitive::<Int64Type>();
        let times = batch
            .column(time_index)
            .as_primitive::<TimestampMicrosecondType>();
        let (mut min_key, mut max_key) = (i64::MAX, i64::MIN);
        for &k in keys.values() {
            min_key = min_key.min(k);
            max_key = max_key.max(k);
        }
        let max_time = times.iter().flatten().max();
        self.rows += batch.num_rows() as u64;
        if batch.num_rows() == 0 {
            return;
        }
        self.max_key = Some(self.max_key.map_or(max_key, |m| m.max(max_key)));
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
    fn empty_run_learns_nothing() {
        let stats = EventStats::default();
        assert_eq!(stats.lookback_key(1), None);
        assert_eq!(stats.max_key, None);
    }
}
