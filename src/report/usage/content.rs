//! `content`: Tableau views and workbooks by distinct users and view loads over a range,
//! and the content nobody viewed in it (stale: candidates to archive).
//!
//! Reads `usage_daily` (per day, site, content and user: requests and view loads, where a
//! view load is a `bootstrapSession` with a 2xx status) and the `views`/`workbooks`
//! snapshots in force on `--to`. Users are counted by `user_id` within a site; unknown
//! users (NULL or 0) count for loads but not as users.

mod stale;
mod usage;

use chrono::NaiveDate;

use super::lake::{self, get, i32_col, read_columns, str_col, Lake, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};
use stale::stale_content;
use usage::{read_usage, Partial, Usage};

const USAGE_HINT: &str =
    " — it is derived by `usagelake run` when the source has `enrich = true` (the default)";

pub struct ContentQuery<'a> {
    pub range: DateRange,
    /// Site name or URL namespace (case-insensitive).
    pub site: Option<&'a str>,
}

pub fn content(lake: &Lake, query: &ContentQuery) -> Result<Report, ReportError> {
    let range = query.range;
    let sources: Vec<_> = lake.sources_of(Platform::Tableau).collect();
    if sources.is_empty() {
        return Err(ReportError::NoSource {
            kind: "Tableau".into(),
            hint: ": `content` reports Tableau views and workbooks".into(),
        });
    }
    let mut views = Section::new(
        "views",
        "Views by distinct users",
        &[
            "source",
            "site",
            "workbook",
            "view",
            "users",
            "view_loads",
            "requests",
        ],
    );
    let mut workbooks = Section::new(
        "workbooks",
        "Workbooks by distinct users",
        &[
            "source",
            "site",
            "project",
            "workbook",
            "users",
            "view_loads",
            "requests",
        ],
    );
    let mut stale = Section::new(
        "stale",
        "Content with no view load in the range",
        &[
            "source",
            "type",
            "site",
            "workbook",
            "view",
            "created",
            "last_viewed",
        ],
    );
    let mut site_found = query.site.is_none();
    let mut known_sites = Vec::new();
    let mut any_partition = false;
    for source in sources {
        let name = source.name.as_str();
        lake.require(name, "usage_daily", USAGE_HINT)?;
        let site_id = match query.site {
            None => None,
            Some(wanted) => {
                let sites = site_keys(lake, name, range.to)?;
                let found = sites
                    .iter()
                    .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(wanted)))
                    .map(|(id, _)| *id);
                known_sites.extend(sites.into_iter().filter_map(|(_, n)| n.first().cloned()));
                match found {
                    Some(id) => Some(id),
                    None => continue,
                }
            }
        };
        site_found = true;
        let partitions = lake
            .partitions(name, "usage_daily", "event_date")?
            .into_iter()
            .filter(|p| p.date <= range.to)
            .collect::<Vec<_>>();
        any_partition |= partitions.iter().any(|p| p.date >= range.from);
        let mut partials = lake::par_fold(&partitions, |partial, p| {
            read_usage(partial, p, range, site_id)
        })?
        .into_iter();
        let mut total = partials.next().unwrap_or_default();
        for partial in partials {
            total.merge(partial);
        }
        let Partial {
            by_view,
            by_workbook,
            last_view_load,
            last_wb_load,
            ..
        } = total;
        for (usage, section, is_view) in [
            (by_view, &mut views, true),
            (by_workbook, &mut workbooks, false),
        ] {
            let mut ranked: Vec<Usage> = usage.into_values().collect();
            ranked.sort_by(|a, b| {
                b.users
                    .len()
                    .cmp(&a.users.len())
                    .then(b.view_loads.cmp(&a.view_loads))
                    .then_with(|| a.names.cmp(&b.names))
            });
            for u in ranked {
                let (site, project, workbook, view) = u.names.clone();
                let middle = if is_view {
                    [workbook, view]
                } else {
                    [project, workbook]
                };
                section.push(vec![
                    Cell::text(name),
                    Cell::text(site),
                    Cell::text(&middle[0]),
                    Cell::text(&middle[1]),
                    Cell::Int(u.users.len() as i64),
                    Cell::Int(u.view_loads),
                    Cell::Int(u.requests),
                ]);
            }
        }
        stale_content(
            lake,
            name,
            range,
            site_id,
            &last_view_load,
            &last_wb_load,
            &mut stale,
        )?;
    }
    if !site_found {
        known_sites.sort();
        known_sites.dedup();
        return Err(ReportError::UnknownSite {
            site: query.site.unwrap_or_default().to_string(),
            known: known_sites.join(", "),
        });
    }
    if !any_partition {
        return Err(super::empty_range(
            lake,
            "content usage",
            range,
            &["usage_daily"],
        ));
    }
    let mut filters = vec![
        ("from", range.from.to_string()),
        ("to", range.to.to_string()),
    ];
    if let Some(site) = query.site {
        filters.push(("site", site.to_string()));
    }
    Ok(Report {
        name: "content",
        time_zone: lake.tz.name().to_string(),
        filters,
        sections: vec![views, workbooks, stale],
    })
}

/// Site id → [name, url_namespace] from the `sites` snapshot in force.
fn site_keys(
    lake: &Lake,
    source: &str,
    date: NaiveDate,
) -> Result<Vec<(i32, Vec<String>)>, ReportError> {
    let mut sites = Vec::new();
    if let Some(p) = lake.snapshot_in_force(source, "sites", date)? {
        for b in read_columns(&p.files, &["id", "name", "url_namespace"])? {
            let (id, name, ns) = (
                i32_col(&b, "id"),
                str_col(&b, "name"),
                str_col(&b, "url_namespace"),
            );
            for row in 0..b.num_rows() {
                if let Some(id) = get(id, row) {
                    let names: Vec<String> = [get(name, row), get(ns, row)]
                        .into_iter()
                        .flatten()
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect();
                    sites.push((id, names));
                }
            }
        }
    }
    Ok(sites)
}
