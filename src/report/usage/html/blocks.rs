//! The building blocks every section of the page uses: the sortable table, the
//! "not available" note, cell lookups in a report row, the days of a range.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDate};

use super::svg::escape;
use crate::report::usage::{Cell, DateRange, Section};

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
