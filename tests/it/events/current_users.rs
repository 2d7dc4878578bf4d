//! Property: `report current-users --at T` equals a brute-force replay of the raw events
//! up to T, on a generated set with ties, double logins, orphans and timeouts.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

const MINUTE: i64 = 60_000_000;
const MAX_HOURS: i64 = 6;
/// 2026-01-10T00:00:00Z.
const START: i64 = 1_768_003_200_000_000;

struct Generated {
    /// (machine, user, instant, is_login)
    events: Vec<(String, String, i64, bool)>,
}

/// A deterministic xorshift: the test needs reproducible data, not good randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Mostly login … logout pairs per user, with minute-resolution times (so ties happen),
/// some logouts lost (timeouts), some logins lost (orphans), some double logins.
fn generate(count: usize, seed: u64) -> Generated {
    let mut rng = Rng(seed);
    let machines = (count / 400).clamp(5, 2000) as u64;
    let users = (count / 100).clamp(20, 20_000) as u64;
    let minutes = (count as i64 / 4).max(3 * 24 * 60);
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let machine = format!("ws{}", rng.below(machines));
        let user = format!("u{}", rng.below(users));
        let login = START + rng.below(minutes as u64) as i64 * MINUTE;
        let length = rng.below(9 * 60) as i64 * MINUTE;
        let roll = rng.below(10);
        if roll != 0 {
            events.push((machine.clone(), user.clone(), login, true));
        }
        if roll != 1 {
            events.push((machine, user, login + length, false));
        }
    }
    events.truncate(count);
    // The lake keeps one event per (machine, user, type, instant): so does the replay.
    events.sort();
    events.dedup();
    Generated { events }
}

/// The rules replayed from scratch for one instant, per (machine, user).
fn brute_force(
    events: &[(String, String, i64, bool)],
    at: i64,
) -> BTreeMap<String, BTreeSet<String>> {
    let max = MAX_HOURS * 60 * MINUTE;
    // (machine, user) → instant → (logins, logouts) at that instant.
    type Instants = BTreeMap<i64, (u32, u32)>;
    let mut groups: BTreeMap<(&str, &str), Instants> = BTreeMap::new();
    for (machine, user, t, is_login) in events {
        if *t > at {
            continue;
        }
        let counts = groups
            .entry((machine, user))
            .or_default()
            .entry(*t)
            .or_default();
        if *is_login {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }
    let mut result: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((machine, user), instants) in groups {
        let mut open: Vec<i64> = Vec::new();
        for (t, (mut logins, logouts)) in instants {
            open.retain(|login| login + max >= t);
            let closed = (logouts as usize).min(open.len());
            open.drain(..closed);
            let paired = (logouts - closed as u32).min(logins);
            logins -= paired;
            open.extend(std::iter::repeat_n(t, logins as usize));
        }
        if open.iter().any(|login| login + max > at) {
            result
                .entry(machine.to_string())
                .or_default()
                .insert(user.to_string());
        }
    }
    result
}

fn check(count: usize, seed: u64, queries: usize) {
    let data = generate(count, seed);
    let lake = EventsLake::csv(&format!("max_session_hours = {MAX_HOURS}"));
    let mut text = String::with_capacity(count * 48);
    text.push_str(HEADER);
    for (machine, user, t, is_login) in &data.events {
        let time = chrono::DateTime::from_timestamp_micros(*t).unwrap();
        let kind = if *is_login { "logon" } else { "logoff" };
        text.push_str(&format!(
            "{},{kind},{machine},{user}\n",
            time.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    lake.append("events.csv", &text);
    lake.run();
    let mut rng = Rng(seed ^ 0x9e37_79b9);
    let mut checked = 0;
    for q in 0..queries {
        // Half on event instants exactly (the boundaries), half anywhere.
        let at = if q % 2 == 0 {
            data.events[rng.below(data.events.len() as u64) as usize].2
        } else {
            START + rng.below(4 * 24 * 60 * 60) as i64 * 1_000_000
        };
        let iso = chrono::DateTime::from_timestamp_micros(at)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let json = lake.report(&["current-users", "--at", &iso, "--format", "json"]);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let got: BTreeMap<String, BTreeSet<String>> = value["machines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let users = m["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u.as_str().unwrap().to_string())
                    .collect();
                (m["machine"].as_str().unwrap().to_string(), users)
            })
            .collect();
        let expected = brute_force(&data.events, at);
        assert_eq!(got, expected, "current users at {iso}");
        checked += usize::from(!expected.is_empty());
    }
    assert!(
        checked > queries / 2,
        "most instants have someone logged in: {checked}"
    );
}

#[test]
fn current_users_matches_brute_force_on_20k_generated_events() {
    check(20_000, 0x5eed_1234, 24);
}

#[test]
#[ignore = "1M events: about a minute in a debug build"]
fn current_users_matches_brute_force_on_1m_generated_events() {
    check(1_000_000, 0xfeed_beef, 24);
}
