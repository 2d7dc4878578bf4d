//! Soak: `usagelake run` (the real binary) against a portal that throws every fault it
//! knows at once, with 5-second tokens. Each run must finish in one go, with every
//! event exactly once, the users snapshot whole and the logins right; and the same for
//! three nightly runs with new and late events indexed between them.
//!
//! Backoff is 5 ms and `Retry-After` is not waited for (`max_retry_after_seconds = 0`),
//! so a run takes about a second; the retry counts are the production defaults.
//! `cargo test --test it arcgis_pipeline::soak -- --nocapture` prints what each run met.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use usagelake::sources::arcgis::fake_portal::{generate_events, FakePortalHandle, LoggedRequest};

use super::*;

const STORM_LINES: &str = "retry_backoff_ms = 5\nmax_retry_after_seconds = 0";

/// The storm of issue 11, per history request number (the first period that divides
/// it wins): 429 every 7th, a reset every 11th, every token revoked every 13th, the
/// `nextKey` just used handed back every 17th, truncated JSON every 19th; tokens live
/// 5 seconds. Users get a 503 per run (see [`users_unavailable_once`]).
fn storm(fake: &FakePortalHandle) {
    fake.set_token_lifetime(Duration::from_secs(5));
    fake.inject_every(
        Endpoint::History,
        7,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    fake.inject_every(Endpoint::History, 11, Fault::ResetMidBody);
    fake.inject_every(Endpoint::History, 13, Fault::ExpireTokens);
    fake.inject_every(Endpoint::History, 17, Fault::RepeatNextKey);
    fake.inject_every(Endpoint::History, 19, Fault::InvalidJson);
}

/// The next run's first users request gets a 503; its retry succeeds.
fn users_unavailable_once(fake: &FakePortalHandle) {
    let next = fake.request_count(Endpoint::Users) + 1;
    fake.inject(Endpoint::Users, next, Fault::Unavailable);
}

fn fault_name(fault: &Fault) -> &'static str {
    match fault {
        Fault::RateLimited { .. } => "429",
        Fault::Unavailable => "503",
        Fault::ResetMidBody => "reset",
        Fault::ExpireTokens => "revoked",
        Fault::RepeatNextKey => "nextKey repeated",
        Fault::InvalidJson => "invalid JSON",
        _ => "other",
    }
}

/// Faults served among `requests`, by kind.
fn faults_served(requests: &[LoggedRequest]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for request in requests {
        if let Some(fault) = &request.fault {
            *counts.entry(fault_name(fault)).or_default() += 1;
        }
    }
    counts
}

fn users_rows(lake: &PortalLake) -> usize {
    parquet_files(&lake.dataset("users"))
        .iter()
        .flat_map(|f| read_batches(f))
        .map(|b| b.num_rows())
        .sum()
}

/// Runs once under the storm (already set up), asserts the run succeeded and the lake
/// is exactly the portal's events, and prints what the run met.
fn storm_run(lake: &PortalLake, label: &str) {
    users_unavailable_once(&lake.fake);
    let logged = lake.fake.requests().len();
    let tokens = lake.fake.issued_tokens().len();
    let started = Instant::now();
    lake.run_ok();
    let seconds = started.elapsed().as_secs_f64();
    let requests = &lake.fake.requests()[logged..];
    let history = requests
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::History))
        .count();
    let served = faults_served(requests);
    println!(
        "soak {label}: ok in {seconds:.2} s; {} events in the portal; {history} history requests, \
         {} tokens minted, faults served {served:?}",
        lake.fake.events().len(),
        lake.fake.issued_tokens().len() - tokens,
    );
    lake.assert_history_exactly_once();
    assert_eq!(users_rows(lake), USERS, "{label}: one whole users snapshot");
    assert_eq!(served.get("503"), Some(&1), "{label}: users got its 503");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_one_run_under_every_fault_at_once() {
    let lake = portal_lake(STORM_LINES).await;
    storm(&lake.fake);
    storm_run(&lake, "single run");
    let served = faults_served(&lake.fake.requests());
    for kind in [
        "429",
        "reset",
        "revoked",
        "nextKey repeated",
        "invalid JSON",
    ] {
        assert!(
            served.get(kind).is_some_and(|&n| n > 0),
            "no {kind} served: {served:?}"
        );
    }
    let signed_in = lake
        .fake
        .truth()
        .users
        .iter()
        .filter(|u| u["lastLogin"] != -1)
        .count();
    assert_eq!(lake.login_rows().len(), signed_in);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_three_nightly_runs_with_new_and_late_events() {
    let lake = portal_lake(STORM_LINES).await;
    storm(&lake.fake);
    let members: Vec<String> = lake
        .fake
        .truth()
        .users
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    let mut logins_expected = 0;
    for night in 1..=3u64 {
        if night > 1 {
            let watermark = lake.watermark().expect("the previous run checkpointed");
            let now = Utc::now().timestamp_millis();
            // New: after everything the last run read. Late: indexed only now, but
            // `created` up to 50 minutes below the watermark, inside the 60-minute
            // overlap every run re-reads.
            let mut added = generate_events(lake.fake.truth(), 400, watermark, now, night);
            let late_from = watermark - 50 * 60_000;
            added.extend(generate_events(
                lake.fake.truth(),
                150,
                late_from,
                watermark,
                100 + night,
            ));
            lake.fake.add_events(added);
            // Two members sign in between the runs: one `logins` row each.
            for member in &members[night as usize * 2..night as usize * 2 + 2] {
                lake.fake.set_last_login(member, now - 1_000);
            }
            logins_expected += 2;
        }
        storm_run(&lake, &format!("night {night}"));
        if night == 1 {
            logins_expected = lake.login_rows().len();
        }
        assert_eq!(lake.login_rows().len(), logins_expected, "night {night}");
    }
}
