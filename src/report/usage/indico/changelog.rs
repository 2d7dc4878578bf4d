//! `indico-changelog`: role, dataset-access and enablement changes, newest first.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};

use super::super::clock::local_time;
use super::super::lake::{bool_col, get, i32_col, read_columns, str_col, ts_col, Lake};
use super::super::table::{Cell, Section};
use super::snapshot::snapshot_users;
use super::{
    empty_range, indico_sources, report, snapshot_span, yes_no, DateRange, Report, ReportError,
    UserFilter, CHANGELOG, HINT, SNAPSHOTS, SUMMARY,
};

pub struct ChangelogQuery<'a> {
    pub range: DateRange,
    pub user: UserFilter<'a>,
    /// The newest N entries only.
    pub limit: Option<usize>,
    pub source: Option<&'a str>,
}

pub const CHANGELOG_COLUMNS: &[&str] = &[
    "date",
    "source",
    "user_id",
    "user_email",
    "changes",
    "enabled_before",
    "enabled",
    "roles_before",
    "roles",
    "dataset_changes",
    "updated_by",
];

/// `indico-changelog`: role, dataset-access and enablement changes on the local dates
/// of the range, newest first (ties by user id).
pub fn indico_changelog(lake: &Lake, query: &ChangelogQuery) -> Result<Report, ReportError> {
    let sources = indico_sources(lake, query.source)?;
    let range = query.range;
    let mut section = Section::new(
        "changes",
        format!("Changes from {} to {}, newest first", range.from, range.to),
        CHANGELOG_COLUMNS,
    );
    // Sort keys (time, user id) and where the row is; only the rows shown are built.
    let mut picks: Vec<(i64, i32, usize, usize)> = Vec::new();
    let mut batches: Vec<(&str, RecordBatch)> = Vec::new();
    let mut covered = false;
    for name in &sources {
        lake.require(name, CHANGELOG, HINT)?;
        // The archive holds a summary for every day it read: its span says whether an
        // empty range is a quiet week or days the lake never read.
        let span = snapshot_span(lake, name, SUMMARY).or_else(|| lake.held_span(name, CHANGELOG));
        covered |= span.is_some_and(|(first, last)| first <= range.to && range.from <= last);
        for p in lake.event_partitions(name, CHANGELOG, range.from, range.to)? {
            for b in read_columns(&p.files, &CHANGE_COLUMNS)? {
                let (at, uid) = (ts_col(&b, "date"), i32_col(&b, "user_id"));
                let email = str_col(&b, "user_email");
                for row in 0..b.num_rows() {
                    if query.user.matches(get(uid, row), get(email, row)) {
                        let at = get(at, row).unwrap_or(i64::MIN);
                        let uid = get(uid, row).unwrap_or(i32::MAX);
                        picks.push((at, uid, batches.len(), row));
                    }
                }
                batches.push((name.as_str(), b));
            }
        }
    }
    if !covered {
        return Err(empty_range(lake, "Indico changelog", range, &sources));
    }
    if !query.user.is_any() && picks.is_empty() {
        // Known users with no change in the range get an empty list, not an error.
        let mut is_known = false;
        let mut known: Vec<String> = Vec::new();
        for name in &sources {
            if let Some(p) = lake.snapshot_in_force(name, SNAPSHOTS, range.to)? {
                for u in snapshot_users(&p.files)? {
                    is_known |= query.user.matches(u.id, u.email.as_deref());
                    known.extend(u.email);
                }
            }
        }
        if !is_known {
            return Err(super::super::unknown_user(&query.user.label(), &known));
        }
    }
    // Stable: entries of two sources at the same second keep the sources' order.
    picks.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    if let Some(limit) = query.limit {
        picks.truncate(limit);
    }
    section.rows = picks
        .into_iter()
        .map(|(_, _, batch, row)| {
            let (name, b) = &batches[batch];
            change_at(b, row).cells(lake, name)
        })
        .collect();
    let mut filters = vec![
        ("from", range.from.to_string()),
        ("to", range.to.to_string()),
    ];
    query.user.push_filters(&mut filters);
    if let Some(limit) = query.limit {
        filters.push(("limit", limit.to_string()));
    }
    if let Some(source) = query.source {
        filters.push(("source", source.to_string()));
    }
    Ok(report("indico-changelog", lake, filters, vec![section]))
}

const CHANGE_COLUMNS: [&str; 11] = [
    "date",
    "user_id",
    "user_email",
    "updater_email",
    "previously_enabled",
    "enabled",
    "previous_roles_text",
    "roles_text",
    "changes_made_text",
    "previous_datasets",
    "datasets",
];

/// One changelog entry as the report shows it.
struct Change {
    at_us: Option<i64>,
    user_id: Option<i32>,
    email: Option<String>,
    updater: Option<String>,
    was_enabled: Option<bool>,
    enabled: Option<bool>,
    roles_before: Option<String>,
    roles: Option<String>,
    changes: Option<String>,
    datasets_before: BTreeMap<i32, String>,
    datasets: BTreeMap<i32, String>,
}

impl Change {
    fn cells(&self, lake: &Lake, source: &str) -> Vec<Cell> {
        vec![
            Cell::opt_time(self.at_us.map(|t| local_time(lake.tz, t))),
            Cell::text(source),
            Cell::opt_int(self.user_id.map(i64::from)),
            Cell::opt_text(self.email.as_deref()),
            Cell::opt_text(self.changes.as_deref()),
            yes_no(self.was_enabled),
            yes_no(self.enabled),
            Cell::opt_text(self.roles_before.as_deref()),
            Cell::opt_text(self.roles.as_deref()),
            Cell::text(dataset_changes(&self.datasets_before, &self.datasets)),
            Cell::opt_text(self.updater.as_deref()),
        ]
    }
}

fn change_at(b: &RecordBatch, row: usize) -> Change {
    let text = |column: &str| get(str_col(b, column), row).map(str::to_string);
    let flag = |column: &str| get(bool_col(b, column), row);
    Change {
        at_us: get(ts_col(b, "date"), row),
        user_id: get(i32_col(b, "user_id"), row),
        email: text("user_email"),
        updater: text("updater_email"),
        was_enabled: flag("previously_enabled"),
        enabled: flag("enabled"),
        roles_before: text("previous_roles_text"),
        roles: text("roles_text"),
        changes: text("changes_made_text"),
        datasets_before: dataset_roles(b, "previous_datasets", row),
        datasets: dataset_roles(b, "datasets", row),
    }
}

/// dataset id → role, from a `List<Struct<dataset_id, role>>` cell (empty when NULL).
fn dataset_roles(b: &RecordBatch, column: &str, row: usize) -> BTreeMap<i32, String> {
    let mut roles = BTreeMap::new();
    let Some(list) = b
        .column_by_name(column)
        .and_then(|c| c.as_list_opt::<i32>())
    else {
        return roles;
    };
    if list.is_null(row) {
        return roles;
    }
    let entries = list.value(row);
    let Some(entries) = entries.as_struct_opt() else {
        return roles;
    };
    let ids = entries
        .column_by_name("dataset_id")
        .and_then(|c| c.as_primitive_opt::<arrow_array::types::Int32Type>());
    let names = entries
        .column_by_name("role")
        .and_then(|c| c.as_string_opt::<i32>());
    for i in 0..entries.len() {
        if let Some(id) = get(ids, i) {
            roles.insert(id, get(names, i).unwrap_or("").to_string());
        }
    }
    roles
}

/// "+12 ANALYST; -30 LABELER; 7 LABELER→MANAGER" by dataset id ("" when unchanged).
pub fn dataset_changes(before: &BTreeMap<i32, String>, after: &BTreeMap<i32, String>) -> String {
    let mut ids: Vec<i32> = before.keys().chain(after.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| match (before.get(&id), after.get(&id)) {
            (None, Some(role)) => Some(format!("+{id} {role}")),
            (Some(role), None) => Some(format!("-{id} {role}")),
            (Some(a), Some(b)) if a != b => Some(format!("{id} {a}→{b}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_changes_name_grants_revocations_and_role_changes() {
        let map = |pairs: &[(i32, &str)]| -> BTreeMap<i32, String> {
            pairs.iter().map(|(d, r)| (*d, r.to_string())).collect()
        };
        let before = map(&[(3, "LABELER"), (7, "ANALYST"), (9, "MANAGER")]);
        let after = map(&[(7, "REVIEWER"), (9, "MANAGER"), (12, "CURATOR")]);
        assert_eq!(
            dataset_changes(&before, &after),
            "-3 LABELER; 7 ANALYST→REVIEWER; +12 CURATOR"
        );
        assert_eq!(dataset_changes(&after, &after), "");
    }
}
