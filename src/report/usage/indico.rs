//! The Indico user-metrics reports: `indico-summary` (enabled/disabled users and users
//! per app role, per day), `indico-snapshot` (each user's roles and dataset access on a
//! day) and `indico-changelog` (who changed whose roles, access or enablement).
//!
//! Dates: the summary and the snapshot are Indico's own days (the API's `date`, the state
//! at 23:59 UTC), which the archive keeps as `snapshot_date=` partitions; the changelog is
//! partitioned by the local `event_date` of each change in the pipeline's zone, and its
//! `--from`/`--to` are those local dates, like every other report's.
//!
//! Reading goes through [`Lake`]: partitions pruned by folder name, only the columns
//! shown decoded. The list columns are read from their flat `_text` twins where one
//! exists (`roles_text`); dataset access from `user_snapshot_datasets` (flat) or, for
//! the changelog, its `List<Struct<dataset_id, role>>` columns.

use std::collections::{BTreeMap, HashMap};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use chrono::NaiveDate;

use super::activity::{Account, AccountKey};
use super::clock::local_time;
use super::lake::{bool_col, get, i32_col, read_columns, str_col, ts_col, Lake, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};

const SUMMARY: &str = "user_summary";
const SUMMARY_ROLES: &str = "user_summary_roles";
const SNAPSHOTS: &str = "user_snapshots";
const SNAPSHOT_DATASETS: &str = "user_snapshot_datasets";
const CHANGELOG: &str = "user_changelog";
const HINT: &str = " — the Indico source archives it with `usagelake run` (unless its `datasets` list leaves it out)";

/// Which user(s) a report is about; both given means both must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserFilter<'a> {
    pub id: Option<i32>,
    /// Case-insensitive.
    pub email: Option<&'a str>,
}

impl UserFilter<'_> {
    fn is_any(&self) -> bool {
        self.id.is_none() && self.email.is_none()
    }

    fn matches(&self, id: Option<i32>, email: Option<&str>) -> bool {
        self.id.is_none_or(|want| id == Some(want))
            && self
                .email
                .is_none_or(|want| email.is_some_and(|e| e.eq_ignore_ascii_case(want)))
    }

    fn label(&self) -> String {
        match (self.id, self.email) {
            (Some(id), Some(email)) => format!("id {id} with email {email}"),
            (Some(id), None) => format!("id {id}"),
            (None, Some(email)) => email.to_string(),
            (None, None) => "(any)".to_string(),
        }
    }

    fn push_filters(&self, filters: &mut Vec<(&'static str, String)>) {
        if let Some(id) = self.id {
            filters.push(("user_id", id.to_string()));
        }
        if let Some(email) = self.email {
            filters.push(("email", email.to_string()));
        }
    }
}

/// The Indico sources of the pipeline (only `name` when given).
fn indico_sources(lake: &Lake, name: Option<&str>) -> Result<Vec<String>, ReportError> {
    let chosen: Vec<String> = lake
        .select_sources(name)?
        .into_iter()
        .filter(|s| s.platform == Platform::Indico)
        .map(|s| s.name.clone())
        .collect();
    if chosen.is_empty() {
        let known: Vec<&str> = lake.sources.iter().map(|s| s.name.as_str()).collect();
        return Err(ReportError::NoSource {
            kind: match name {
                Some(name) => format!("indico source named `{name}`"),
                None => "indico".to_string(),
            },
            hint: format!(
                " (its sources: {}); add a `kind = \"indico\"` source and run it",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    Ok(chosen)
}

/// The first and last `snapshot_date` of a dataset.
fn snapshot_span(lake: &Lake, source: &str, dataset: &str) -> Option<(NaiveDate, NaiveDate)> {
    let all = lake.partitions(source, dataset, "snapshot_date").ok()?;
    Some((all.first()?.date, all.last()?.date))
}

fn empty_range(lake: &Lake, what: &str, range: DateRange, sources: &[String]) -> ReportError {
    let spans: Vec<String> = sources
        .iter()
        .filter_map(|s| {
            let (first, last) = snapshot_span(lake, s, SUMMARY)?;
            Some(format!("{s} days {first} … {last}"))
        })
        .collect();
    let held = if spans.is_empty() {
        "; it holds none at all (has `usagelake run` written it yet?)".to_string()
    } else {
        format!("; it holds {}", spans.join(", "))
    };
    ReportError::EmptyRange {
        what: what.to_string(),
        from: range.from,
        to: range.to,
        held,
    }
}

fn yes_no(value: Option<bool>) -> Cell {
    value.map_or(Cell::Null, |v| Cell::text(if v { "yes" } else { "no" }))
}

fn report(
    name: &'static str,
    lake: &Lake,
    filters: Vec<(&'static str, String)>,
    sections: Vec<Section>,
) -> Report {
    Report {
        name,
        time_zone: lake.tz.name().to_string(),
        filters,
        sections,
    }
}

fn range_filters(range: DateRange) -> Vec<(&'static str, String)> {
    if range.from == range.to {
        vec![("date", range.from.to_string())]
    } else {
        vec![
            ("from", range.from.to_string()),
            ("to", range.to.to_string()),
        ]
    }
}

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

fn in_range(
    partitions: Vec<super::lake::Partition>,
    range: DateRange,
) -> impl Iterator<Item = super::lake::Partition> {
    partitions
        .into_iter()
        .filter(move |p| p.date >= range.from && p.date <= range.to)
}

/// One user of a `user_snapshots` partition.
struct SnapshotUser {
    id: Option<i32>,
    name: Option<String>,
    email: Option<String>,
    created_us: Option<i64>,
    enabled: Option<bool>,
    roles: Option<String>,
}

fn snapshot_users(files: &[std::path::PathBuf]) -> Result<Vec<SnapshotUser>, ReportError> {
    let columns = ["id", "name", "email", "created_at", "enabled", "roles_text"];
    let mut users = Vec::new();
    for b in read_columns(files, &columns)? {
        let (id, name, email) = (i32_col(&b, "id"), str_col(&b, "name"), str_col(&b, "email"));
        let (created, enabled) = (ts_col(&b, "created_at"), bool_col(&b, "enabled"));
        let roles = str_col(&b, "roles_text");
        for row in 0..b.num_rows() {
            users.push(SnapshotUser {
                id: get(id, row),
                name: get(name, row).map(str::to_string),
                email: get(email, row).map(str::to_string),
                created_us: get(created, row),
                enabled: get(enabled, row),
                roles: get(roles, row).map(str::to_string),
            });
        }
    }
    Ok(users)
}

/// `indico-snapshot`: every (or one) user's app roles and dataset access on `date`.
pub fn indico_snapshot(
    lake: &Lake,
    date: NaiveDate,
    user: UserFilter,
    source: Option<&str>,
) -> Result<Report, ReportError> {
    let sources = indico_sources(lake, source)?;
    let mut users = Section::new(
        "users",
        format!("Users on {date} (23:59 UTC)"),
        &[
            "source",
            "user_id",
            "name",
            "email",
            "created_at",
            "enabled",
            "roles",
            "datasets",
        ],
    );
    let mut access = Section::new(
        "datasets",
        format!("Dataset access on {date}"),
        &["source", "user_id", "email", "dataset_id", "role"],
    );
    let mut any_day = false;
    let mut known: Vec<String> = Vec::new();
    for name in &sources {
        lake.require(name, SNAPSHOTS, HINT)?;
        let day = lake.partitions(name, SNAPSHOTS, "snapshot_date")?;
        let Some(day) = day.into_iter().find(|p| p.date == date) else {
            continue;
        };
        any_day = true;
        // (user id, dataset id, role), of the users shown.
        let mut grants: Vec<(i32, Option<i32>, Option<String>, Option<String>)> = Vec::new();
        let flat = lake.partitions(name, SNAPSHOT_DATASETS, "snapshot_date")?;
        if let Some(p) = flat.into_iter().find(|p| p.date == date) {
            for b in read_columns(&p.files, &["user_id", "email", "dataset_id", "role"])? {
                let (uid, email) = (i32_col(&b, "user_id"), str_col(&b, "email"));
                let (dataset, role) = (i32_col(&b, "dataset_id"), str_col(&b, "role"));
                for row in 0..b.num_rows() {
                    let (Some(uid), email) = (get(uid, row), get(email, row)) else {
                        continue;
                    };
                    if user.matches(Some(uid), email) {
                        grants.push((
                            uid,
                            get(dataset, row),
                            get(role, row).map(str::to_string),
                            email.map(str::to_string),
                        ));
                    }
                }
            }
        }
        let mut per_user: HashMap<i32, i64> = HashMap::new();
        for g in &grants {
            *per_user.entry(g.0).or_default() += 1;
        }
        let mut day_users = snapshot_users(&day.files)?;
        day_users.sort_by_key(|u| u.id);
        for u in day_users {
            known.extend(u.email.clone());
            if !user.matches(u.id, u.email.as_deref()) {
                continue;
            }
            users.push(vec![
                Cell::text(name),
                Cell::opt_int(u.id.map(i64::from)),
                Cell::opt_text(u.name.as_deref()),
                Cell::opt_text(u.email.as_deref()),
                Cell::opt_time(u.created_us.map(|t| local_time(lake.tz, t))),
                yes_no(u.enabled),
                Cell::opt_text(u.roles.as_deref()),
                Cell::Int(u.id.and_then(|id| per_user.get(&id)).copied().unwrap_or(0)),
            ]);
        }
        grants.sort();
        for (uid, dataset, role, email) in grants {
            access.push(vec![
                Cell::text(name),
                Cell::Int(i64::from(uid)),
                Cell::opt_text(email.as_deref()),
                Cell::opt_int(dataset.map(i64::from)),
                Cell::opt_text(role.as_deref()),
            ]);
        }
    }
    if !any_day {
        let range = DateRange {
            from: date,
            to: date,
        };
        return Err(empty_range(lake, "Indico user snapshot", range, &sources));
    }
    if !user.is_any() && users.rows.is_empty() {
        return Err(unknown_user_on(&user, &known, date));
    }
    let mut filters = vec![("date", date.to_string())];
    user.push_filters(&mut filters);
    if let Some(source) = source {
        filters.push(("source", source.to_string()));
    }
    Ok(report(
        "indico-snapshot",
        lake,
        filters,
        vec![users, access],
    ))
}

fn unknown_user_on(user: &UserFilter, emails: &[String], date: NaiveDate) -> ReportError {
    match super::unknown_user(&user.label(), emails) {
        ReportError::UnknownUser { user, hint } => ReportError::UnknownUser {
            user,
            hint: format!(" (in the Indico snapshot of {date}){hint}"),
        },
        other => other,
    }
}

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
    let mut rows: Vec<(i64, i32, Vec<Cell>)> = Vec::new();
    let mut covered = false;
    let mut known: Vec<String> = Vec::new();
    for name in &sources {
        lake.require(name, CHANGELOG, HINT)?;
        // The archive holds a summary for every day it read: its span says whether an
        // empty range is a quiet week or days the lake never read.
        let span = snapshot_span(lake, name, SUMMARY).or_else(|| lake.held_span(name, CHANGELOG));
        covered |= span.is_some_and(|(first, last)| first <= range.to && range.from <= last);
        for p in lake.event_partitions(name, CHANGELOG, range.from, range.to)? {
            for b in read_columns(&p.files, &CHANGE_COLUMNS)? {
                for change in changes(&b) {
                    known.extend(change.email.clone());
                    if !query.user.matches(change.user_id, change.email.as_deref()) {
                        continue;
                    }
                    let at = change.at_us.unwrap_or(i64::MIN);
                    let row = change.cells(lake, name);
                    rows.push((at, change.user_id.unwrap_or(i32::MAX), row));
                }
            }
        }
    }
    if !covered {
        return Err(empty_range(lake, "Indico changelog", range, &sources));
    }
    if !query.user.is_any() && rows.is_empty() {
        // Known users with no change in the range get an empty list, not an error.
        let mut is_known = false;
        for name in &sources {
            if let Some(p) = lake.snapshot_in_force(name, SNAPSHOTS, range.to)? {
                for u in snapshot_users(&p.files)? {
                    is_known |= query.user.matches(u.id, u.email.as_deref());
                    known.extend(u.email);
                }
            }
        }
        if !is_known {
            return Err(super::unknown_user(&query.user.label(), &known));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    section.rows = rows.into_iter().map(|(_, _, row)| row).collect();
    if let Some(limit) = query.limit {
        section.rows.truncate(limit);
    }
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

fn changes(b: &RecordBatch) -> Vec<Change> {
    let at = ts_col(b, "date");
    let (uid, email, updater) = (
        i32_col(b, "user_id"),
        str_col(b, "user_email"),
        str_col(b, "updater_email"),
    );
    let (was, now) = (bool_col(b, "previously_enabled"), bool_col(b, "enabled"));
    let (roles_before, roles) = (str_col(b, "previous_roles_text"), str_col(b, "roles_text"));
    let made = str_col(b, "changes_made_text");
    (0..b.num_rows())
        .map(|row| Change {
            at_us: get(at, row),
            user_id: get(uid, row),
            email: get(email, row).map(str::to_string),
            updater: get(updater, row).map(str::to_string),
            was_enabled: get(was, row),
            enabled: get(now, row),
            roles_before: get(roles_before, row).map(str::to_string),
            roles: get(roles, row).map(str::to_string),
            changes: get(made, row).map(str::to_string),
            datasets_before: dataset_roles(b, "previous_datasets", row),
            datasets: dataset_roles(b, "datasets", row),
        })
        .collect()
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

/// `inactive-users` for an Indico source: the accounts of the snapshot in force with
/// their app roles (`license`) and enablement (`role`), and per account the latest
/// account event the lake knows (creation or a changelog entry): Indico's user metrics
/// record no sign-ins, so that is the only "last activity" it has.
pub fn indico_accounts(
    lake: &Lake,
    source: &str,
    as_of: NaiveDate,
) -> Result<(Vec<Account>, HashMap<AccountKey, i64>), ReportError> {
    lake.require(source, SNAPSHOTS, HINT)?;
    let mut accounts = Vec::new();
    let mut last: HashMap<AccountKey, i64> = HashMap::new();
    if let Some(p) = lake.snapshot_in_force(source, SNAPSHOTS, as_of)? {
        for u in snapshot_users(&p.files)? {
            let Some(id) = u.id else { continue };
            let key = AccountKey::IndicoUser(id);
            if let Some(created) = u.created_us {
                last.insert(key.clone(), created);
            }
            accounts.push(Account {
                site: None,
                user: u.email.clone().unwrap_or_else(|| format!("user {id}")),
                full_name: u.name,
                email: u.email,
                license: u.roles,
                role: u
                    .enabled
                    .map(|e| if e { "enabled" } else { "disabled" }.to_string()),
                last_login_us: None,
                key,
            });
        }
    }
    for p in lake.event_partitions(source, CHANGELOG, NaiveDate::MIN, as_of)? {
        for b in read_columns(&p.files, &["user_id", "date"])? {
            let (uid, at) = (i32_col(&b, "user_id"), ts_col(&b, "date"));
            for row in 0..b.num_rows() {
                if let (Some(id), Some(at)) = (get(uid, row), get(at, row)) {
                    let e = last.entry(AccountKey::IndicoUser(id)).or_insert(at);
                    *e = (*e).max(at);
                }
            }
        }
    }
    Ok((accounts, last))
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

    #[test]
    fn a_user_filter_needs_every_given_field_and_ignores_email_case() {
        let f = UserFilter {
            id: Some(5),
            email: Some("User5@Indico.example"),
        };
        assert!(f.matches(Some(5), Some("user5@indico.example")));
        assert!(!f.matches(Some(6), Some("user5@indico.example")));
        assert!(!f.matches(Some(5), None));
        assert!(UserFilter::default().matches(None, None));
    }
}
