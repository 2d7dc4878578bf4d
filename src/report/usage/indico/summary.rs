//! `indico-summary`: enabled and disabled users and users per app role, per Indico day.

use super::super::lake::{get, i32_col, read_columns, str_col, Lake};
use super::super::table::{Cell, Section};
use super::{
    empty_range, in_range, indico_sources, range_filters, report, DateRange, Report, ReportError,
    HINT, SUMMARY, SUMMARY_ROLES,
};

/// `indico-summary`: per Indico day, enabled and disabled users, and users per app role.
pub fn indico_summary(
    lake: &Lake,
    range: DateRange,
    source: Option<&str>,
) -> Result<Report, ReportError> {
    let sources = indico_sources(lake, source)?;
    let mut users = Section::new(
        "users",
        "Users per day (Indico days: the state at 23:59 UTC)",
        &["date", "source", "enabled", "disabled", "total"],
    );
    let mut roles = Section::new(
        "roles",
        "Users per app role per day",
        &["date", "source", "role", "users"],
    );
    for name in &sources {
        lake.require(name, SUMMARY, HINT)?;
        for p in in_range(lake.partitions(name, SUMMARY, "snapshot_date")?, range) {
            for b in read_columns(&p.files, &["enabled", "disabled"])? {
                let (enabled, disabled) = (i32_col(&b, "enabled"), i32_col(&b, "disabled"));
                for row in 0..b.num_rows() {
                    let (e, d) = (get(enabled, row), get(disabled, row));
                    users.push(vec![
                        Cell::Date(p.date),
                        Cell::text(name),
                        Cell::opt_int(e.map(i64::from)),
                        Cell::opt_int(d.map(i64::from)),
                        Cell::opt_int(e.zip(d).map(|(e, d)| i64::from(e) + i64::from(d))),
                    ]);
                }
            }
        }
        // Role rows sorted within a day: the API's order is not promised.
        for p in in_range(
            lake.partitions(name, SUMMARY_ROLES, "snapshot_date")?,
            range,
        ) {
            let mut day: Vec<(String, Option<i32>)> = Vec::new();
            for b in read_columns(&p.files, &["role", "count"])? {
                let (role, count) = (str_col(&b, "role"), i32_col(&b, "count"));
                for row in 0..b.num_rows() {
                    let role = get(role, row).unwrap_or("(none)").to_string();
                    day.push((role, get(count, row)));
                }
            }
            day.sort();
            for (role, count) in day {
                roles.push(vec![
                    Cell::Date(p.date),
                    Cell::text(name),
                    Cell::text(role),
                    Cell::opt_int(count.map(i64::from)),
                ]);
            }
        }
    }
    if users.rows.is_empty() {
        return Err(empty_range(lake, "Indico user summary", range, &sources));
    }
    let by_date_then_source = |r: &Vec<Cell>| (r[0].display(), r[1].display());
    users.rows.sort_by_key(by_date_then_source);
    roles
        .rows
        .sort_by_key(|r| (r[0].display(), r[1].display(), r[2].display()));
    let mut filters = range_filters(range);
    if let Some(source) = source {
        filters.push(("source", source.to_string()));
    }
    Ok(report("indico-summary", lake, filters, vec![users, roles]))
}
