//! The fake's ground truth: users whose app roles, dataset access and enablement change
//! over days, and the changelog entry of every change. Deterministic per seed, so a
//! test can compute what the lake must hold for any day.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};

/// App roles the fake hands out; `DATA_STEWARD` is not in the schema's `AppRole` enum
/// (servers add values: the archive must keep it verbatim).
pub const APP_ROLES: &[&str] = &[
    "TEAM_USER",
    "TEAM_DEVELOPER",
    "TEAM_ADMIN",
    "REPORT_GENERATOR",
    "MANAGE_ALL_DATA",
    "APP_ADMIN",
    "DATA_STEWARD",
];
/// Dataset roles; `CURATOR` is a value the schema's `Roles` enum lacks.
pub const DATASET_ROLES: &[&str] = &[
    "LABELER",
    "REVIEWER",
    "LABELER_AND_REVIEWER",
    "ANALYST",
    "MANAGER",
    "CURATOR",
];
/// The admin who makes every change (`updatedBy`).
pub const ADMIN_ID: i32 = 1;
pub const ADMIN_EMAIL: &str = "admin@indico.example";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub enabled: bool,
    pub roles: Vec<String>,
    /// (dataset id, role), sorted by dataset id.
    pub datasets: Vec<(i32, String)>,
}

#[derive(Debug, Clone)]
pub struct FakeUser {
    pub id: i32,
    pub name: String,
    pub email: String,
    /// Epoch seconds.
    pub created_at: i64,
    pub initial: UserState,
}

#[derive(Debug, Clone)]
pub struct Change {
    /// "unique combination of date and user_id".
    pub id: String,
    /// Epoch seconds.
    pub date: i64,
    pub updated_at: i64,
    pub user_id: i32,
    pub before: UserState,
    pub after: UserState,
    pub changes_made: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Truth {
    pub first_day: NaiveDate,
    pub days: u32,
    pub users: Vec<FakeUser>,
    /// Sorted by (date, user id).
    pub changes: Vec<Change>,
}

/// splitmix64: a tiny deterministic generator, independent of any crate's versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub fn day_start(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// The last second of `day` (the API's "23:59 UTC" reading of a date).
pub fn day_end(day: NaiveDate) -> i64 {
    day_start(day) + 86_399
}

fn random_state(rng: &mut Rng) -> UserState {
    let mut roles = vec!["TEAM_USER".to_string()];
    if rng.chance(30) {
        roles.push(APP_ROLES[1 + rng.below(APP_ROLES.len() as u64 - 1) as usize].to_string());
    }
    let mut datasets = BTreeMap::new();
    for _ in 0..rng.below(4) {
        let dataset = 1 + rng.below(40) as i32;
        let role = DATASET_ROLES[rng.below(DATASET_ROLES.len() as u64) as usize];
        datasets.insert(dataset, role.to_string());
    }
    UserState {
        enabled: !rng.chance(5),
        roles,
        datasets: datasets.into_iter().collect(),
    }
}

/// Applies one random change kind to `state`; returns the change types made.
fn mutate(rng: &mut Rng, state: &mut UserState) -> Vec<String> {
    let mut made = Vec::new();
    match rng.below(10) {
        0 => {
            state.enabled = !state.enabled;
            made.push("ENABLEMENT".to_string());
        }
        1..=3 => {
            let role = APP_ROLES[rng.below(APP_ROLES.len() as u64) as usize].to_string();
            match state.roles.iter().position(|r| *r == role) {
                Some(i) if state.roles.len() > 1 => {
                    state.roles.remove(i);
                }
                Some(_) => state.roles.push("REPORT_GENERATOR".into()),
                None => state.roles.push(role),
            }
            state.roles.dedup();
            made.push("APP_ROLE".to_string());
        }
        _ => {
            let dataset = 1 + rng.below(40) as i32;
            let role = DATASET_ROLES[rng.below(DATASET_ROLES.len() as u64) as usize].to_string();
            match state.datasets.iter().position(|(d, _)| *d == dataset) {
                Some(i) if rng.chance(50) => {
                    state.datasets.remove(i);
                }
                Some(i) => state.datasets[i].1 = role,
                None => {
                    state.datasets.push((dataset, role));
                    state.datasets.sort();
                }
            }
            made.push("DATASET_ROLE".to_string());
        }
    }
    made
}

/// `users` users over `days` days from `first_day`. A tenth of them are created during
/// the window (they enter snapshots on that day); each user changes on about one day
/// in four, at most once a day (the entry id is date + user).
pub fn generate(users: usize, first_day: NaiveDate, days: u32, seed: u64) -> Truth {
    let mut rng = Rng(seed ^ 0x1DC0);
    let first = day_start(first_day);
    let mut all = Vec::with_capacity(users);
    let mut changes = Vec::new();
    for i in 0..users {
        let id = i as i32 + 2; // 1 is the admin who makes the changes
        let created_at = if rng.chance(10) && days > 0 {
            first + rng.below(u64::from(days) * 86_400) as i64
        } else {
            first - 86_400 - rng.below(300 * 86_400) as i64
        };
        let initial = random_state(&mut rng);
        let mut state = initial.clone();
        for day in 0..days {
            let start = first + i64::from(day) * 86_400;
            if !rng.chance(25) {
                continue;
            }
            let date = start + rng.below(86_400) as i64;
            if date <= created_at {
                continue;
            }
            let before = state.clone();
            let changes_made = mutate(&mut rng, &mut state);
            changes.push(Change {
                id: format!("{date}_{id}"),
                date,
                updated_at: date + rng.below(5) as i64,
                user_id: id,
                before,
                after: state.clone(),
                changes_made,
            });
        }
        all.push(FakeUser {
            id,
            name: format!("User {id}"),
            email: format!("user{id}@indico.example"),
            created_at,
            initial,
        });
    }
    changes.sort_by_key(|c| (c.date, c.user_id));
    Truth {
        first_day,
        days,
        users: all,
        changes,
    }
}

impl Truth {
    /// Every user that exists at the end of `day`, with their state then, by id.
    pub fn snapshot(&self, day: NaiveDate) -> Vec<(&FakeUser, UserState)> {
        let end = day_end(day);
        let mut latest: BTreeMap<i32, &UserState> = BTreeMap::new();
        for change in self.changes.iter().take_while(|c| c.date <= end) {
            latest.insert(change.user_id, &change.after);
        }
        self.users
            .iter()
            .filter(|u| u.created_at <= end)
            .map(|u| {
                let state = latest.get(&u.id).copied().unwrap_or(&u.initial);
                (u, state.clone())
            })
            .collect()
    }

    /// Changelog entries dated within `from` 00:00 .. `to` 23:59:59 UTC.
    pub fn changes_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<&Change> {
        let (start, end) = (day_start(from), day_end(to));
        self.changes
            .iter()
            .filter(|c| c.date >= start && c.date <= end)
            .collect()
    }

    pub fn user(&self, id: i32) -> Option<&FakeUser> {
        self.users.iter().find(|u| u.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_with_changes_and_late_users() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let a = generate(200, day, 7, 3);
        let b = generate(200, day, 7, 3);
        assert_eq!(a.changes.len(), b.changes.len());
        assert!(a.changes.len() > 100, "{}", a.changes.len());
        let first = a.snapshot(day).len();
        let last = a.snapshot(day + chrono::Days::new(6)).len();
        assert!(first < last && last == 200, "{first} {last}");
        let mut ids: Vec<&str> = a.changes.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.changes.len(), "ids are unique");
    }
}
