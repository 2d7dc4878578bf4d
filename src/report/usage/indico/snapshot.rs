//! `indico-snapshot`: each user's app roles and dataset access on an Indico day.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::super::clock::local_time;
use super::super::lake::{bool_col, get, i32_col, read_columns, str_col, ts_col, Lake};
use super::super::table::{Cell, Section};
use super::{
    empty_range, indico_sources, report, yes_no, DateRange, Report, ReportError, UserFilter, HINT,
    SNAPSHOTS, SNAPSHOT_DATASETS,
};

/// One row of `user_snapshot_datasets`; sorts by user, then dataset.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    user_id: i32,
    dataset_id: Option<i32>,
    role: Option<String>,
    email: Option<String>,
}

/// One user of a `user_snapshots` partition.
pub(super) struct SnapshotUser {
    pub(super) id: Option<i32>,
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) created_us: Option<i64>,
    pub(super) enabled: Option<bool>,
    pub(super) roles: Option<String>,
}

pub(super) fn snapshot_users(
    files: &[std::path::PathBuf],
) -> Result<Vec<SnapshotUser>, ReportError> {
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
        let mut grants: Vec<Grant> = Vec::new();
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
                        grants.push(Grant {
                            user_id: uid,
                            dataset_id: get(dataset, row),
                            role: get(role, row).map(str::to_string),
                            email: email.map(str::to_string),
                        });
                    }
                }
            }
        }
        let mut per_user: HashMap<i32, i64> = HashMap::new();
        for g in &grants {
            *per_user.entry(g.user_id).or_default() += 1;
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
        for g in grants {
            access.push(vec![
                Cell::text(name),
                Cell::Int(i64::from(g.user_id)),
                Cell::opt_text(g.email.as_deref()),
                Cell::opt_int(g.dataset_id.map(i64::from)),
                Cell::opt_text(g.role.as_deref()),
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
    match super::super::unknown_user(&user.label(), emails) {
        ReportError::UnknownUser { user, hint } => ReportError::UnknownUser {
            user,
            hint: format!(" (in the Indico snapshot of {date}){hint}"),
        },
        other => other,
    }
}
