//! Local time for reports: every date and hour a report shows is in the pipeline's zone,
//! converted with the zone's rules (DST-correct), never with a fixed offset.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A UTC timestamp in microseconds (as the lake stores them) as local wall-clock time.
pub fn local_time(tz: Tz, utc_us: i64) -> NaiveDateTime {
    let utc = DateTime::<Utc>::from_timestamp_micros(utc_us).unwrap_or_default();
    utc.with_timezone(&tz).naive_local()
}

/// Today in the pipeline's zone.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Local hour (0..=23) of UTC instants that fall on one local day, fast: outside DST
/// changes the day has one UTC offset, so the hour is arithmetic; on the two days a year
/// with a change, each instant goes through the zone rules.
pub struct DayHours {
    tz: Tz,
    /// The day's single offset in µs, or `None` on a DST-change day.
    offset_us: Option<i64>,
}

impl DayHours {
    pub fn new(tz: Tz, day: NaiveDate) -> Self {
        let at = |t: NaiveDateTime| {
            tz.from_local_datetime(&t)
                .earliest()
                .map(|d| d.naive_local() - d.naive_utc())
        };
        let start = at(day.and_hms_opt(0, 0, 0).expect("midnight"));
        let end = at(day.and_hms_opt(23, 59, 59).expect("end of day"));
        let offset_us = match (start, end) {
            (Some(a), Some(b)) if a == b => a.num_microseconds(),
            _ => None,
        };
        DayHours { tz, offset_us }
    }

    pub fn hour(&self, utc_us: i64) -> u32 {
        match self.offset_us {
            Some(offset) => ((utc_us + offset).div_euclid(3_600_000_000)).rem_euclid(24) as u32,
            None => local_time(self.tz, utc_us).hour(),
        }
    }
}

/// How `adoption` groups days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    Day,
    /// ISO weeks, Monday first; labelled by their Monday.
    Week,
    /// Calendar months, labelled by their first day.
    Month,
}

impl Period {
    /// The first day of the period holding `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => day,
            Period::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Period::Month => day.with_day(1).expect("day 1 exists"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// Hour of the week, 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00.
pub fn hour_of_week(day: NaiveDate, hour: u32) -> usize {
    day.weekday().num_days_from_monday() as usize * 24 + hour as usize
}

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "Sat 22:00" for hour-of-week 142.
pub fn hour_of_week_label(slot: usize) -> String {
    format!("{} {:02}:00", WEEKDAYS[(slot / 24) % 7], slot % 24)
}

/// Parses "sat 22", "Sat 22:00" or "saturday 22:00" into an hour of the week.
pub fn parse_hour_of_week(text: &str) -> Option<usize> {
    let mut parts = text.split_whitespace();
    let day = parts.next()?.to_ascii_lowercase();
    let time = parts.next()?;
    if parts.next().is_some() || day.len() < 3 {
        return None;
    }
    let weekday = WEEKDAYS
        .iter()
        .position(|w| day.starts_with(&w.to_ascii_lowercase()))?;
    let hour: usize = match time.split_once(':') {
        Some((h, m)) if m.chars().all(|c| c == '0') => h.parse().ok()?,
        Some(_) => return None,
        None => time.parse().ok()?,
    };
    (hour < 24).then_some(weekday * 24 + hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn hours_follow_dst_on_the_change_day() {
        let tz: Tz = "Europe/Zurich".parse().unwrap();
        // 2026-03-29: clocks go 02:00 → 03:00 (UTC+1 → UTC+2).
        let day = d(2026, 3, 29);
        let hours = DayHours::new(tz, day);
        let us = |h: u32, m: u32| {
            Utc.with_ymd_and_hms(2026, 3, 29, h, m, 0)
                .unwrap()
                .timestamp_micros()
        };
        assert_eq!(hours.hour(us(0, 30)), 1); // 01:30 CET
        assert_eq!(hours.hour(us(1, 30)), 3); // 03:30 CEST
        let summer = DayHours::new(tz, d(2026, 7, 1));
        let t = Utc
            .with_ymd_and_hms(2026, 7, 1, 21, 59, 0)
            .unwrap()
            .timestamp_micros();
        assert_eq!(summer.hour(t), 23);
    }

    #[test]
    fn periods_start_on_monday_and_the_first() {
        assert_eq!(Period::Week.start(d(2026, 11, 8)), d(2026, 11, 2));
        assert_eq!(Period::Week.start(d(2026, 11, 2)), d(2026, 11, 2));
        assert_eq!(Period::Month.start(d(2026, 11, 30)), d(2026, 11, 1));
    }

    #[test]
    fn hour_of_week_round_trips() {
        assert_eq!(parse_hour_of_week("Sat 22:00"), Some(5 * 24 + 22));
        assert_eq!(parse_hour_of_week("monday 0"), Some(0));
        assert_eq!(parse_hour_of_week("sun 23"), Some(167));
        assert_eq!(parse_hour_of_week("sun 24"), None);
        assert_eq!(parse_hour_of_week("sat 22:30"), None);
        assert_eq!(hour_of_week_label(142), "Sat 22:00");
        assert_eq!(hour_of_week(d(2026, 11, 8), 3), 6 * 24 + 3);
    }
}
