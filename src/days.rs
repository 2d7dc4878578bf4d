//! Local days of the pipeline's time zone and the UTC instants that bound them.
//!
//! `event_date` and `snapshot_date` partitions are local days; sources are read by UTC
//! instants. Every conversion between the two goes through here, so a backfill reads
//! exactly the instants that `load` files under the day's partition.

use chrono::{DateTime, NaiveDate, Offset, TimeZone, Utc};
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

    /// `[from 00:00, to+1 00:00)` local, as UTC microseconds: exactly the instants whose
    /// `event_date` partition is in the range (the same boundaries `load` splits by).
    pub fn to_utc_micros(&self, tz: Tz) -> (i64, i64) {
        let start = local_day_start_us(self.from, tz);
        let end = local_day_start_us(self.to.succ_opt().unwrap_or(self.to), tz);
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

/// Local calendar date of a UTC instant (µs since the epoch).
pub fn local_date(us: i64, tz: Tz) -> NaiveDate {
    let utc = DateTime::from_timestamp_micros(us).unwrap_or_default();
    utc.with_timezone(&tz).date_naive()
}

/// First UTC instant (µs) whose local date in `tz` is `date` or later.
///
/// Usually local midnight, but midnight does not exist in every zone on every day
/// (e.g. America/Santiago springs forward at 00:00, Pacific/Apia skipped 2011-12-30),
/// so this binary-searches the instant instead of converting a wall-clock time.
/// Where a zone falls back across midnight (rare), the repeated hour is counted to the
/// later date: the split is monotonic in time by construction.
pub fn local_day_start_us(date: NaiveDate, tz: Tz) -> i64 {
    let naive_midnight = date.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let guess = naive_midnight.timestamp_micros()
        - i64::from(
            tz.offset_from_utc_datetime(&naive_midnight.naive_utc())
                .fix()
                .local_minus_utc(),
        ) * 1_000_000;
    if local_date(guess, tz) >= date && local_date(guess - 1, tz) < date {
        return guess; // the common case: one chrono-tz lookup pair per day
    }
    // Offsets stay within ±26 h, so the boundary lies in this window.
    let (mut lo, mut hi) = (guess - 27 * 3_600_000_000, guess + 27 * 3_600_000_000);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if local_date(mid, tz) >= date {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `[local midnight of day, local midnight of the next day)` as UTC epoch ms.
pub fn day_bounds_ms(day: NaiveDate, tz: Tz) -> (i64, i64) {
    let (from_us, to_us) = DateRange::day(day).to_utc_micros(tz);
    (from_us / 1000, to_us / 1000)
}

/// The local date (pipeline zone) of an instant in UTC epoch ms.
pub fn local_date_of_ms(ms: i64, tz: Tz) -> Option<NaiveDate> {
    DateTime::<Utc>::from_timestamp_millis(ms)?;
    Some(local_date(ms.checked_mul(1000)?, tz))
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
