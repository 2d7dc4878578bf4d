//! `content`'s stale section: live views and workbooks with no view load in the range.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::super::activity::id_names;
use super::super::clock::local_time;
use super::super::lake::{bool_col, get, i32_col, read_columns, str_col, ts_col, Lake};
use super::super::table::{Cell, Section};
use super::super::{DateRange, ReportError};

/// Live (not deleted) views and workbooks of the snapshots in force on `--to` with no
/// view load in the range; `last_viewed` is their latest view load the lake knows.
pub(super) fn stale_content(
    lake: &Lake,
    source: &str,
    range: DateRange,
    site_id: Option<i32>,
    last_view_load: &FxHashMap<(i32, i32), NaiveDate>,
    last_wb_load: &FxHashMap<(i32, i32), NaiveDate>,
    out: &mut Section,
) -> Result<(), ReportError> {
    let sites = id_names(lake, source, "sites", range.to, &["name"])?;
    let workbook_names = id_names(lake, source, "workbooks", range.to, &["name"])?;
    let viewed = |map: &FxHashMap<(i32, i32), NaiveDate>, key| map.get(&key).copied();
    // (type order, site, workbook, view) → row: sorted output.
    let mut rows: BTreeMap<(u8, String, String, String), Vec<Cell>> = BTreeMap::new();
    for (dataset, is_view) in [("workbooks", false), ("views", true)] {
        let Some(p) = lake.snapshot_in_force(source, dataset, range.to)? else {
            continue;
        };
        let columns = [
            "id",
            "name",
            "workbook_id",
            "site_id",
            "is_deleted",
            "created_at",
        ];
        for b in read_columns(&p.files, &columns)? {
            let id = i32_col(&b, "id");
            let name = str_col(&b, "name");
            let wb = i32_col(&b, "workbook_id");
            let site = i32_col(&b, "site_id");
            let deleted = bool_col(&b, "is_deleted");
            let created = ts_col(&b, "created_at");
            for row in 0..b.num_rows() {
                let (Some(id), Some(s)) = (get(id, row), get(site, row)) else {
                    continue;
                };
                if get(deleted, row) == Some(true) || site_id.is_some_and(|w| w != s) {
                    continue;
                }
                let created_day = get(created, row).map(|us| local_time(lake.tz, us).date());
                if created_day.is_some_and(|d| d > range.to) {
                    continue; // did not exist yet in the range
                }
                let last = if is_view {
                    viewed(last_view_load, (s, id))
                } else {
                    viewed(last_wb_load, (s, id))
                };
                if last.is_some_and(|d| d >= range.from) {
                    continue;
                }
                let site_name = sites
                    .get(&s)
                    .cloned()
                    .unwrap_or_else(|| format!("site {s}"));
                let own = get(name, row).unwrap_or_default().to_string();
                let (workbook, view) = if is_view {
                    let wb_name = get(wb, row)
                        .and_then(|w| workbook_names.get(&w).cloned())
                        .unwrap_or_default();
                    (wb_name, own)
                } else {
                    (own, String::new())
                };
                let kind = if is_view { "View" } else { "Workbook" };
                rows.insert(
                    (
                        u8::from(is_view),
                        site_name.clone(),
                        workbook.clone(),
                        format!("{view}\u{0}{id}"),
                    ),
                    vec![
                        Cell::text(source),
                        Cell::text(kind),
                        Cell::text(site_name),
                        Cell::text(workbook),
                        if is_view {
                            Cell::text(view)
                        } else {
                            Cell::Null
                        },
                        created_day.map_or(Cell::Null, Cell::Date),
                        last.map_or(Cell::Null, Cell::Date),
                    ],
                );
            }
        }
    }
    for row in rows.into_values() {
        out.push(row);
    }
    Ok(())
}
