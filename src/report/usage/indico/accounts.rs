//! The Indico part of `inactive-users`.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::super::activity::{Account, AccountKey};
use super::super::lake::{get, i32_col, read_columns, ts_col, Lake};
use super::snapshot::snapshot_users;
use super::{ReportError, CHANGELOG, SNAPSHOTS};

/// `inactive-users` for an Indico source: the accounts of the snapshot in force with
/// their enablement (`license`: an enabled user holds a seat) and app roles (`role`),
/// and per account the latest
/// account event the lake knows (creation or a changelog entry): Indico's user metrics
/// record no sign-ins, so that is the only "last activity" it has.
pub fn indico_accounts(
    lake: &Lake,
    source: &str,
    as_of: NaiveDate,
) -> Result<(Vec<Account>, HashMap<AccountKey, i64>), ReportError> {
    // A source archiving only the summary (`datasets = ["user_summary", …]`) has no
    // accounts to list; that must not fail the other platforms' list.
    if lake.require(source, SNAPSHOTS, "").is_err() {
        return Ok((Vec::new(), HashMap::new()));
    }
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
                // An enabled user holds a seat; what they may do is their app roles.
                license: u
                    .enabled
                    .map(|e| if e { "enabled" } else { "disabled" }.to_string()),
                role: u.roles,
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
