//! What a table read learns from its batches on the way to the lake: the late-row window
//! behind the next lookback key, NULL partition times, the newest time.

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};

/// The key the next run of an id table re-reads above: the largest id seen whose time
/// is older than the lookback window (newest time − lookback). Ids of rows still
/// uncommitted now (a late transaction) lie above it, whatever ids the window holds.
///
/// Tableau's logs use `EventStats::lookback_key` (the smallest id seen in the window),
/// which assumes the window's ids are contiguous; an application table read through a
/// view, or filtered, has gaps there, and a late row in such a gap would be missed.
/// Memory: the (time, id) pairs of the rows inside the window.
#[derive(Debug)]
pub(super) struct LateRowWindow {
    lookback_us: i64,
    newest: Option<i64>,
    /// Largest id whose time is before the current window.
    below: Option<i64>,
    /// (time, id) of rows inside the current window, moved to `below` as it advances.
    inside: Vec<(i64, i64)>,
}

impl LateRowWindow {
    pub fn new(lookback: std::time::Duration) -> Self {
        LateRowWindow {
            lookback_us: i64::try_from(lookback.as_micros()).unwrap_or(i64::MAX),
            newest: None,
            below: None,
            inside: Vec::new(),
        }
    }

    pub fn observe(&mut self, batch: &RecordBatch, key_index: usize, time_index: usize) {
        use arrow_array::types::Int64Type;
        let keys = batch.column(key_index).as_primitive::<Int64Type>();
        let times = batch
            .column(time_index)
            .as_primitive::<TimestampMicrosecondType>();
        if let Some(max) = times.iter().flatten().max() {
            if self.newest.is_none_or(|n| max > n) {
                self.newest = Some(max);
                let threshold = self.threshold();
                let below = &mut self.below;
                self.inside.retain(|&(time, key)| {
                    let is_inside = time >= threshold;
                    if !is_inside {
                        *below = (*below).max(Some(key));
                    }
                    is_inside
                });
            }
        }
        let threshold = self.threshold();
        for (key, time) in keys.iter().zip(times.iter()) {
            // A NULL id fails the write; a NULL time says nothing about the window.
            let (Some(key), Some(time)) = (key, time) else {
                continue;
            };
            if time < threshold {
                self.below = self.below.max(Some(key));
            } else {
                self.inside.push((time, key));
            }
        }
    }

    fn threshold(&self) -> i64 {
        self.newest
            .map_or(i64::MIN, |n| n.saturating_sub(self.lookback_us))
    }

    /// The next run's lookback key: the largest id before the window, else the
    /// previous one, else everything (every row read so far lies inside the window).
    pub fn lookback_key(&self, previous: Option<i64>) -> Option<i64> {
        self.below.or(previous).or(Some(i64::MIN))
    }
}

/// Counts rows whose partition column is NULL (they land in the NULL partition).
#[derive(Default)]
pub(super) struct NullTimes {
    pub rows: u64,
}

impl NullTimes {
    pub fn observe(&mut self, batch: &RecordBatch, index: usize) {
        self.rows += batch.column(index).null_count() as u64;
    }

    pub fn warning(&self, column: &str) -> Option<String> {
        (self.rows > 0).then(|| {
            format!(
                "{} row(s) read have NULL `{column}` (partition_by); they are kept in \
                 event_date=1970-01-01",
                self.rows
            )
        })
    }
}

/// The newest non-NULL value of a timestamp column in a batch.
pub(super) fn max_time(batch: &RecordBatch, index: usize) -> Option<i64> {
    batch
        .column(index)
        .as_primitive::<TimestampMicrosecondType>()
        .iter()
        .flatten()
        .max()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, TimestampMicrosecondArray};

    use super::*;

    const MINUTE: i64 = 60_000_000;

    fn batch(rows: &[(i64, Option<i64>)]) -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                )) as arrow_array::ArrayRef,
            ),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())
                        .with_timezone("UTC"),
                ),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn the_lookback_key_is_the_last_id_before_the_window_whatever_the_gaps() {
        let mut window = LateRowWindow::new(std::time::Duration::from_secs(3600));
        // A view with gaps: id 6 (at 11:30) is not committed yet.
        window.observe(
            &batch(&[(1, Some(0)), (2, Some(60 * MINUTE)), (4, None)]),
            0,
            1,
        );
        window.observe(&batch(&[(7, Some(720 * MINUTE))]), 0, 1);
        // Window: [11:00, 12:00]; the last id before it is 2, so id 6 is re-read.
        assert_eq!(window.lookback_key(None), Some(2));
    }

    #[test]
    fn rows_leave_the_window_as_newer_rows_arrive_in_any_order() {
        let mut window = LateRowWindow::new(std::time::Duration::from_secs(3600));
        window.observe(
            &batch(&[(10, Some(100 * MINUTE)), (11, Some(130 * MINUTE))]),
            0,
            1,
        );
        assert_eq!(
            window.lookback_key(Some(3)),
            Some(3),
            "all inside: keep the previous"
        );
        window.observe(
            &batch(&[(13, Some(200 * MINUTE)), (12, Some(150 * MINUTE))]),
            0,
            1,
        );
        // Window [140, 200]: 10 and 11 are before it.
        assert_eq!(window.lookback_key(Some(3)), Some(11));
        let empty = LateRowWindow::new(std::time::Duration::from_secs(60));
        assert_eq!(
            empty.lookback_key(None),
            Some(i64::MIN),
            "re-read everything"
        );
    }
}
