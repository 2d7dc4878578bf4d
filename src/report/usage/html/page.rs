//! The page: sections in a fixed order, each a chart and the report table it is drawn
//! from. A section whose data the lake lacks (no ArcGIS source, enrichment off) shows why
//! instead of failing the page; a read error fails it. On a lake without Tableau or ArcGIS
//! (Indico alone) the activity sections (adoption, content, logins, hour of the week) are
//! left out and the page shows the inactive accounts and the Indico roles.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate};

use super::svg::{self, escape};
use crate::pipeline::Pipeline;
use crate::report::usage::clock::Period;
use crate::report::usage::{
    adoption, content, inactive_users, logins, maintenance_window, Cell, ContentQuery, DateRange,
    InactiveQuery, Lake, Platform, Report, ReportError, Section, WindowQuery,
};

pub struct PageQuery<'a> {
    pub range: DateRange,
    pub inactive_days: u32,
    pub window_hours: u32,
    pub as_of: NaiveDate,
    /// "Current users" are those logged in at this instant (UTC µs).
    pub at: i64,
    /// For the session sections: which sources have sessions and how long one lasts.
    pub pipeline: &'a Pipeline,
}

/// Sign-in rows listed on the page (a big org has hundreds of thousands a month; the
/// chart counts them all).
pub const LOGIN_ROWS: usize = 1000;

/// Rows of top content shown (the CLI equivalent is `content --top 25`).
pub const TOP_CONTENT: usize = 25;

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d1d1f}
main{max-width:1180px;margin:0 auto;padding:16px 28px 48px}
h1{font-size:26px;margin:18px 0 4px} h2{font-size:20px;margin:0 0 6px} h3{font-size:15px;margin:16px 0 6px}
.meta{color:#555;margin:0 0 18px;font-size:14px}
section{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:18px 22px;margin:18px 0}
.note{color:#555;font-size:14px;margin:4px 0 10px}
.missing{background:#fff8e6;border:1px solid #f0d890;padding:8px 12px;border-radius:6px;font-size:14px}
.scroll{max-height:420px;overflow:auto;border:1px solid #eceef1;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 10px;text-align:left;white-space:nowrap;border-bottom:1px solid #f0f1f3}
th{background:#f3f4f6;position:sticky;top:0;cursor:pointer;user-select:none}
th[data-dir=asc]::after{content:" ▲"} th[data-dir=desc]::after{content:" ▼"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
details summary{cursor:pointer;color:#0b57d0;margin:8px 0;font-size:14px}
.chart{display:block;max-width:100%;height:auto;margin:6px 0 4px}
.cards{display:flex;gap:14px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:12px 18px;min-width:170px}
.card b{display:block;font-size:24px}
"#;

/// Click a header to sort by it (numbers numerically); a second click reverses.
const SCRIPT: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var tbody = th.closest('table').tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.dataset.dir !== 'asc';
    th.parentNode.querySelectorAll('th').forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = ascending ? 'asc' : 'desc';
    var numeric = th.classList.contains('num');
    var key = function (row) {
      var text = row.cells[index].textContent;
      return numeric ? (text === '' ? -Infinity : Number(text)) : text;
    };
    Array.from(tbody.rows)
      .sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = numeric ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      })
      .forEach(function (row) { tbody.appendChild(row); });
  });
});
document.body.dataset.ready = 'yes';
"#;

pub fn render_page(lake: &Lake, query: &PageQuery) -> Result<String, ReportError> {
    let range = query.range;
    // Adoption, content, logins and the heatmap count Tableau and ArcGIS activity; a lake of
    // Indico alone has none, so those sections are left out rather than failing the page.
    let activity = lake
        .sources
        .iter()
        .any(|s| matches!(s.platform, Platform::Tableau | Platform::Arcgis));
    // The five reports read different datasets and each spends part of its time on one
    // thread (merging, ordering, formatting), so they run side by side: the page costs
    // about its slowest report rather than their sum (README "Report performance").
    let (adoption_report, content_report, inactive_report, logins_report, window_report) =
        std::thread::scope(|scope| {
            let content_report = scope.spawn(|| {
                activity
                    .then(|| optional(content(lake, &ContentQuery { range, site: None })))
                    .transpose()
            });
            let window_report = scope.spawn(|| {
                activity
                    .then(|| {
                        optional(maintenance_window(
                            lake,
                            &WindowQuery {
                                range,
                                hours: query.window_hours,
                                windows: 3,
                                at: None,
                            },
                        ))
                    })
                    .transpose()
            });
            let logins_report = scope.spawn(|| {
                activity
                    .then(|| optional(logins(lake, range, None)))
                    .transpose()
            });
            let inactive_report = scope.spawn(|| {
                optional(inactive_users(
                    lake,
                    &InactiveQuery {
                        days: query.inactive_days,
                        source: None,
                        as_of: query.as_of,
                    },
                ))
            });
            let adoption_report = activity
                .then(|| adoption(lake, range, Period::Day))
                .transpose();
            (
                adoption_report,
                join(content_report),
                join(inactive_report),
                join(logins_report),
                join(window_report),
            )
        });
    // A lake with activity but none in the range would give an empty page: say so instead.
    let adoption_report = adoption_report?;
    let (content_report, inactive_report, logins_report, window_report) = (
        content_report?,
        inactive_report?,
        logins_report?,
        window_report?,
    );

    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1>Usage report</h1><p class="meta">{from} to {to} · dates and hours in {tz} · sources: {sources} · from the lake at {root}</p>"#,
        from = range.from,
        to = range.to,
        tz = escape(lake.tz.name()),
        sources = escape(
            &lake
                .sources
                .iter()
                .map(|s| format!("{} ({})", s.name, s.platform.label()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        root = escape(&lake.root.display().to_string()),
    );
    cards(
        &mut body,
        adoption_report.as_ref(),
        content_report.as_ref(),
        &inactive_report,
        logins_report.as_ref(),
    );
    if let Some(report) = &adoption_report {
        adoption_section(&mut body, report, range);
    }
    if let Some(report) = &content_report {
        content_section(&mut body, report);
    }
    inactive_section(&mut body, &inactive_report, query);
    if let Some(report) = &logins_report {
        logins_section(&mut body, report, range);
    }
    if let Some(report) = &window_report {
        window_section(&mut body, report, query.window_hours);
    }
    // Sections shown only when the lake has their data; on a lake of Indico alone its
    // roles are the page's chart, so a range without Indico days says so.
    super::indico_roles::section(&mut body, lake, range, !activity)?;
    super::current_users::section(&mut body, query)?;
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Usage report {} to {}</title><style>{STYLE}</style></head><body><main>{body}</main><script>{SCRIPT}</script></body></html>\n",
        range.from, range.to
    ))
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().expect("a report thread does not panic")
}

/// A report whose data the lake lacks becomes the reason, shown in its section.
fn optional(result: Result<Report, ReportError>) -> Result<Result<Report, String>, ReportError> {
    match result {
        Ok(report) => Ok(Ok(report)),
        Err(e) if e.is_usage_error() => Ok(Err(e.to_string())),
        Err(e) => Err(e),
    }
}

pub(super) fn days_of(range: DateRange) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut d = range.from;
    while d <= range.to {
        days.push(d);
        d += Duration::days(1);
    }
    days
}

pub(super) fn int_at(section: &Section, row: &[Cell], column: &str) -> i64 {
    section
        .column(column)
        .and_then(|i| row[i].as_int())
        .unwrap_or(0)
}

pub(super) fn text_at(section: &Section, row: &[Cell], column: &str) -> String {
    section
        .column(column)
        .map(|i| row[i].display())
        .unwrap_or_default()
}

/// The section as a sortable table; `limit` rows at most (all when `None`).
pub(super) fn table(out: &mut String, section: &Section, limit: Option<usize>) {
    let numeric: Vec<bool> = (0..section.columns.len())
        .map(|i| {
            section
                .rows
                .iter()
                .any(|r| matches!(r[i], Cell::Int(_) | Cell::Float(_)))
        })
        .collect();
    let _ = write!(
        out,
        r#"<div class="scroll"><table class="sortable" data-section="{}"><thead><tr>"#,
        section.name
    );
    for (column, is_num) in section.columns.iter().zip(&numeric) {
        let class = if *is_num { r#" class="num""# } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(column));
    }
    out.push_str("</tr></thead><tbody>");
    for row in section.rows.iter().take(limit.unwrap_or(usize::MAX)) {
        out.push_str("<tr>");
        for (cell, is_num) in row.iter().zip(&numeric) {
            let class = if *is_num { r#" class="num""# } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(&cell.display()));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if section.rows.is_empty() {
        out.push_str(r#"<p class="note">None in this range.</p>"#);
    }
}

pub(super) fn missing(out: &mut String, why: &str) {
    let _ = write!(
        out,
        r#"<p class="missing">Not available: {}</p>"#,
        escape(why)
    );
}

fn cards(
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

fn adoption_section(out: &mut String, report: &Report, range: DateRange) {
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

fn content_section(out: &mut String, report: &Result<Report, String>) {
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

fn inactive_section(out: &mut String, report: &Result<Report, String>, query: &PageQuery) {
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

fn logins_section(out: &mut String, report: &Result<Report, String>, range: DateRange) {
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

fn window_section(out: &mut String, report: &Result<Report, String>, hours: u32) {
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
