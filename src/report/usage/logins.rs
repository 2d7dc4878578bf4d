//! `logins`: who signed in when. ArcGIS: the login log (one row per observed sign-in,
//! the file the old logger scripts appended to daily). Tableau: one row per user per day
//! with their first and last request (Tableau's repository keeps no sign-in log; the
//! `logins` dataset is the closest thing, derived from every request).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::activity::{self, ArcgisActivityKind};
use super::clock::local_time;
use super::lake::{Lake, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};

pub const COLUMNS: &[&str] = &[
    "date",
    "platform",
    "source",
    "site",
    "user",
    "full_name",
    "first_seen",
    "last_seen",
    "requests",
    "sessions",
];

pub fn logins(lake: &Lake, range: DateRange, user: Option<&str>) -> Result<Report, ReportError> {
    let wanted = user.map(str::to_lowercase);
    let matches = |name: &str| wanted.as_deref().is_none_or(|w| name.to_lowercase() == w);
    // (first seen, platform, user) sort key, then the row.
    let mut rows: Vec<(NaiveDateTime, &str, String, Vec<Cell>)> = Vec::new();
    let mut known_users: Vec<String> = Vec::new();
    let mut any_partition = false;
    for source in &lake.sources {
        match source.platform {
            Platform::Tableau => {
                let days = activity::tableau_days(lake, &source.name, range.from, range.to)?;
                any_partition |= !days.is_empty();
                if user.is_some() {
                    for account in activity::tableau_accounts(lake, &source.name, range.to)? {
                        known_users.push(account.user);
                    }
                }
                for day in days {
                    let name = day
                        .user_name
                        .clone()
                        .unwrap_or_else(|| format!("user {}", day.user_id));
                    known_users.push(name.clone());
                    if !matches(&name) {
                        continue;
                    }
                    let first = day.first_us.map(|us| local_time(lake.tz, us));
                    let last = day.last_us.map(|us| local_time(lake.tz, us));
                    rows.push((
                        first.unwrap_or_default(),
                        "tableau",
                        name.clone(),
                        vec![
                            Cell::Date(day.date),
                            Cell::text("tableau"),
                            Cell::text(&source.name),
                            Cell::opt_text(day.site_name.as_deref()),
                            Cell::text(name),
                            Cell::opt_text(day.friendly_name.as_deref()),
                            Cell::opt_time(first),
                            Cell::opt_time(last),
                            Cell::opt_int(day.requests),
                            Cell::opt_int(day.sessions),
                        ],
                    ));
                }
            }
            Platform::Arcgis => {
                lake.require(&source.name, "logins", " — written by `usagelake run`")?;
                let accounts = activity::arcgis_accounts(lake, &source.name, range.to)?;
                let full_names: HashMap<String, Option<String>> = accounts
                    .into_iter()
                    .map(|a| (a.user, a.full_name))
                    .collect();
                known_users.extend(full_names.keys().cloned());
                let signins =
                    activity::arcgis_activity(lake, &source.name, range.from, range.to, false)?;
                any_partition |= !signins.is_empty();
                for signin in signins {
                    debug_assert_eq!(signin.kind, ArcgisActivityKind::Login);
                    known_users.push(signin.username.clone());
                    if !matches(&signin.username) {
                        continue;
                    }
                    let at = local_time(lake.tz, signin.at_us);
                    let full_name = full_names.get(&signin.username).cloned().flatten();
                    rows.push((
                        at,
                        "arcgis",
                        signin.username.clone(),
                        vec![
                            Cell::Date(signin.date),
                            Cell::text("arcgis"),
                            Cell::text(&source.name),
                            Cell::Null,
                            Cell::text(signin.username),
                            Cell::opt_text(full_name.as_deref()),
                            Cell::Time(at),
                            Cell::Time(at),
                            Cell::Null,
                            Cell::Null,
                        ],
                    ));
                }
            }
            // Indico's user metrics record no sign-ins.
            Platform::Indico => {}
        }
    }
    if let Some(user) = user {
        if !known_users.iter().any(|k| k.eq_ignore_ascii_case(user)) {
            known_users.sort();
            known_users.dedup();
            return Err(super::unknown_user(user, &known_users));
        }
    }
    if !any_partition {
        return Err(super::empty_range(lake, "logins", range, &["logins"]));
    }
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let mut section = Section::new("logins", "Sign-ins", COLUMNS);
    for (_, _, _, row) in rows {
        section.push(row);
    }
    let mut filters = vec![
        ("from", range.from.to_string()),
        ("to", range.to.to_string()),
    ];
    if let Some(user) = user {
        filters.push(("user", user.to_string()));
    }
    Ok(Report {
        name: "logins",
        time_zone: lake.tz.name().to_string(),
        filters,
        sections: vec![section],
    })
}
