//! `inactive-users`: the license-reclamation list. Every account of every (selected)
//! source with its license or role, the last activity the lake knows, and the days since.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::activity::{self, Account, AccountKey};
use super::clock::local_time;
use super::lake::{Lake, Platform};
use super::table::{Cell, Report, Section};
use super::ReportError;

pub struct InactiveQuery<'a> {
    /// Accounts idle at least this many days (or never seen) are listed.
    pub days: u32,
    pub source: Option<&'a str>,
    /// The day "days since" counts to (default: today in the pipeline's zone).
    pub as_of: NaiveDate,
}

pub const COLUMNS: &[&str] = &[
    "platform",
    "source",
    "site",
    "user",
    "full_name",
    "email",
    "license",
    "role",
    "last_active",
    "days_inactive",
];

pub fn inactive_users(lake: &Lake, query: &InactiveQuery) -> Result<Report, ReportError> {
    let mut section = Section::new(
        "inactive_users",
        format!(
            "Accounts inactive for {} days or more on {}",
            query.days, query.as_of
        ),
        COLUMNS,
    );
    let mut rows = Vec::new();
    for source in lake.select_sources(query.source)? {
        let (accounts, last_seen) = match source.platform {
            Platform::Tableau => {
                let accounts = activity::tableau_accounts(lake, &source.name, query.as_of)?;
                let mut last: HashMap<AccountKey, i64> = HashMap::new();
                for day in activity::tableau_days(lake, &source.name, NaiveDate::MIN, query.as_of)?
                {
                    if let Some(at) = day.last_us {
                        let e = last
                            .entry(AccountKey::TableauUser(day.user_id))
                            .or_insert(at);
                        *e = (*e).max(at);
                    }
                }
                (accounts, last)
            }
            Platform::Arcgis => {
                let accounts = activity::arcgis_accounts(lake, &source.name, query.as_of)?;
                let mut last: HashMap<AccountKey, i64> = HashMap::new();
                for a in activity::arcgis_activity(
                    lake,
                    &source.name,
                    NaiveDate::MIN,
                    query.as_of,
                    true,
                )? {
                    let e = last
                        .entry(AccountKey::ArcgisUser(a.username))
                        .or_insert(a.at_us);
                    *e = (*e).max(a.at_us);
                }
                (accounts, last)
            }
            Platform::Indico => super::indico::indico_accounts(lake, &source.name, query.as_of)?,
        };
        for account in accounts {
            let last = last_active(lake, &account, last_seen.get(&account.key), query.as_of);
            let days = last.map(|t| (query.as_of - t.date()).num_days());
            if days.is_some_and(|d| d < i64::from(query.days)) {
                continue;
            }
            rows.push((days, source.platform, source.name.clone(), account, last));
        }
    }
    // Never-active first, then the longest idle; ties by name so the order is stable.
    rows.sort_by(|a, b| {
        let idle = |d: Option<i64>| d.map_or(i64::MAX, |d| d);
        idle(b.0)
            .cmp(&idle(a.0))
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.site.cmp(&b.3.site))
            .then_with(|| a.3.user.cmp(&b.3.user))
    });
    for (days, platform, source, account, last) in rows {
        section.push(vec![
            Cell::text(platform.label()),
            Cell::text(source),
            Cell::opt_text(account.site.as_deref()),
            Cell::text(account.user),
            Cell::opt_text(account.full_name.as_deref()),
            Cell::opt_text(account.email.as_deref()),
            Cell::opt_text(account.license.as_deref()),
            Cell::opt_text(account.role.as_deref()),
            Cell::opt_time(last),
            Cell::opt_int(days),
        ]);
    }
    let mut filters = vec![
        ("days", query.days.to_string()),
        ("as_of", query.as_of.to_string()),
    ];
    if let Some(source) = query.source {
        filters.push(("source", source.to_string()));
    }
    Ok(Report {
        name: "inactive-users",
        time_zone: lake.tz.name().to_string(),
        filters,
        sections: vec![section],
    })
}

/// The later of the activity the lake recorded and the platform's own last sign-in,
/// ignoring anything after `as_of` (a snapshot newer than the day asked about).
fn last_active(
    lake: &Lake,
    account: &Account,
    seen_us: Option<&i64>,
    as_of: NaiveDate,
) -> Option<chrono::NaiveDateTime> {
    [seen_us.copied(), account.last_login_us]
        .into_iter()
        .flatten()
        .map(|us| local_time(lake.tz, us))
        .filter(|t| t.date() <= as_of)
        .max()
}
