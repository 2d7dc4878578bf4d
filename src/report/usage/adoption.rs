//! `adoption`: distinct active users per day, week or month, per platform and site
//! (Tableau sites, plus an `(all)` row per source counting each person once across sites).

use std::collections::{BTreeMap, BTreeSet};

use super::activity;
use super::clock::Period;
use super::lake::{Lake, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};

pub const ALL_SITES: &str = "(all)";

pub fn adoption(lake: &Lake, range: DateRange, by: Period) -> Result<Report, ReportError> {
    // (period, platform, source, site) → people.
    let mut active: BTreeMap<(chrono::NaiveDate, Platform, String, String), BTreeSet<String>> =
        BTreeMap::new();
    let mut any_days = false;
    for source in &lake.sources {
        let name = source.name.clone();
        match source.platform {
            Platform::Tableau => {
                let days = activity::tableau_days(lake, &name, range.from, range.to)?;
                any_days |= !days.is_empty();
                for day in days {
                    let period = by.start(day.date);
                    let site = day
                        .site_name
                        .clone()
                        .unwrap_or_else(|| format!("site {}", day.site_id.unwrap_or(-1)));
                    let person = day.person();
                    active
                        .entry((period, source.platform, name.clone(), ALL_SITES.into()))
                        .or_default()
                        .insert(person.clone());
                    active
                        .entry((period, source.platform, name.clone(), site))
                        .or_default()
                        .insert(person);
                }
            }
            Platform::Arcgis => {
                let events = activity::arcgis_activity(lake, &name, range.from, range.to, true)?;
                any_days |= !events.is_empty();
                for event in events {
                    active
                        .entry((
                            by.start(event.date),
                            source.platform,
                            name.clone(),
                            ALL_SITES.into(),
                        ))
                        .or_default()
                        .insert(event.username);
                }
            }
            // Indico's user metrics record no activity.
            Platform::Indico => {}
        }
    }
    if !any_days {
        return Err(super::empty_range(
            lake,
            "activity",
            range,
            &["logins", "history"],
        ));
    }
    let mut section = Section::new(
        "adoption",
        format!("Active users per {}", by.label()),
        &["period", "platform", "source", "site", "active_users"],
    );
    for ((period, platform, source, site), people) in active {
        section.push(vec![
            Cell::Date(period),
            Cell::text(platform.label()),
            Cell::text(source),
            Cell::text(site),
            Cell::Int(people.len() as i64),
        ]);
    }
    Ok(Report {
        name: "adoption",
        time_zone: lake.tz.name().to_string(),
        filters: vec![
            ("from", range.from.to_string()),
            ("to", range.to.to_string()),
            ("by", by.label().to_string()),
        ],
        sections: vec![section],
    })
}
