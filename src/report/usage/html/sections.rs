//! The page's sections drawn from the CLI's reports: the summary cards, adoption,
//! content, inactive accounts, sign-ins and the hour-of-the-week heatmap (the Indico roles
//! and the current users have files of their own).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::blocks::{days_of, int_at, missing, table, text_at};
use super::page::PageQuery;
use super::svg::{self, escape};
use crate::report::usage::{Cell, DateRange, Report};

/// Sign-in rows listed on the page (a big org has hundreds of thousands a month; the
/// chart counts them all).
pub const LOGIN_ROWS: usize = 1000;

/// Rows of top content shown (the CLI equivalent is `content --top 25`).
pub const TOP_CONTENT: usize = 25;

pub(super) fn cards(
    out: &mut String,
    adoption: Option<&Report>,
    content: Option<&Result<Report, String>>,
    inactive: &Result<Report, String>,
    logins: Option<&Result<Report, String>>,
) {
    out.push_str(r#"<div class="cards">"#);
    // Peak daily active users per source (across its sites).
    let mut peaks: BTreeMap<String, i64> = BTreeMap::new();
    let all_sites = adoption.into_iter().flat_map(|report| {
        let section = &report.sections[0];
        section
            .rows
            .iter()
            .filter(|r| text_at(section, r, "site") == "(all)")
            .map(move |r| (section, r))
    });
    for (section, row) in all_sites {
        let key = text_at(section, row, "source");
        let v = int_at(section, row, "active_users");
        let e = peaks.entry(key).or_insert(0);
        *e = (*e).max(v);
    }
    for (source, peak) in peaks {
        let _ = write!(
            out,
            r#"<div class="card"><b>{peak}</b>peak daily users · {}</div>"#,
            escape(&source)
        );
    }
    if let Some(Ok(report)) = content {
        if let Some(views) = report.section("views") {
            let loads: i64 = views
                .rows
                .iter()
                .map(|r| int_at(views, r, "view_loads"))
                .sum();
            let _ = write!(
                out,
                r#"<div class="card"><b>{loads}</b>Tableau view loads</div>"#
            );
        }
    }
    if let Ok(report) = inactive {
        let _ = write!(
            out,
            r#"<div class="card"><b>{}</b>inactive accounts</div>"#,
            report.sections[0].rows.len()
        );
    }
    if let Some(Ok(report)) = logins {
        let _ = write!(
            out,
            r#"<div class="card"><b>{}</b>sign-in rows</div>"#,
            report.sections[0].rows.len()
        );
    }
    out.push_str("</div>");
}

pub(super) fn adoption_section(out: &mut String, report: &Report, range: DateRange) {
    let section = &report.sections[0];
    let days = days_of(range);
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in section
        .rows
        .iter()
        .filter(|r| text_at(section, r, "site") == "(all)")
    {
        let name = format!(
            "{} ({})",
            text_at(section, row, "source"),
            text_at(section, row, "platform")
        );
        let values = series.entry(name).or_insert_with(|| vec![0; days.len()]);
        if let Some(Cell::Date(d)) = section.column("period").map(|i| &row[i]) {
            if let Some(i) = days.iter().position(|x| x == d) {
                values[i] = int_at(section, row, "active_users");
            }
        }
    }
    let series: Vec<(String, Vec<i64>)> = series.into_iter().collect();
    let _ = write!(
        out,
        r#"<section id="adoption"><h2>Adoption over time</h2><p class="note">Distinct users active each day, per source (a person counts once across Tableau sites). Same numbers: <code>usagelake report adoption … --by day</code>.</p>{}"#,
        svg::line_chart(&days, &series, "Active users")
    );
    out.push_str("<details><summary>Table: active users per day and site</summary>");
    table(out, section, None);
    out.push_str("</details></section>");
}

pub(super) fn content_section(out: &mut String, report: &Result<Report, String>) {
    out.push_str(r#"<section id="content"><h2>Top and stale content (Tableau)</h2>"#);
    match report {
        Err(why) => missing(out, why),
        Ok(report) => {
            let views = report.section("views").expect("content has views");
            let top: Vec<(String, i64)> = views
                .rows
                .iter()
                .take(10)
                .map(|r| {
                    (
                        format!(
                            "{} / {}",
                            text_at(views, r, "workbook"),
                            text_at(views, r, "view")
                        ),
                        int_at(views, r, "users"),
                    )
                })
                .collect();
            out.push_str(r#"<p class="note">Top 10 views by distinct users in the range.</p>"#);
            out.push_str(&svg::bar_chart(&top, "Distinct users"));
            let _ = write!(out, "<h3>Views (top {TOP_CONTENT})</h3>");
            table(out, views, Some(TOP_CONTENT));
            let workbooks = report.section("workbooks").expect("content has workbooks");
            let _ = write!(out, "<h3>Workbooks (top {TOP_CONTENT})</h3>");
            table(out, workbooks, Some(TOP_CONTENT));
            let stale = report.section("stale").expect("content has stale");
            let _ = write!(
                out,
                "<h3>Stale: no view load in the range ({} items)</h3>",
                stale.rows.len()
            );
            table(out, stale, None);
        }
    }
    out.push_str("</section>");
}

pub(super) fn inactive_section(
    out: &mut String,
    report: &Result<Report, String>,
    query: &PageQuery,
) {
    let _ = write!(
        out,
        r#"<section id="inactive"><h2>Inactive licenses</h2><p class="note">Accounts with no activity for {} days or more before {} (or never seen): candidates to reclaim.</p>"#,
        query.inactive_days, query.as_of
    );
    match report {
        Err(why) => missing(out, why),
        Ok(report) => {
            let section = &report.sections[0];
            let mut by_license: BTreeMap<String, i64> = BTreeMap::new();
            for row in &section.rows {
                let label = format!(
                    "{} · {}",
                    text_at(section, row, "platform"),
                    Some(text_at(section, row, "license"))
                        .filter(|l| !l.is_empty())
                        .unwrap_or("(none)".into())
                );
                *by_license.entry(label).or_insert(0) += 1;
            }
            let mut bars: Vec<(String, i64)> = by_license.into_iter().collect();
            bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            out.push_str(&svg::bar_chart(
                &bars,
                "Inactive accounts by platform and license",
            ));
            table(out, section, None);
        }
    }
    out.push_str("</section>");
}

pub(super) fn logins_section(out: &mut String, report: &Result<Report, String>, range: DateRange) {
    out.push_str(r#"<section id="logins"><h2>Logins per day</h2><p class="note">ArcGIS: sign-ins in the login log. Tableau: users with at least one request that day.</p>"#);
    match report {
        Err(why) => missing(out, why),
        Ok(report) => {
            let section = &report.sections[0];
            let days = days_of(range);
            let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for row in &section.rows {
                let name = format!(
                    "{} ({})",
                    text_at(section, row, "source"),
                    text_at(section, row, "platform")
                );
                let values = series.entry(name).or_insert_with(|| vec![0; days.len()]);
                if let Some(Cell::Date(d)) = section.column("date").map(|i| &row[i]) {
                    if let Some(i) = days.iter().position(|x| x == d) {
                        values[i] += 1;
                    }
                }
            }
            let series: Vec<(String, Vec<i64>)> = series.into_iter().collect();
            out.push_str(&svg::column_chart(&days, &series, "Sign-ins"));
            let _ = write!(
                out,
                "<details><summary>Table: sign-ins (the first {} of {}; all of them: <code>usagelake report logins … --format csv</code>)</summary>",
                section.rows.len().min(LOGIN_ROWS),
                section.rows.len()
            );
            table(out, section, Some(LOGIN_ROWS));
            out.push_str("</details>");
        }
    }
    out.push_str("</section>");
}

pub(super) fn window_section(out: &mut String, report: &Result<Report, String>, hours: u32) {
    let _ = write!(
        out,
        r#"<section id="hour-of-week"><h2>When people work: hour of the week</h2><p class="note">Distinct users active in each hour of the week over the range (local time), and the quietest {hours}-hour windows for maintenance.</p>"#
    );
    match report {
        Err(why) => missing(out, why),
        Ok(report) => {
            let heat = report.section("hour_of_week").expect("heatmap section");
            let mut per_source: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for row in &heat.rows {
                let name = format!(
                    "{} ({})",
                    text_at(heat, row, "source"),
                    text_at(heat, row, "platform")
                );
                per_source
                    .entry(name)
                    .or_default()
                    .push(int_at(heat, row, "active_users"));
            }
            for (name, values) in per_source {
                let _ = write!(out, "<h3>{}</h3>", escape(&name));
                out.push_str(&svg::heatmap(&values, "distinct active users"));
            }
            let quiet = report.section("quiet_windows").expect("windows section");
            out.push_str("<h3>Quietest windows</h3>");
            table(out, quiet, None);
            let who = report.section("active_in_window").expect("who section");
            let _ = write!(
                out,
                "<h3>Who was active in the quietest window ({} people)</h3>",
                who.rows.len()
            );
            table(out, who, None);
        }
    }
    out.push_str("</section>");
}
