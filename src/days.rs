//! Local days of the pipeline's time zone and the UTC instants that bound them.
//!
//! `event_date` and `snapshot_date` partitions are local days; sources are read by UTC
//! instants. Every conversion between the two goes through here.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Inclusive local dates in the pipeline's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// One day.
    pub fn day(date: NaiveDate) -> Self {
        DateRange {
            from: date,
            to: date,
        }
    }

    /// `[from 00:00, to+1 00:00)` local, as UTC microseconds. Local midnight can fall in
    /// a DST gap in a few zones; the earliest valid instant after it is used then.
    pub fn to_utc_micros(&self, tz: Tz) -> (i64, i64) {
        let start = local_midnight_utc(tz, self.from);
        let end = local_midnight_utc(tz, self.to.succ_opt().unwrap_or(self.to));
        (start, end)
    }

    /// Every date of the range, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }
}

fn local_midnight_utc(tz: Tz, date: NaiveDate) -> i64 {
    let mut t = date.and_time(NaiveTime::MIN);
    loop {
        if let Some(instant) = tz.from_local_datetime(&t).earliest() {
            return instant.timestamp_micros();
        }
        t += chrono::Duration::minutes(15);
    }
}

/// `[local midnight of day, local midnight of the next day)` as UTC epoch ms.
pub fn day_bounds_ms(day: NaiveDate, tz: Tz) -> (i64, i64) {
    let (from_us, to_us) = DateRange::day(day).to_utc_micros(tz);
    (from_us / 1000, to_us / 1000)
}

/// The local date (pipeline zone) of an instant in UTC epoch ms.
pub fn local_date_of_ms(ms: i64, tz: Tz) -> Option<NaiveDate> {
    let t = DateTime::<Utc>::from_timestamp_millis(ms)?;
    Some(t.with_timezone(&tz).date_naive())
}

/// The local date (pipeline zone) of an instant in UTC epoch µs.
pub fn local_date_of_us(us: i64, tz: Tz) -> Option<NaiveDate> {
    let t = DateTime::<Utc>::from_timestamp_micros(us)?;
    Some(t.with_timezone(&tz).date_naive())
}

/// An instant in UTC epoch µs for people: `2026-11-03 14:00:00Z`, or `?`.
pub fn format_us(us: Option<i64>) -> String {
    us.and_then(DateTime::<Utc>::from_timestamp_micros)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_range_covers_local_days_across_dst() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let range = DateRange::day(NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        let (from, to) = range.to_utc_micros(tz);
        // 2026-03-08 00:00 EST = 05:00Z; 2026-03-09 00:00 EDT = 04:00Z (a 23-hour day).
        assert_eq!(
            from,
            Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0)
                .unwrap()
                .timestamp_micros()
        );
        assert_eq!(
            to,
            Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0)
                .unwrap()
                .timestamp_micros()
        );
    }
}
