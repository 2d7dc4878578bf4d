//! What the lake knows about people: accounts (from the snapshot in force) and their
//! activity (per day, from the small derived datasets), per platform. Every report reads
//! through these, so "active" means the same thing everywhere:
//! - Tableau: a user with at least one request that day (`logins`, one row per user per
//!   local day, derived from every `http_requests` row with a known user id).
//! - ArcGIS: a member who appears as `actor` of a `history` event, or whose sign-in the
//!   `logins` log recorded.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::lake::{self, get, i32_col, i64_col, read_columns, str_col, ts_col, Lake};
use super::ReportError;

/// One Tableau user active on one local day (a row of the `logins` dataset).
#[derive(Debug, Clone)]
pub struct TableauDay {
    pub date: NaiveDate,
    /// Site-scoped `users.id`.
    pub user_id: i32,
    pub system_user_id: Option<i32>,
    pub user_name: Option<String>,
    pub friendly_name: Option<String>,
    pub site_id: Option<i32>,
    pub site_name: Option<String>,
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
    pub requests: Option<i64>,
    pub sessions: Option<i64>,
}

impl TableauDay {
    /// The person across sites: `system_users.id`, else the site membership.
    pub fn person(&self) -> String {
        tableau_person(self.system_user_id, self.site_id, self.user_id)
    }
}

pub fn tableau_person(system_user_id: Option<i32>, site_id: Option<i32>, user_id: i32) -> String {
    match system_user_id {
        Some(id) => format!("s{id}"),
        None => format!("u{}:{user_id}", site_id.unwrap_or(-1)),
    }
}

const LOGINS_HINT: &str =
    " — it is derived by `usagelake run` when the source has `enrich = true` (the default)";

/// Rows of Tableau `logins` with `from <= event_date <= to`.
pub fn tableau_days(
    lake: &Lake,
    source: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TableauDay>, ReportError> {
    lake.require(source, "logins", LOGINS_HINT)?;
    let partitions = lake.event_partitions(source, "logins", from, to)?;
    let columns = [
        "user_id",
        "system_user_id",
        "user_name",
        "friendly_name",
        "site_id",
        "site_name",
        "first_request_at",
        "last_request_at",
        "requests",
        "sessions",
    ];
    let per_day = lake::par_map(&partitions, |p| {
        let mut rows = Vec::new();
        for batch in read_columns(&p.files, &columns)? {
            let user_id = i32_col(&batch, "user_id");
            let system_user_id = i32_col(&batch, "system_user_id");
            let user_name = str_col(&batch, "user_name");
            let friendly_name = str_col(&batch, "friendly_name");
            let site_id = i32_col(&batch, "site_id");
            let site_name = str_col(&batch, "site_name");
            let first = ts_col(&batch, "first_request_at");
            let last = ts_col(&batch, "last_request_at");
            let requests = i64_col(&batch, "requests");
            let sessions = i64_col(&batch, "sessions");
            for row in 0..batch.num_rows() {
                let Some(id) = get(user_id, row).filter(|id| *id != 0) else {
                    continue;
                };
                rows.push(TableauDay {
                    date: p.date,
                    user_id: id,
                    system_user_id: get(system_user_id, row),
                    user_name: get(user_name, row).map(str::to_string),
                    friendly_name: get(friendly_name, row).map(str::to_string),
                    site_id: get(site_id, row),
                    site_name: get(site_name, row).map(str::to_string),
                    first_us: get(first, row),
                    last_us: get(last, row),
                    requests: get(requests, row),
                    sessions: get(sessions, row),
                });
            }
        }
        Ok(rows)
    })?;
    Ok(per_day.into_iter().flatten().collect())
}

/// One ArcGIS sign-in or history event by a member.
#[derive(Debug, Clone)]
pub struct ArcgisActivity {
    pub date: NaiveDate,
    pub username: String,
    pub at_us: i64,
    pub kind: ArcgisActivityKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArcgisActivityKind {
    /// A row of the `logins` log.
    Login,
    /// A `history` event with this member as `actor`.
    History,
}

/// ArcGIS activity with `from <= event_date <= to`: `logins` rows, and `history` events
/// when `with_history` (a portal without history, e.g. Enterprise, simply has none).
pub fn arcgis_activity(
    lake: &Lake,
    source: &str,
    from: NaiveDate,
    to: NaiveDate,
    with_history: bool,
) -> Result<Vec<ArcgisActivity>, ReportError> {
    let mut all = Vec::new();
    let logins = lake.event_partitions(source, "logins", from, to)?;
    for chunk in lake::par_map(&logins, |p| {
        let mut rows = Vec::new();
        for batch in read_columns(&p.files, &["username", "last_login"])? {
            let names = str_col(&batch, "username");
            let times = ts_col(&batch, "last_login");
            for row in 0..batch.num_rows() {
                if let (Some(name), Some(at)) = (get(names, row), get(times, row)) {
                    rows.push(ArcgisActivity {
                        date: p.date,
                        username: name.to_string(),
                        at_us: at,
                        kind: ArcgisActivityKind::Login,
                    });
                }
            }
        }
        Ok(rows)
    })? {
        all.extend(chunk);
    }
    if with_history {
        let history = lake.event_partitions(source, "history", from, to)?;
        for chunk in lake::par_map(&history, |p| {
            let mut rows = Vec::new();
            for batch in read_columns(&p.files, &["actor", "created"])? {
                let actors = str_col(&batch, "actor");
                let times = ts_col(&batch, "created");
                for row in 0..batch.num_rows() {
                    let actor = get(actors, row).filter(|a| !a.is_empty());
                    if let (Some(actor), Some(at)) = (actor, get(times, row)) {
                        rows.push(ArcgisActivity {
                            date: p.date,
                            username: actor.to_string(),
                            at_us: at,
                            kind: ArcgisActivityKind::History,
                        });
                    }
                }
            }
            Ok(rows)
        })? {
            all.extend(chunk);
        }
    }
    Ok(all)
}

/// One account as the snapshot in force describes it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Tableau: the site; ArcGIS: none (one org per source).
    pub site: Option<String>,
    /// Tableau: `system_users.name`; ArcGIS: `username`.
    pub user: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// Tableau: the site role; ArcGIS: `userLicenseTypeId`.
    pub license: Option<String>,
    /// ArcGIS: `role`; Tableau: "server admin" for admin_level 10.
    pub role: Option<String>,
    /// The last sign-in the platform itself recorded (`users.login_at`, `lastLogin`).
    pub last_login_us: Option<i64>,
    pub key: AccountKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
// Each variant is a user id of one platform: the shared postfix is the point.
#[allow(clippy::enum_variant_names)]
pub enum AccountKey {
    /// Site-scoped `users.id` (what `logins.user_id` holds).
    TableauUser(i32),
    ArcgisUser(String),
    /// Indico's user `id`.
    IndicoUser(i32),
}

fn snapshot_batches(
    lake: &Lake,
    source: &str,
    dataset: &str,
    as_of: NaiveDate,
    columns: &[&str],
) -> Result<Vec<arrow_array::RecordBatch>, ReportError> {
    match lake.snapshot_in_force(source, dataset, as_of)? {
        Some(p) => read_columns(&p.files, columns),
        None => Ok(Vec::new()),
    }
}

/// A `system_users` row: the person behind site memberships.
struct SystemUser {
    name: String,
    friendly_name: Option<String>,
    email: Option<String>,
    admin_level: Option<i32>,
}

/// Tableau site memberships (`users`) with their names, site and site role.
pub fn tableau_accounts(
    lake: &Lake,
    source: &str,
    as_of: NaiveDate,
) -> Result<Vec<Account>, ReportError> {
    lake.require(source, "users", " — snapshots are taken by `usagelake run`")?;
    let mut people: HashMap<i32, SystemUser> = HashMap::new();
    for b in snapshot_batches(
        lake,
        source,
        "system_users",
        as_of,
        &["id", "name", "friendly_name", "email", "admin_level"],
    )? {
        let (id, name) = (i32_col(&b, "id"), str_col(&b, "name"));
        let (friendly, email) = (str_col(&b, "friendly_name"), str_col(&b, "email"));
        let admin = i32_col(&b, "admin_level");
        for row in 0..b.num_rows() {
            if let (Some(id), Some(name)) = (get(id, row), get(name, row)) {
                people.insert(
                    id,
                    SystemUser {
                        name: name.to_string(),
                        friendly_name: get(friendly, row).map(str::to_string),
                        email: get(email, row).map(str::to_string),
                        admin_level: get(admin, row),
                    },
                );
            }
        }
    }
    let roles = id_names(lake, source, "site_roles", as_of, &["display_name", "name"])?;
    let sites = id_names(lake, source, "sites", as_of, &["name"])?;
    let mut accounts = Vec::new();
    for b in snapshot_batches(
        lake,
        source,
        "users",
        as_of,
        &[
            "id",
            "site_id",
            "system_user_id",
            "site_role_id",
            "login_at",
        ],
    )? {
        let id = i32_col(&b, "id");
        let site = i32_col(&b, "site_id");
        let system_user = i32_col(&b, "system_user_id");
        let role = i32_col(&b, "site_role_id");
        let login_at = ts_col(&b, "login_at");
        for row in 0..b.num_rows() {
            let Some(user_id) = get(id, row) else {
                continue;
            };
            let person = get(system_user, row).and_then(|s| people.get(&s));
            let role_id = get(role, row);
            accounts.push(Account {
                site: get(site, row).map(|s| sites.get(&s).cloned().unwrap_or(s.to_string())),
                user: person.map_or_else(|| format!("user {user_id}"), |p| p.name.clone()),
                full_name: person.and_then(|p| p.friendly_name.clone()),
                email: person.and_then(|p| p.email.clone()),
                license: role_id.map(|r| roles.get(&r).cloned().unwrap_or(r.to_string())),
                role: person
                    .and_then(|p| p.admin_level)
                    .filter(|level| *level >= 10)
                    .map(|_| "server admin".to_string()),
                last_login_us: get(login_at, row),
                key: AccountKey::TableauUser(user_id),
            });
        }
    }
    Ok(accounts)
}

/// `id` → the first non-NULL of `name_columns`, from the snapshot in force.
pub fn id_names(
    lake: &Lake,
    source: &str,
    dataset: &str,
    as_of: NaiveDate,
    name_columns: &[&str],
) -> Result<HashMap<i32, String>, ReportError> {
    let mut columns = vec!["id"];
    columns.extend_from_slice(name_columns);
    let mut names = HashMap::new();
    for b in snapshot_batches(lake, source, dataset, as_of, &columns)? {
        let id = i32_col(&b, "id");
        let candidates: Vec<_> = name_columns.iter().map(|c| str_col(&b, c)).collect();
        for row in 0..b.num_rows() {
            let Some(id) = get(id, row) else { continue };
            if let Some(name) = candidates.iter().find_map(|c| get(*c, row)) {
                names.insert(id, name.to_string());
            }
        }
    }
    Ok(names)
}

/// ArcGIS members (`users` snapshot in force).
pub fn arcgis_accounts(
    lake: &Lake,
    source: &str,
    as_of: NaiveDate,
) -> Result<Vec<Account>, ReportError> {
    lake.require(source, "users", " — snapshots are taken by `usagelake run`")?;
    let columns = [
        "username",
        "fullName",
        "email",
        "role",
        "userLicenseTypeId",
        "lastLogin",
    ];
    let mut accounts = Vec::new();
    for b in snapshot_batches(lake, source, "users", as_of, &columns)? {
        let user = str_col(&b, "username");
        let full = str_col(&b, "fullName");
        let email = str_col(&b, "email");
        let role = str_col(&b, "role");
        let license = str_col(&b, "userLicenseTypeId");
        let last = ts_col(&b, "lastLogin");
        for row in 0..b.num_rows() {
            let Some(name) = get(user, row) else { continue };
            accounts.push(Account {
                site: None,
                user: name.to_string(),
                full_name: get(full, row).map(str::to_string),
                email: get(email, row).map(str::to_string),
                license: get(license, row).map(str::to_string),
                role: get(role, row).map(str::to_string),
                last_login_us: get(last, row),
                key: AccountKey::ArcgisUser(name.to_string()),
            });
        }
    }
    Ok(accounts)
}
