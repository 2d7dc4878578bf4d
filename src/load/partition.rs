//! Which `event_date` partition a row belongs to.
//!
//! `event_date` is the LOCAL calendar date of the row's event time in the pipeline's
//! IANA zone, never the load time and never a fixed UTC offset (wrong around DST).
//! Per batch we ask chrono-tz only for the UTC instants at which each local day of
//! the batch's time range starts, then classify every row with integer comparisons:
//! chrono-tz per row would dominate a 10M-row load.

use arrow_array::{Array, RecordBatch, TimestampMicrosecondArray, UInt32Array};
use arrow_schema::{DataType, TimeUnit};
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::error::{arrow_err, LoadError};
use crate::days::{local_date, local_day_start_us};

/// Rows whose event time is NULL go here (with a warning) instead of being dropped:
/// the archive must never lose a row, and 1970-01-01 is obviously "unknown" to a reader.
pub const NULL_EVENT_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};

/// Folder name of an event partition: `event_date=YYYY-MM-DD`.
pub fn event_partition_name(date: NaiveDate) -> String {
    format!("event_date={}", date.format("%Y-%m-%d"))
}

/// `<key>=2026-11-01` (e.g. `event_date=…`) → the date; `None` for other folder names.
pub fn partition_date(name: &str, key: &str) -> Option<NaiveDate> {
    let value = name.strip_prefix(key)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// The date of an `event_date=` folder name; `None` for other names.
pub fn event_partition_date(name: &str) -> Option<NaiveDate> {
    partition_date(name, "event_date")
}

/// Folder name of a snapshot partition: `snapshot_date=YYYY-MM-DD`.
pub fn snapshot_partition_name(date: NaiveDate) -> String {
    format!("snapshot_date={}", date.format("%Y-%m-%d"))
}

/// Splits a batch by the local date (in `tz`) of `time_column`, a
/// `Timestamp(Microsecond, Some(_))` column. Dates come out ascending; rows keep their
/// order within a date. NULL times go to [`NULL_EVENT_DATE`] with a warning.
pub fn split_by_event_date(
    batch: &RecordBatch,
    time_column: &str,
    tz: Tz,
) -> Result<Vec<(NaiveDate, RecordBatch)>, LoadError> {
    split_for_dataset("(batch)", batch, time_column, tz)
}

pub(crate) fn split_for_dataset(
    dataset: &str,
    batch: &RecordBatch,
    time_column: &str,
    tz: Tz,
) -> Result<Vec<(NaiveDate, RecordBatch)>, LoadError> {
    let times = time_array(dataset, batch, time_column)?;
    if batch.num_rows() == 0 {
        return Ok(Vec::new());
    }
    let (min, max) = match min_max(times) {
        Some(range) => range,
        None => {
            warn_nulls(dataset, time_column, batch.num_rows());
            return Ok(vec![(NULL_EVENT_DATE, batch.clone())]);
        }
    };
    let first = local_date(min, tz);
    let last = local_date(max, tz);
    // starts[i] = first UTC µs of local day first+i; one extra entry bounds the last day.
    let days = (last - first).num_days() as usize + 1;
    let starts: Vec<i64> = (0..=days)
        .map(|i| local_day_start_us(first + Days::new(i as u64), tz))
        .collect();

    if days == 1 && times.null_count() == 0 {
        return Ok(vec![(first, batch.clone())]);
    }
    // Bucket 0 holds NULL times; bucket d+1 the d-th day.
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); days + 1];
    let mut current = 0usize; // rows are roughly time-ordered: check the last day first
    for row in 0..times.len() {
        if times.is_null(row) {
            buckets[0].push(row as u32);
            continue;
        }
        let t = times.value(row);
        if !(starts[current] <= t && t < starts[current + 1]) {
            current = starts
                .partition_point(|&s| s <= t)
                .saturating_sub(1)
                .min(days - 1);
        }
        buckets[current + 1].push(row as u32);
    }
    if !buckets[0].is_empty() {
        warn_nulls(dataset, time_column, buckets[0].len());
    }
    let mut out = Vec::new();
    for (i, rows) in buckets.into_iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        let date = if i == 0 {
            NULL_EVENT_DATE
        } else {
            first + Days::new((i - 1) as u64)
        };
        let part = arrow_select::take::take_record_batch(batch, &UInt32Array::from(rows))
            .map_err(arrow_err(dataset))?;
        out.push((date, part));
    }
    out.sort_by_key(|(d, _)| *d);
    Ok(out)
}

fn time_array<'a>(
    dataset: &str,
    batch: &'a RecordBatch,
    time_column: &str,
) -> Result<&'a TimestampMicrosecondArray, LoadError> {
    let schema_err = |message: String| LoadError::Schema {
        dataset: dataset.to_string(),
        message,
    };
    let column = batch
        .column_by_name(time_column)
        .ok_or_else(|| schema_err(format!("time column {time_column} is missing")))?;
    match column.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => {}
        other => {
            return Err(schema_err(format!(
                "time column {time_column} is {other}, expected Timestamp(Microsecond, \"UTC\")"
            )))
        }
    }
    column
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or_else(|| schema_err(format!("time column {time_column} is not a µs timestamp")))
}

fn min_max(times: &TimestampMicrosecondArray) -> Option<(i64, i64)> {
    let mut range: Option<(i64, i64)> = None;
    for t in times.iter().flatten() {
        range = Some(match range {
            None => (t, t),
            Some((lo, hi)) => (lo.min(t), hi.max(t)),
        });
    }
    range
}

fn warn_nulls(dataset: &str, time_column: &str, rows: usize) {
    tracing::warn!(
        dataset,
        time_column,
        rows,
        "rows with NULL event time kept in partition event_date=1970-01-01"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use arrow_schema::{Field, Schema};
    use chrono::DateTime;
    use std::sync::Arc;

    fn us(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_micros()
    }

    fn batch(times: Vec<Option<i64>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new(
                "created_at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ]));
        let ids = Int64Array::from_iter_values(0..times.len() as i64);
        let ts = TimestampMicrosecondArray::from(times).with_timezone("UTC");
        RecordBatch::try_new(schema, vec![Arc::new(ids), Arc::new(ts)]).unwrap()
    }

    fn dates_of(rows: &[&str], tz: Tz) -> Vec<String> {
        let b = batch(rows.iter().map(|r| Some(us(r))).collect());
        let parts = split_by_event_date(&b, "created_at", tz).unwrap();
        // Map every input row (by id) back to its partition date.
        let mut by_row = vec![String::new(); rows.len()];
        for (date, part) in parts {
            let ids = part
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            for id in ids.values() {
                by_row[*id as usize] = date.to_string();
            }
        }
        by_row
    }

    #[test]
    fn dst_spring_forward_and_fall_back_new_york() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let got = dates_of(
            &[
                "2026-03-08T04:59:00Z", // 23:59 EST on the 7th
                "2026-03-08T06:30:00Z", // 01:30 EST
                "2026-03-08T07:30:00Z", // 03:30 EDT
                "2026-11-01T05:30:00Z", // 01:30 EDT
                "2026-11-01T06:30:00Z", // 01:30 EST (repeated hour)
                "2026-11-02T04:59:59Z", // 23:59:59 EST on the 1st
                "2026-11-02T05:00:00Z", // midnight EST on the 2nd
            ],
            ny,
        );
        assert_eq!(
            got,
            [
                "2026-03-07",
                "2026-03-08",
                "2026-03-08",
                "2026-11-01",
                "2026-11-01",
                "2026-11-01",
                "2026-11-02"
            ]
        );
    }

    #[test]
    fn batch_spanning_three_days_keeps_every_row_in_order() {
        let rows = [
            "2026-03-01T23:00:00Z",
            "2026-03-02T01:00:00Z",
            "2026-03-01T00:00:00Z",
            "2026-03-03T12:00:00Z",
            "2026-03-02T23:59:59.999999Z",
        ];
        assert_eq!(
            dates_of(&rows, Tz::UTC),
            [
                "2026-03-01",
                "2026-03-02",
                "2026-03-01",
                "2026-03-03",
                "2026-03-02"
            ]
        );
        let b = batch(rows.iter().map(|r| Some(us(r))).collect());
        let parts = split_by_event_date(&b, "created_at", Tz::UTC).unwrap();
        let dates: Vec<_> = parts.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2026-03-01", "2026-03-02", "2026-03-03"]);
        assert_eq!(
            parts.iter().map(|(_, b)| b.num_rows()).sum::<usize>(),
            rows.len()
        );
    }

    #[test]
    fn null_times_are_kept_in_1970() {
        let b = batch(vec![Some(us("2026-03-01T12:00:00Z")), None]);
        let parts = split_by_event_date(&b, "created_at", Tz::UTC).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, NULL_EVENT_DATE);
        assert_eq!(parts[0].1.num_rows(), 1);
    }

    #[test]
    fn zone_without_midnight_still_classifies() {
        // America/Santiago springs forward at 24:00 on 2026-09-05 → 2026-09-06 starts at 01:00.
        let scl: Tz = "America/Santiago".parse().unwrap();
        let got = dates_of(&["2026-09-06T03:59:59Z", "2026-09-06T04:00:00Z"], scl);
        assert_eq!(got, ["2026-09-05", "2026-09-06"]);
    }

    #[test]
    fn naive_timestamps_are_rejected() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "created_at",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        )]));
        let ts = TimestampMicrosecondArray::from(vec![Some(0)]);
        let b = RecordBatch::try_new(schema, vec![Arc::new(ts)]).unwrap();
        assert!(matches!(
            split_by_event_date(&b, "created_at", Tz::UTC),
            Err(LoadError::Schema { .. })
        ));
    }

    #[test]
    fn partition_dates_come_from_folder_names() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            partition_date("event_date=2026-11-01", "event_date"),
            Some(d)
        );
        assert_eq!(
            partition_date("snapshot_date=2026-11-01", "event_date"),
            None
        );
        assert_eq!(partition_date("event_date=1970-13-01", "event_date"), None);
    }
}
