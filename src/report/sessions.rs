//! Session reports read from the lake: who is logged in at an instant, the sessions of a
//! date range, and the peak number of concurrent sessions per machine and hour.
//!
//! Partition pruning: `sessions` is partitioned by the login's local date, and a session
//! lasts at most the source's `max_session_hours` (it times out there), so the sessions
//! that can contain an instant `t` logged in on the days of `[t - max, t]`; only those
//! partitions are opened. A source without a maximum has to be read whole.

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use crate::load::partition_date;
use crate::load::{list_partitions, LakeLayout, LoadError};
use crate::pipeline::Pipeline;
use crate::transform::lake::read_files_columns;
use crate::transform::sessions::SESSIONS;
use crate::transform::TransformError;

#[derive(Debug, thiserror::Error)]
pub enum SessionsReportError {
    #[error("listing {source_name}/sessions")]
    List {
        source_name: String,
        #[source]
        source: Box<LoadError>,
    },
    #[error("reading {source_name}/sessions")]
    Read {
        source_name: String,
        #[source]
        source: Box<TransformError>,
    },
    #[error("no source named `{0}` in this pipeline")]
    UnknownSource(String),
}

/// Which sessions to look at.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub machine: Option<String>,
    pub source: Option<String>,
}

/// One session row as the reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub source: String,
    pub machine: String,
    pub user: String,
    /// µs since the epoch, UTC.
    pub login_at: Option<i64>,
    pub logout_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub end_reason: String,
}

impl SessionRow {
    /// `[login_at, logout_at)`; an open session lapses at its deadline.
    pub fn is_active_at(&self, at: i64) -> bool {
        let Some(login_at) = self.login_at else {
            return false;
        };
        let end = self.logout_at.or(self.deadline_at).unwrap_or(i64::MAX);
        login_at <= at && at < end
    }

    /// When the session stops counting (the end of time for one that never times out).
    fn end(&self) -> i64 {
        self.logout_at.or(self.deadline_at).unwrap_or(i64::MAX)
    }
}

/// The sources that have sessions, with their longest possible session in µs.
fn session_sources(
    pipeline: &Pipeline,
    filter: &SessionFilter,
) -> Result<Vec<(String, Option<i64>)>, SessionsReportError> {
    let sources: Vec<(String, Option<i64>)> = pipeline
        .sources
        .iter()
        .filter_map(|source| {
            let rules = source.session_rules()?;
            Some((source.name().to_string(), rules.max_session_micros))
        })
        .filter(|(name, _)| filter.source.as_ref().is_none_or(|s| s == name))
        .collect();
    if let Some(wanted) = &filter.source {
        if sources.is_empty() {
            return Err(SessionsReportError::UnknownSource(wanted.clone()));
        }
    }
    Ok(sources)
}

/// Every session of `source` logged in (or, for orphans, logged out) on a local date in
/// `dates` (`None`: all), restricted to `machine`.
fn read_sessions(
    layout: &LakeLayout,
    source: &str,
    dates: Option<(NaiveDate, NaiveDate)>,
    machine: Option<&str>,
) -> Result<Vec<SessionRow>, SessionsReportError> {
    let partitions =
        list_partitions(layout, source, SESSIONS).map_err(|e| SessionsReportError::List {
            source_name: source.to_string(),
            source: Box::new(e),
        })?;
    let mut rows = Vec::new();
    for partition in partitions {
        let Some(date) = partition_date(&partition.name, "event_date") else {
            continue;
        };
        if dates.is_some_and(|(from, to)| date < from || date > to) {
            continue;
        }
        let columns = [
            "machine",
            "user",
            "login_at",
            "logout_at",
            "deadline_at",
            "end_reason",
        ];
        let batches = read_files_columns(&partition.files, &columns).map_err(|e| {
            SessionsReportError::Read {
                source_name: source.to_string(),
                source: Box::new(e),
            }
        })?;
        for batch in batches {
            push_rows(&batch, source, machine, &mut rows);
        }
    }
    Ok(rows)
}

fn push_rows(batch: &RecordBatch, source: &str, machine: Option<&str>, rows: &mut Vec<SessionRow>) {
    let machines = batch.column(0).as_string::<i32>();
    let users = batch.column(1).as_string::<i32>();
    let time = |i: usize| batch.column(i).as_primitive::<TimestampMicrosecondType>();
    let (login, logout, deadline) = (time(2), time(3), time(4));
    let reason = batch.column(5).as_string::<i32>();
    let opt = |a: &arrow_array::TimestampMicrosecondArray, row: usize| {
        a.is_valid(row).then(|| a.value(row))
    };
    for row in 0..batch.num_rows() {
        if machine.is_some_and(|m| m != machines.value(row)) {
            continue;
        }
        rows.push(SessionRow {
            source: source.to_string(),
            machine: machines.value(row).to_string(),
            user: users.value(row).to_string(),
            login_at: opt(login, row),
            logout_at: opt(logout, row),
            deadline_at: opt(deadline, row),
            end_reason: reason.value(row).to_string(),
        });
    }
}

fn local_date(at: i64, tz: Tz) -> NaiveDate {
    DateTime::from_timestamp_micros(at)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

/// Machine → the users logged in at `at` (each once, sorted), from every session source.
pub fn current_users(
    pipeline: &Pipeline,
    at: i64,
    filter: &SessionFilter,
) -> Result<BTreeMap<String, BTreeSet<String>>, SessionsReportError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let tz = pipeline.time_zone;
    let mut machines: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (source, max) in session_sources(pipeline, filter)? {
        let dates = max.map(|max| (local_date(at.saturating_sub(max), tz), local_date(at, tz)));
        for row in read_sessions(&layout, &source, dates, filter.machine.as_deref())? {
            if row.is_active_at(at) {
                machines.entry(row.machine).or_default().insert(row.user);
            }
        }
    }
    Ok(machines)
}

/// Sessions whose login (an orphan's logout) falls on a local date in `[from, to]`.
pub fn sessions_between(
    pipeline: &Pipeline,
    from: NaiveDate,
    to: NaiveDate,
    filter: &SessionFilter,
) -> Result<Vec<SessionRow>, SessionsReportError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let mut rows = Vec::new();
    for (source, _) in session_sources(pipeline, filter)? {
        rows.extend(read_sessions(
            &layout,
            &source,
            Some((from, to)),
            filter.machine.as_deref(),
        )?);
    }
    rows.sort_by(|a, b| {
        (a.login_at.or(a.logout_at), &a.machine, &a.user).cmp(&(
            b.login_at.or(b.logout_at),
            &b.machine,
            &b.user,
        ))
    });
    Ok(rows)
}

/// One machine-hour with sessions: the most sessions open at once during it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourPeak {
    pub machine: String,
    /// Start of the hour, UTC µs (hours are UTC hours, so DST days have 23 or 25).
    pub hour_start: i64,
    pub peak_sessions: u32,
}

const HOUR_US: i64 = 3_600_000_000;

/// Per machine and hour of the local dates `[from, to]`, the peak number of sessions open
/// at the same instant (`[login, logout)`: a logout and a login at one instant do not
/// overlap). Hours without any session are left out.
pub fn peak_concurrency(
    pipeline: &Pipeline,
    from: NaiveDate,
    to: NaiveDate,
    filter: &SessionFilter,
) -> Result<Vec<HourPeak>, SessionsReportError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let tz = pipeline.time_zone;
    let range_start = day_start(from, tz);
    let range_end = day_start(to.succ_opt().unwrap_or(to), tz);
    // (time, +1 / -1) per machine; -1 sorts first at equal times.
    let mut changes: BTreeMap<String, Vec<(i64, i32)>> = BTreeMap::new();
    for (source, max) in session_sources(pipeline, filter)? {
        let dates = max.map(|max| (local_date(range_start.saturating_sub(max), tz), to));
        for row in read_sessions(&layout, &source, dates, filter.machine.as_deref())? {
            let Some(login) = row.login_at else { continue };
            let (start, end) = (login.max(range_start), row.end().min(range_end));
            if start < end {
                let machine = changes.entry(row.machine).or_default();
                machine.push((start, 1));
                machine.push((end, -1));
            }
        }
    }
    let mut peaks = Vec::new();
    for (machine, mut points) in changes {
        peaks.extend(
            hour_peaks(&mut points)
                .into_iter()
                .filter(|(_, peak)| *peak > 0)
                .map(|(hour_start, peak)| HourPeak {
                    machine: machine.clone(),
                    hour_start,
                    peak_sessions: u32::try_from(peak).unwrap_or(u32::MAX),
                }),
        );
    }
    Ok(peaks)
}

/// Hour start (UTC µs) → the most sessions open at one instant in that hour, from the
/// (instant, +1 login / -1 end) changes of one machine. The count at an instant is the
/// count after every change at that instant: a session is not open at its logout.
fn hour_peaks(points: &mut [(i64, i32)]) -> BTreeMap<i64, i64> {
    points.sort_unstable();
    let mut by_hour: BTreeMap<i64, i64> = BTreeMap::new();
    let mut open = 0i64;
    let mut index = 0;
    while index < points.len() {
        let at = points[index].0;
        let hour = at.div_euclid(HOUR_US) * HOUR_US;
        let previous_hour = by_hour.keys().next_back().copied();
        if previous_hour != Some(hour) {
            // Hours without a change hold the count carried into them throughout.
            if let Some(previous) = previous_hour {
                let mut h = previous + HOUR_US;
                while h < hour {
                    by_hour.insert(h, open);
                    h += HOUR_US;
                }
            }
            // The carried count is open at the hour's start unless a change falls on it.
            by_hour.insert(hour, if at > hour { open } else { 0 });
        }
        while index < points.len() && points[index].0 == at {
            open += i64::from(points[index].1);
            index += 1;
        }
        let peak = by_hour.get_mut(&hour).expect("inserted above");
        *peak = (*peak).max(open);
    }
    by_hour
}

fn day_start(date: NaiveDate, tz: Tz) -> i64 {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight");
    loop {
        if let Some(instant) = tz.from_local_datetime(&t).earliest() {
            return instant.timestamp_micros();
        }
        t += chrono::Duration::minutes(15);
    }
}

/// An instant for people: local time with its offset.
pub fn format_local(at: i64, tz: Tz) -> String {
    DateTime::from_timestamp_micros(at)
        .map(|t| {
            t.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S%.6f%:z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
