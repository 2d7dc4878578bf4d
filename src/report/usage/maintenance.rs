//! `maintenance-window`: when to take a platform down. Per source: distinct active users
//! in each hour of the week (Monday 00:00 … Sunday 23:00, local time) over the range, the
//! quietest windows of N consecutive hours (the fewest distinct people active in them on
//! any week of the range: everyone an outage then would have hit at least once), and who
//! was active in a given window — the people to tell.
//!
//! Tableau activity is every request with a known user (`requests_enriched`, people
//! counted once across sites by `system_user_id`); ArcGIS activity is `history` events by
//! actor and `logins` sign-ins.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use rustc_hash::{FxHashMap, FxHashSet};

use super::activity;
use super::clock::{hour_of_week, hour_of_week_label, local_time, DayHours, WEEKDAYS};
use super::lake::{self, get, i32_col, read_columns, ts_col, Lake, LakeSource, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};

const HOURS_PER_WEEK: usize = 168;
const ENRICHED_HINT: &str =
    " — it is derived by `usagelake run` when the source has `enrich = true` (the default)";

pub struct WindowQuery {
    pub range: DateRange,
    /// Window length in hours (1..=168).
    pub hours: u32,
    /// Quietest windows listed per source.
    pub windows: usize,
    /// Start of the window whose users are listed; default: each source's quietest.
    pub at: Option<usize>,
}

/// One source's activity: per concrete local (date, hour), person → last activity (µs).
#[derive(Default)]
struct Hourly {
    hours: BTreeMap<(NaiveDate, u32), FxHashMap<i64, i64>>,
    /// person → (user, full name)
    names: FxHashMap<i64, (String, Option<String>)>,
}

impl Hourly {
    fn slot_sets(&self) -> Vec<FxHashSet<i64>> {
        let mut slots = vec![FxHashSet::default(); HOURS_PER_WEEK];
        for ((date, hour), people) in &self.hours {
            slots[hour_of_week(*date, *hour)].extend(people.keys().copied());
        }
        slots
    }

    fn slot_peaks(&self) -> Vec<usize> {
        let mut peaks = vec![0; HOURS_PER_WEEK];
        for ((date, hour), people) in &self.hours {
            let slot = &mut peaks[hour_of_week(*date, *hour)];
            *slot = (*slot).max(people.len());
        }
        peaks
    }
}

/// The hours-of-week a window starting at `start` covers (wrapping Sunday → Monday).
fn window_slots(start: usize, hours: u32) -> impl Iterator<Item = usize> {
    (0..hours as usize).map(move |i| (start + i) % HOURS_PER_WEEK)
}

fn window_label(start: usize, hours: u32) -> (String, String) {
    (
        hour_of_week_label(start),
        hour_of_week_label((start + hours as usize) % HOURS_PER_WEEK),
    )
}

pub fn maintenance_window(lake: &Lake, query: &WindowQuery) -> Result<Report, ReportError> {
    let range = query.range;
    let mut heat = Section::new(
        "hour_of_week",
        "Distinct active users per hour of the week",
        &[
            "platform",
            "source",
            "weekday",
            "hour",
            "slot",
            "active_users",
            "peak_users",
        ],
    );
    let mut quiet = Section::new(
        "quiet_windows",
        format!("Quietest {}-hour windows", query.hours),
        &["platform", "source", "rank", "start", "end", "active_users"],
    );
    let mut who = Section::new(
        "active_in_window",
        "Who was active in the window",
        &[
            "platform",
            "source",
            "start",
            "end",
            "user",
            "full_name",
            "hours_active",
            "last_seen",
        ],
    );
    let mut any = false;
    for source in &lake.sources {
        let hourly = match source.platform {
            Platform::Tableau => tableau_hourly(lake, source, range)?,
            Platform::Arcgis => arcgis_hourly(lake, source, range)?,
            // Indico's user metrics record no activity: no hours to count.
            Platform::Indico => continue,
        };
        any |= !hourly.hours.is_empty();
        let platform = source.platform.label();
        let slots = hourly.slot_sets();
        let peaks = hourly.slot_peaks();
        for (slot, people) in slots.iter().enumerate() {
            heat.push(vec![
                Cell::text(platform),
                Cell::text(&source.name),
                Cell::text(WEEKDAYS[slot / 24]),
                Cell::Int((slot % 24) as i64),
                Cell::text(hour_of_week_label(slot)),
                Cell::Int(people.len() as i64),
                Cell::Int(peaks[slot] as i64),
            ]);
        }
        let ranked = quietest(&slots, query.hours, query.windows);
        for (rank, (start, users)) in ranked.iter().enumerate() {
            let (from, to) = window_label(*start, query.hours);
            quiet.push(vec![
                Cell::text(platform),
                Cell::text(&source.name),
                Cell::Int(rank as i64 + 1),
                Cell::text(from),
                Cell::text(to),
                Cell::Int(*users as i64),
            ]);
        }
        let Some(start) = query.at.or(ranked.first().map(|r| r.0)) else {
            continue;
        };
        let window: FxHashSet<usize> = window_slots(start, query.hours).collect();
        let mut people: FxHashMap<i64, (i64, i64)> = FxHashMap::default();
        for ((date, hour), active) in &hourly.hours {
            if !window.contains(&hour_of_week(*date, *hour)) {
                continue;
            }
            for (person, last) in active {
                let e = people.entry(*person).or_insert((0, *last));
                e.0 += 1;
                e.1 = e.1.max(*last);
            }
        }
        let (from, to) = window_label(start, query.hours);
        let mut rows: Vec<(String, Option<String>, i64, NaiveDateTime)> = people
            .into_iter()
            .map(|(person, (hours, last))| {
                let (user, full) = hourly
                    .names
                    .get(&person)
                    .cloned()
                    .unwrap_or_else(|| (format!("user {person}"), None));
                (user, full, hours, local_time(lake.tz, last))
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        for (user, full, hours, last) in rows {
            who.push(vec![
                Cell::text(platform),
                Cell::text(&source.name),
                Cell::text(&from),
                Cell::text(&to),
                Cell::text(user),
                Cell::opt_text(full.as_deref()),
                Cell::Int(hours),
                Cell::Time(last),
            ]);
        }
    }
    if !any {
        return Err(super::empty_range(
            lake,
            "activity",
            range,
            &["requests_enriched", "history", "logins"],
        ));
    }
    let mut filters = vec![
        ("from", range.from.to_string()),
        ("to", range.to.to_string()),
        ("hours", query.hours.to_string()),
    ];
    if let Some(at) = query.at {
        filters.push(("at", hour_of_week_label(at)));
    }
    Ok(Report {
        name: "maintenance-window",
        time_zone: lake.tz.name().to_string(),
        filters,
        sections: vec![heat, quiet, who],
    })
}

/// The `count` quietest non-overlapping windows of `hours` hours: (start, distinct users),
/// fewest users first, ties broken by the earlier start in the week.
pub fn quietest(slots: &[FxHashSet<i64>], hours: u32, count: usize) -> Vec<(usize, usize)> {
    let mut windows: Vec<(usize, usize)> = (0..HOURS_PER_WEEK)
        .map(|start| {
            let mut people: FxHashSet<i64> = FxHashSet::default();
            for slot in window_slots(start, hours) {
                people.extend(&slots[slot]);
            }
            (start, people.len())
        })
        .collect();
    windows.sort_by_key(|&(start, users)| (users, start));
    let mut taken = [false; HOURS_PER_WEEK];
    let mut chosen = Vec::new();
    for (start, users) in windows {
        if chosen.len() == count {
            break;
        }
        if window_slots(start, hours).any(|s| taken[s]) {
            continue;
        }
        for s in window_slots(start, hours) {
            taken[s] = true;
        }
        chosen.push((start, users));
    }
    chosen
}

/// A person across sites: `system_users.id`, else a negative key for the membership.
fn tableau_key(system_user_id: Option<i32>, site_id: Option<i32>, user_id: i32) -> i64 {
    match system_user_id {
        Some(id) => i64::from(id),
        None => -1 - ((i64::from(site_id.unwrap_or(0)) << 32) | i64::from(user_id as u32)),
    }
}

fn tableau_hourly(
    lake: &Lake,
    source: &LakeSource,
    range: DateRange,
) -> Result<Hourly, ReportError> {
    lake.require(&source.name, "requests_enriched", ENRICHED_HINT)?;
    let partitions =
        lake.event_partitions(&source.name, "requests_enriched", range.from, range.to)?;
    let columns = ["created_at", "user_id", "system_user_id", "site_id"];
    let days = lake::par_map(&partitions, |p| {
        let clock = DayHours::new(lake.tz, p.date);
        let mut hours: Vec<FxHashMap<i64, i64>> = vec![FxHashMap::default(); 24];
        for b in read_columns(&p.files, &columns)? {
            let created = ts_col(&b, "created_at");
            let user = i32_col(&b, "user_id");
            let system_user = i32_col(&b, "system_user_id");
            let site = i32_col(&b, "site_id");
            for row in 0..b.num_rows() {
                let Some(user_id) = get(user, row).filter(|u| *u != 0) else {
                    continue;
                };
                let Some(at) = get(created, row) else {
                    continue;
                };
                let key = tableau_key(get(system_user, row), get(site, row), user_id);
                let last = hours[clock.hour(at) as usize].entry(key).or_insert(at);
                *last = (*last).max(at);
            }
        }
        Ok((p.date, hours))
    })?;
    let mut hourly = Hourly::default();
    for (date, hours) in days {
        for (hour, people) in hours.into_iter().enumerate() {
            if !people.is_empty() {
                hourly.hours.insert((date, hour as u32), people);
            }
        }
    }
    // Names from the small per-day `logins` dataset rather than a string column of every
    // request.
    for day in activity::tableau_days(lake, &source.name, range.from, range.to)? {
        let key = tableau_key(day.system_user_id, day.site_id, day.user_id);
        hourly.names.entry(key).or_insert_with(|| {
            (
                day.user_name
                    .clone()
                    .unwrap_or_else(|| format!("user {}", day.user_id)),
                day.friendly_name.clone(),
            )
        });
    }
    Ok(hourly)
}

fn arcgis_hourly(
    lake: &Lake,
    source: &LakeSource,
    range: DateRange,
) -> Result<Hourly, ReportError> {
    let mut hourly = Hourly::default();
    let mut ids: FxHashMap<String, i64> = FxHashMap::default();
    for event in activity::arcgis_activity(lake, &source.name, range.from, range.to, true)? {
        let next = ids.len() as i64;
        let id = *ids.entry(event.username.clone()).or_insert(next);
        let hour = DayHours::new(lake.tz, event.date).hour(event.at_us);
        let last = hourly
            .hours
            .entry((event.date, hour))
            .or_default()
            .entry(id)
            .or_insert(event.at_us);
        *last = (*last).max(event.at_us);
    }
    let full_names: FxHashMap<String, Option<String>> =
        match activity::arcgis_accounts(lake, &source.name, range.to) {
            Ok(accounts) => accounts
                .into_iter()
                .map(|a| (a.user, a.full_name))
                .collect(),
            Err(_) => FxHashMap::default(), // names are a courtesy; activity stands without them
        };
    for (name, id) in ids {
        let full = full_names.get(&name).cloned().flatten();
        hourly.names.insert(id, (name, full));
    }
    Ok(hourly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quietest_windows_do_not_overlap_and_wrap_the_week() {
        let mut slots = vec![[1i64, 2, 3].into_iter().collect::<FxHashSet<_>>(); HOURS_PER_WEEK];
        // Sunday 23:00 and Monday 00:00 are empty: the best 2-hour window wraps.
        slots[167].clear();
        slots[0].clear();
        slots[50] = [1].into_iter().collect();
        slots[51] = [1].into_iter().collect();
        let windows = quietest(&slots, 2, 3);
        assert_eq!(windows[0], (167, 0));
        assert_eq!(windows[1], (50, 1));
        assert_eq!(windows[2].1, 3);
        assert_eq!(
            window_label(167, 2),
            ("Sun 23:00".into(), "Mon 01:00".into())
        );
    }
}
