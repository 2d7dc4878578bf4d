//! "Indico roles over time": users per app role per Indico day, a line per role, drawn
//! from `indico-summary --from … --to …` so the page and the CLI agree. Shown only when
//! the pipeline has an Indico source whose summary covers some day of the range, or, with
//! `required` (a lake of Indico alone, where it is the page's chart), with the reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use super::blocks::{int_at, missing, table, text_at};
use super::svg;
use crate::report::usage::{indico_summary, Cell, DateRange, Lake, ReportError};

pub fn section(
    out: &mut String,
    lake: &Lake,
    range: DateRange,
    required: bool,
) -> Result<(), ReportError> {
    let report = match indico_summary(lake, range, None) {
        Ok(report) => report,
        // No Indico source, or no archived day in the range: no section, or its reason.
        Err(e) if e.is_usage_error() => {
            if required {
                out.push_str(r#"<section id="indico-roles"><h2>Indico roles over time</h2>"#);
                missing(out, &e.to_string());
                out.push_str("</section>");
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let users = report.section("users").expect("summary has users");
    let roles = report.section("roles").expect("summary has roles");
    let date_of = |row: &[Cell]| match &row[0] {
        Cell::Date(d) => Some(*d),
        _ => None,
    };
    // Only the days the archive holds: a day it never read is not a zero, so the line
    // joins the days on either side (the axis labels show the dates).
    let mut days: Vec<NaiveDate> = users.rows.iter().filter_map(|r| date_of(r)).collect();
    days.sort_unstable();
    days.dedup();
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Ok(());
    };
    let sources: std::collections::BTreeSet<String> = roles
        .rows
        .iter()
        .map(|r| text_at(roles, r, "source"))
        .collect();
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in &roles.rows {
        let role = text_at(roles, row, "role");
        let name = if sources.len() > 1 {
            format!("{} · {role}", text_at(roles, row, "source"))
        } else {
            role
        };
        let values = series.entry(name).or_insert_with(|| vec![0; days.len()]);
        if let Some(i) = date_of(row).and_then(|d| days.iter().position(|x| *x == d)) {
            values[i] = int_at(roles, row, "users");
        }
    }
    // Roles nobody holds in the whole range only crowd the legend (the table lists them).
    let series: Vec<(String, Vec<i64>)> = series
        .into_iter()
        .filter(|(_, values)| values.iter().any(|v| *v > 0))
        .collect();
    // The base role nearly everyone holds would flatten the others against the axis:
    // roles held by under a quarter of the largest role's peak get a chart of their own.
    let peak = |values: &[i64]| values.iter().copied().max().unwrap_or(0);
    let largest = series.iter().map(|(_, v)| peak(v)).max().unwrap_or(0);
    let (major, minor): (Vec<_>, Vec<_>) = series
        .into_iter()
        .partition(|(_, values)| peak(values) * 4 > largest);
    let _ = write!(
        out,
        r#"<section id="indico-roles"><h2>Indico roles over time</h2><p class="note">Users holding each app role at the end of each Indico day (23:59 UTC), {first} to {last}. Same numbers: <code>usagelake report indico-summary … --from {first} --to {last}</code>.</p>{}"#,
        svg::line_chart(&days, &major, "Users with the role")
    );
    if !minor.is_empty() {
        out.push_str("<h3>Less common roles</h3>");
        out.push_str(&svg::line_chart(
            &days,
            &minor,
            "Users with the role (less common)",
        ));
    }
    out.push_str("<h3>Enabled and disabled users per day</h3>");
    table(out, users, None);
    out.push_str("<details><summary>Table: users per role per day</summary>");
    table(out, roles, None);
    out.push_str("</details></section>");
    Ok(())
}
