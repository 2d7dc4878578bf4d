//! Event times as exported by real systems, to µs since the epoch (UTC).
//!
//! Accepted: `YYYY-MM-DD[T ]HH:MM:SS[.f…]` with an optional offset (`Z`, `+01:00`,
//! `+0100`). An explicit offset wins over the source's zone; a naive time is local time in
//! the source's zone. Fractions beyond µs are truncated (the lake keeps µs). A local time
//! that occurs twice (the repeated hour when clocks go back) is read as its first
//! occurrence unless configured otherwise; one that does not exist (the skipped hour) is a
//! bad row: guessing would invent an instant the system never wrote.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Which instant an ambiguous local time means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmbiguousTime {
    #[default]
    Earliest,
    Latest,
    /// A bad row.
    Reject,
}

impl AmbiguousTime {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "earliest" => Some(Self::Earliest),
            "latest" => Some(Self::Latest),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("time `{0}` is not a timestamp like 2026-03-08 14:05:00 or 2026-03-08T14:05:00Z")]
    Unparseable(String),
    #[error("local time `{text}` does not exist in {zone} (clocks skipped it)")]
    Nonexistent { text: String, zone: Tz },
    #[error(
        "local time `{text}` occurs twice in {zone} (clocks went back) and ambiguous = \"reject\""
    )]
    Ambiguous { text: String, zone: Tz },
}

/// Parses one time value; see the module doc for the rules.
pub fn parse_event_time(text: &str, zone: Tz, ambiguous: AmbiguousTime) -> Result<i64, TimeError> {
    let trimmed = text.trim();
    let unparseable = || TimeError::Unparseable(text.to_string());
    let (naive_text, offset) = split_offset(trimmed).ok_or_else(unparseable)?;
    let naive = parse_naive(naive_text).ok_or_else(unparseable)?;
    let instant = match offset {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .ok_or_else(unparseable)?
            .timestamp_micros(),
        None => match zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.timestamp_micros(),
            LocalResult::Ambiguous(first, second) => match ambiguous {
                AmbiguousTime::Earliest => first.timestamp_micros(),
                AmbiguousTime::Latest => second.timestamp_micros(),
                AmbiguousTime::Reject => {
                    return Err(TimeError::Ambiguous {
                        text: text.to_string(),
                        zone,
                    })
                }
            },
            LocalResult::None => {
                return Err(TimeError::Nonexistent {
                    text: text.to_string(),
                    zone,
                })
            }
        },
    };
    Ok(instant)
}

/// Splits a trailing `Z` / `±HH:MM` / `±HHMM` / `±HH` offset from the date-time.
fn split_offset(text: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(rest) = text.strip_suffix(['Z', 'z']) {
        return Some((rest, FixedOffset::east_opt(0)));
    }
    // The offset's sign comes after the time part: search after the date's dashes.
    let time_start = text.find(['T', 't', ' '])?;
    let Some(sign_at) = text[time_start..].rfind(['+', '-']).map(|i| i + time_start) else {
        return Some((text, None));
    };
    let (naive, offset) = text.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?;
    Some((naive.trim_end(), Some(offset)))
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    // Split the fraction off so that more than 9 digits, or exactly µs, parse the same way.
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(whole, format).ok())?;
    let micros = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{f:0<6}");
            padded[..6].parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    whole.checked_add_signed(chrono::Duration::microseconds(i64::from(micros)))
}

/// For messages and tests: an instant as RFC 3339 UTC with µs.
pub fn format_instant(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_else(|| micros.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    fn parse(text: &str) -> Result<String, TimeError> {
        parse_event_time(text, berlin(), AmbiguousTime::Earliest).map(format_instant)
    }

    #[test]
    fn naive_times_are_local_in_the_source_zone() {
        assert_eq!(
            parse("2026-01-10 09:00:00").unwrap(),
            "2026-01-10T08:00:00.000000Z"
        );
        assert_eq!(
            parse("2026-07-10T09:00:00").unwrap(),
            "2026-07-10T07:00:00.000000Z"
        );
    }

    #[test]
    fn an_explicit_offset_wins_over_the_zone() {
        assert_eq!(
            parse("2026-01-10T09:00:00Z").unwrap(),
            "2026-01-10T09:00:00.000000Z"
        );
        assert_eq!(
            parse("2026-01-10 09:00:00+01:00").unwrap(),
            "2026-01-10T08:00:00.000000Z"
        );
        assert_eq!(
            parse("2026-01-10T09:00:00-0530").unwrap(),
            "2026-01-10T14:30:00.000000Z"
        );
    }

    #[test]
    fn microsecond_fractions_are_kept_and_finer_ones_truncated() {
        assert_eq!(
            parse("2026-01-10T09:00:00.123456Z").unwrap(),
            "2026-01-10T09:00:00.123456Z"
        );
        assert_eq!(
            parse("2026-01-10T09:00:00.5Z").unwrap(),
            "2026-01-10T09:00:00.500000Z"
        );
        assert_eq!(
            parse("2026-01-10T09:00:00.123456789Z").unwrap(),
            "2026-01-10T09:00:00.123456Z"
        );
        assert!(parse("2026-01-10T09:00:00.Z").is_err());
    }

    #[test]
    fn an_ambiguous_local_time_is_its_first_occurrence_unless_configured() {
        // 2026-10-25 02:30 happens twice in Berlin: 00:30Z (CEST) then 01:30Z (CET).
        assert_eq!(
            parse("2026-10-25 02:30:00").unwrap(),
            "2026-10-25T00:30:00.000000Z"
        );
        let latest = parse_event_time("2026-10-25 02:30:00", berlin(), AmbiguousTime::Latest);
        assert_eq!(
            format_instant(latest.unwrap()),
            "2026-10-25T01:30:00.000000Z"
        );
        assert!(matches!(
            parse_event_time("2026-10-25 02:30:00", berlin(), AmbiguousTime::Reject),
            Err(TimeError::Ambiguous { .. })
        ));
    }

    #[test]
    fn a_nonexistent_local_time_is_an_error() {
        // 2026-03-29 02:30 never happens in Berlin (02:00 → 03:00).
        assert!(matches!(
            parse("2026-03-29 02:30:00"),
            Err(TimeError::Nonexistent { .. })
        ));
        // With an explicit offset it is a fine instant.
        assert!(parse("2026-03-29T02:30:00+01:00").is_ok());
    }

    #[test]
    fn garbage_is_unparseable() {
        for text in [
            "",
            "yesterday",
            "2026-13-01 00:00:00",
            "2026-01-10 25:00:00",
            "2026-01-10T09:00:00+99:00",
        ] {
            assert!(
                matches!(parse(text), Err(TimeError::Unparseable(_))),
                "{text}"
            );
        }
    }
}
