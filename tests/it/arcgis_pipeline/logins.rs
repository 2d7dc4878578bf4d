//! `logins` across runs, `check --connect`, and an Enterprise portal (no history).

use std::collections::BTreeMap;

use usagelake::sources::arcgis::api::login_key;

use super::*;
use crate::support::lake::{ids_by_partition, unique_ids};

/// Usernames whose lastLogin in the truth is a sign-in (not -1), and the ones never.
fn signed_in_and_never(lake: &PortalLake) -> (Vec<String>, Vec<String>) {
    let (mut signed_in, mut never) = (Vec::new(), Vec::new());
    for user in &lake.fake.truth().users {
        let name = user["username"].as_str().unwrap().to_string();
        if user["lastLogin"].as_i64() == Some(-1) {
            never.push(name);
        } else {
            signed_in.push(name);
        }
    }
    (signed_in, never)
}

fn rows_per_user(rows: &[(String, i64)]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for (name, _) in rows {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_get_one_row_per_lastlogin_change_however_often_it_runs() {
    let lake = portal_lake("datasets = [\"users\", \"logins\"]").await;
    let (signed_in, never) = signed_in_and_never(&lake);
    assert!(!never.is_empty() && signed_in.len() > 2);
    lake.run_ok();
    // The first run records each member's current lastLogin; -1 yields no row.
    let first = lake.login_rows();
    assert_eq!(first.len(), signed_in.len());
    assert!(rows_per_user(&first).values().all(|&n| n == 1));

    // Between runs: one member signs in again, one signs in for the first time.
    let (changed, first_timer) = (&signed_in[1], &never[0]);
    // 2026-11-11 15:00Z = 10:00 in New York: event_date=2026-11-11.
    let t = fake::FIRST_DAY_MS + 10 * fake::DAY_MS + 15 * 3_600_000;
    lake.fake.set_last_login(changed, t);
    lake.fake.set_last_login(first_timer, t + 60_000);
    // Several runs the same day add the change once.
    lake.run_ok();
    lake.run_ok();
    let second = lake.login_rows();
    assert_eq!(second.len(), first.len() + 2);
    let mut new: Vec<(String, i64)> = second
        .iter()
        .filter(|row| !first.contains(row))
        .cloned()
        .collect();
    new.sort();
    let mut want = vec![
        (changed.clone(), t * 1000),
        (first_timer.clone(), (t + 60_000) * 1000),
    ];
    want.sort();
    assert_eq!(
        new, want,
        "one new row per changed user, none for the others"
    );
    let by_day = ids_by_partition(&lake.dataset("logins"), "login_key");
    assert!(by_day["2026-11-11"].contains(&login_key(changed, t)));

    // Missed nights: whatever happened in between, the next run sees the latest value.
    let later = t + 3 * fake::DAY_MS;
    lake.fake.set_last_login(changed, later);
    lake.run_ok();
    let third = lake.login_rows();
    assert_eq!(third.len(), second.len() + 1);
    let counts = rows_per_user(&third);
    assert_eq!(counts[changed.as_str()], 3);
    assert_eq!(counts[first_timer.as_str()], 1);
    assert_eq!(
        counts.values().filter(|&&n| n == 1).count(),
        signed_in.len()
    );
    unique_ids(&lake.dataset("logins"), "login_key");

    // users: one snapshot per day, replaced by same-day runs.
    let snapshots = std::fs::read_dir(lake.dataset("users")).unwrap().count();
    assert_eq!(snapshots, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connect_reads_a_token_and_one_page_of_each() {
    let lake = portal_lake("").await;
    let pipeline = lake.pipeline();
    let out = usagelake(
        &["check", pipeline.to_str().unwrap(), "--connect"],
        &[],
        &[],
    );
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in ["agol/token: ok", "agol/history: ok", "agol/users: ok"] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
    let pages: Vec<(Endpoint, String)> = lake
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.endpoint != Some(Endpoint::Token))
        .map(|r| (r.endpoint.unwrap(), r.params["num"].clone()))
        .collect();
    assert_eq!(
        pages,
        [
            (Endpoint::History, "1".into()),
            (Endpoint::Users, "1".into())
        ]
    );

    std::fs::write(lake.dir.path().join("admin.pw"), "not-the-password\n").unwrap();
    let out = usagelake(
        &["check", pipeline.to_str().unwrap(), "--connect"],
        &[],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("agol/token: PROBLEM"), "{stdout}");
    assert!(!stdout.contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_archives_users_and_logins_and_skips_history() {
    let lake = portal_lake("platform = \"enterprise\"").await;
    let out = usagelake(&["run", lake.pipeline().to_str().unwrap()], &[], &[]);
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("agol/history") && stdout.contains("no org history endpoint"),
        "{stdout}"
    );
    assert_eq!(lake.fake.request_count(Endpoint::History), 0);
    assert!(!lake.dataset("history").exists());
    let (signed_in, _) = signed_in_and_never(&lake);
    assert_eq!(lake.login_rows().len(), signed_in.len());
}
