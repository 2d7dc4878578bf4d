//! `status`, `backfill` and `plan` on an `arcgis` source: the real binary against the
//! fake portal on 127.0.0.1 (multi-threaded runtime: the fake answers while the test
//! blocks on the child process).

use std::os::unix::process::ExitStatusExt;

use usagelake::sources::arcgis::fake_portal::{self as fake, Endpoint, FakePortal};

use crate::ops::{all_bytes, partition_files};
use crate::support::cli::{assert_success, usagelake};
use crate::support::lake::{counts_by_partition, total_rows};
use crate::support::portal_lake::PortalLake;

const EVENTS: usize = 2_000;
/// 2026-11-03 00:00 in New York (EST since 11-01): 05:00Z.
const NOV_3_LOCAL_MS: i64 = fake::FIRST_DAY_MS + 2 * fake::DAY_MS + 5 * 3_600_000;

async fn portal_lake(history_start: &str) -> PortalLake {
    let lines = format!("history_start = \"{history_start}\"");
    PortalLake::start(FakePortal::generate(EVENTS, 40, 11), &lines).await
}

impl PortalLake {
    fn status_json(&self) -> (Option<i32>, serde_json::Value) {
        let out = self.cmd("status", &["--format", "json"], &[]);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code(), json)
    }

    /// `fromDate` of every history request logged after the first `skip`.
    fn history_from_dates(&self, skip: usize) -> Vec<i64> {
        self.fake.requests()[skip..]
            .iter()
            .filter(|r| r.endpoint == Some(Endpoint::History))
            .map(|r| r.params["fromDate"].parse().unwrap())
            .collect()
    }
}

fn in_range(partition: &str) -> bool {
    ["event_date=2026-11-03", "event_date=2026-11-04"].contains(&partition)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_an_arcgis_lake_after_a_run() {
    let lake = portal_lake("2026-10-31").await;
    assert_success(&lake.cmd("run", &["--quiet"], &[]));
    let (code, status) = lake.status_json();
    assert_eq!(code, Some(0), "{status:#}");
    let source = &status["sources"][0];
    assert_eq!(source["name"], "agol");
    assert!(source["unreachable"].is_null());
    let dataset = |name: &str| {
        source["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {source:#}"))
            .clone()
    };
    let history = dataset("history");
    assert_eq!(history["kind"], "event");
    assert_eq!(history["lake_rows"].as_u64(), Some(EVENTS as u64));
    assert_eq!(history["first_partition"], "event_date=2026-10-31");
    assert_eq!(history["last_partition"], "event_date=2026-11-07");
    assert_eq!(history["lake_partitions"].as_u64(), Some(8));
    assert!(history["newest_event"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-07"));
    let watermark_ms = history["watermark"].as_i64().unwrap();
    assert!(watermark_ms > fake::FIRST_DAY_MS + fake::DAYS * fake::DAY_MS);
    assert!(history["watermark_time"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert!(history["lag_hours"].as_f64().unwrap() > 0.0);
    assert!(history["lost_span"].is_null() && history["empty_days"] == serde_json::json!([]));
    assert!(history["last_success"].is_string());
    let logins = dataset("logins");
    assert!(logins["watermark_time"].is_string(), "{logins:#}");
    assert_eq!(dataset("users")["kind"], "snapshot");
    // The sign-ins derived from history, as the lake holds them (no empty-day gaps).
    let sign_ins = lake
        .fake
        .truth()
        .events
        .iter()
        .filter(|e| matches!(e["action"].as_str(), Some("login" | "failedlogin")))
        .filter(|e| e["actor"].as_str().is_some_and(|a| !a.is_empty()))
        .count() as u64;
    assert!(sign_ins > 0, "the generated history has sign-ins");
    for (name, rows) in [
        ("auth_events", sign_ins),
        ("sessions", total_rows(&lake.dataset("sessions")) as u64),
    ] {
        let d = dataset(name);
        assert_eq!(d["kind"], "event", "{d:#}");
        assert_eq!(d["lake_rows"].as_u64(), Some(rows), "{d:#}");
        let parts = std::fs::read_dir(lake.dataset(name)).unwrap().count() as u64;
        assert_eq!(d["lake_partitions"].as_u64(), Some(parts), "{d:#}");
        assert_eq!(d["empty_days"], serde_json::json!([]), "{d:#}");
    }
    assert_eq!(status["last_run"]["last"]["status"], "ok");
    assert_eq!(status["last_run"]["last"]["command"], "run");

    // Retention passes our watermark (as if the last run was before 11-03 and the
    // portal then purged everything before 11-05): a lost span, exit 3.
    let state_path = lake.root().join("_usagelake/state/agol.json");
    let mut state: serde_json::Value = serde_json::from_slice(&lake.state_bytes()).unwrap();
    state["datasets"]["history"]["watermark_key"] = NOV_3_LOCAL_MS.into();
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    let purged_until = fake::FIRST_DAY_MS + 4 * fake::DAY_MS;
    lake.fake.set_history_retained_from(purged_until);
    let (code, status) = lake.status_json();
    assert_eq!(code, Some(3), "{status:#}");
    let span = &status["sources"][0]["datasets"][0]["lost_span"];
    assert_eq!(span["from_us"].as_i64(), Some(NOV_3_LOCAL_MS * 1000));
    let oldest = lake
        .fake
        .truth()
        .events
        .iter()
        .map(|e| e["created"].as_i64().unwrap())
        .filter(|c| *c >= purged_until)
        .min()
        .unwrap();
    assert_eq!(span["to_us"].as_i64(), Some(oldest * 1000));
    let out = lake.cmd("status", &[], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("GAP agol/history: events from"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_notes_older_events_and_fails_with_lake_facts_when_unreachable() {
    let lake = portal_lake("2026-11-04").await;
    assert_success(&lake.cmd("run", &["--quiet"], &[]));
    let (code, status) = lake.status_json();
    assert_eq!(code, Some(0), "not archived yet is not a gap: {status:#}");
    let notes = status["sources"][0]["datasets"][0]["notes"].to_string();
    assert!(
        notes.contains("--from 2026-10-31 --to 2026-11-03"),
        "{notes}"
    );

    // The same lake through a pipeline file whose portal is gone.
    let text = std::fs::read_to_string(lake.dir.path().join("pipeline.toml")).unwrap();
    let url = text.lines().find(|l| l.starts_with("portal_url")).unwrap();
    let broken = lake.dir.path().join("broken.toml");
    let text = text.replace(url, "portal_url = \"http://127.0.0.1:1\"\nmax_retries = 0");
    std::fs::write(&broken, text).unwrap();
    let out = usagelake(
        &["status", broken.to_str().unwrap(), "--format", "json"],
        &[],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status["sources"][0]["unreachable"].is_string());
    assert!(status["sources"][0]["datasets"][0]["lake_rows"].as_u64() > Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_of_two_middle_days_touches_only_them_and_brings_a_lost_day_back() {
    let lake = portal_lake("2026-10-31").await;
    assert_success(&lake.cmd("run", &["--quiet"], &[]));
    let dir = lake.dataset("history");
    let truth_counts = counts_by_partition(&dir, "event_key");
    std::fs::remove_dir_all(dir.join("event_date=2026-11-03")).unwrap();
    let outside = partition_files(&dir, |p| !in_range(p));
    let state_before = lake.state_bytes();
    let logged = lake.fake.requests().len();

    let out = lake.cmd(
        "backfill",
        &["--from", "2026-11-03", "--to", "2026-11-04", "--jobs", "2"],
        &[],
    );
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("agol/users") && text.contains("not backfillable"),
        "{text}"
    );
    assert_eq!(
        partition_files(&dir, |p| !in_range(p)),
        outside,
        "byte-identical outside the range"
    );
    assert_eq!(counts_by_partition(&dir, "event_key"), truth_counts);
    lake.assert_history_exactly_once();
    assert_eq!(
        lake.state_bytes(),
        state_before,
        "the watermark never moves"
    );
    // Only the two local days were asked for.
    let from_dates = lake.history_from_dates(logged);
    assert_eq!(from_dates.iter().min(), Some(&NOV_3_LOCAL_MS));
    assert!(from_dates
        .iter()
        .all(|f| *f < NOV_3_LOCAL_MS + 2 * fake::DAY_MS));

    // Again: nothing new, nothing rewritten.
    let everything = partition_files(&dir, |_| true);
    assert_success(&lake.cmd(
        "backfill",
        &["--from", "2026-11-03", "--to", "2026-11-04", "--quiet"],
        &[],
    ));
    assert_eq!(partition_files(&dir, |_| true), everything);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_arcgis_backfill_resumes_with_the_next_day() {
    let lake = portal_lake("2026-10-31").await;
    assert_success(&lake.cmd("run", &["--quiet"], &[]));
    let dir = lake.dataset("history");
    for day in ["2026-11-03", "2026-11-04", "2026-11-05"] {
        std::fs::remove_dir_all(dir.join(format!("event_date={day}"))).unwrap();
    }
    let args = ["--from", "2026-11-03", "--to", "2026-11-05", "--quiet"];
    let out = lake.cmd(
        "backfill",
        &args,
        &[("USAGELAKE_FAILPOINT", "backfill_day_done:1")],
    );
    assert_eq!(
        out.status.signal(),
        Some(nix::libc::SIGABRT),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("event_date=2026-11-03").exists());
    let logged = lake.fake.requests().len();
    assert_success(&lake.cmd("backfill", &args, &[]));
    let resumed_from = lake.history_from_dates(logged).into_iter().min();
    assert_eq!(
        resumed_from,
        Some(NOV_3_LOCAL_MS + fake::DAY_MS),
        "resumes with 2026-11-04"
    );
    lake.assert_history_exactly_once();
    let checkpoints = lake.root().join("_usagelake/backfill");
    assert!(std::fs::read_dir(checkpoints).unwrap().next().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_plan_write_nothing_and_say_what_they_cannot_know() {
    let lake = portal_lake("2026-10-31").await;
    assert_success(&lake.cmd("run", &["--quiet"], &[]));
    let lake_counts = counts_by_partition(&lake.dataset("history"), "event_key");
    let before = all_bytes(&lake.root());
    let range = ["--from", "2026-11-02", "--to", "2026-11-05"];
    let out = lake.cmd("backfill", &[&range[..], &["--dry-run"]].concat(), &[]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unknown"), "{text}");
    assert!(text.contains("Not backfillable"), "{text}");
    let out = lake.cmd(
        "backfill",
        &[&range[..], &["--dry-run", "--format", "json"]].concat(),
        &[],
    );
    assert_success(&out);
    assert_eq!(all_bytes(&lake.root()), before, "--dry-run wrote something");
    let days: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for day in days.as_array().unwrap() {
        let date = day["date"].as_str().unwrap();
        let history = &day["datasets"][0];
        assert_eq!(history["dataset"], "history");
        assert!(
            history["source_rows"].is_null(),
            "one page cannot count a day"
        );
        assert_eq!(history["lake_rows"].as_i64(), Some(lake_counts[date]));
        assert_eq!(history["source_can_provide"], "all");
        assert_eq!(day["datasets"][1]["source_can_provide"], "not_backfillable");
    }

    let out = lake.cmd(
        "plan",
        &[&range[..], &["--shards", "2", "--format", "json"]].concat(),
        &[],
    );
    assert_success(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected: i64 = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
        .iter()
        .map(|d| lake_counts[*d])
        .sum();
    assert_eq!(
        plan["estimated_rows"].as_i64(),
        Some(expected),
        "from the lake"
    );
    assert_eq!(plan["shards"].as_array().unwrap().len(), 2);
    assert_eq!(all_bytes(&lake.root()), before, "plan wrote something");
}
