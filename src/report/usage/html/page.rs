//! The page: sections in a fixed order, each a chart and the report table it is drawn
//! from. A section whose data the lake lacks (no ArcGIS source, enrichment off) shows why
//! instead of failing the page; a read error fails it. On a lake without Tableau or ArcGIS
//! (Indico alone) the activity sections (adoption, content, logins, hour of the week) are
//! left out and the page shows the inactive accounts and the Indico roles.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::sections::{
    adoption_section, cards, content_section, inactive_section, logins_section, window_section,
};
use super::svg::escape;
use crate::pipeline::Pipeline;
use crate::report::usage::clock::Period;
use crate::report::usage::{
    adoption, content, inactive_users, logins, maintenance_window, ContentQuery, DateRange,
    InactiveQuery, Lake, Platform, Report, ReportError, WindowQuery,
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
