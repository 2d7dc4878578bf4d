//! Backfills (only their days, no duplicates, resumable, dry-run) and shard plans.

use std::os::unix::process::ExitStatusExt;
use std::process::Output;

use usagelake::load::lock::{LockScope, RunLock};
use usagelake::load::LakeLayout;

use crate::ops::{
    all_bytes, command, demo_db, fixture, hold_back, is_in_range, local_day, partition_files,
    source_counts,
};
use crate::support::cli::{assert_success, usagelake, LakeFixture};
use crate::support::lake::{counts_by_partition, ids_by_partition, unique_ids};
use crate::support::TestDb;

/// A lake built while every 7th request was held back, with those requests back in the
/// source since: the rows a backfill has to add.
async fn lake_missing_held_rows(requests: i32) -> (TestDb, LakeFixture) {
    let db = demo_db(requests).await;
    let lake = fixture(&db);
    hold_back(&db).await;
    lake.run_ok(&[]);
    db.exec("INSERT INTO http_requests SELECT * FROM held")
        .await;
    (db, lake)
}

#[tokio::test]
async fn backfill_of_three_middle_days_touches_only_them_and_adds_no_duplicates() {
    let (db, lake) = lake_missing_held_rows(8_000).await;
    let dir = lake.dataset_dir("http_requests");
    let state_path = lake.root().join("_usagelake/state/tab.json");
    let state_before = std::fs::read(&state_path).unwrap();
    let outside = partition_files(&dir, |p| !is_in_range(p));
    let before = counts_by_partition(&dir, "id");

    let out = command(
        &lake,
        &[
            "backfill",
            "--from",
            "2026-11-03",
            "--to",
            "2026-11-05",
            "--jobs",
            "2",
            "--quiet",
        ],
    );
    assert_success(&out);

    assert_eq!(
        partition_files(&dir, |p| !is_in_range(p)),
        outside,
        "byte-identical outside the range"
    );
    let source = source_counts(&db).await;
    let after = counts_by_partition(&dir, "id");
    for (day, count) in &after {
        let partition = format!("event_date={day}");
        let expected = if is_in_range(&partition) {
            source[day]
        } else {
            before[day]
        };
        assert_eq!(*count, expected, "{day}");
    }
    assert!(
        after["2026-11-02"] < source["2026-11-02"],
        "held rows outside the range stay out"
    );
    unique_ids(&dir, "id"); // panics on a duplicate
    assert_eq!(
        std::fs::read(&state_path).unwrap(),
        state_before,
        "watermark never moves"
    );

    // Again: nothing new, nothing rewritten anywhere.
    let everything = partition_files(&dir, |_| true);
    assert_success(&command(
        &lake,
        &[
            "backfill",
            "--from",
            "2026-11-03",
            "--to",
            "2026-11-05",
            "--quiet",
        ],
    ));
    assert_eq!(partition_files(&dir, |_| true), everything);
}

/// The `rows read` column of a summary line for http_requests.
fn rows_read(out: &Output) -> u64 {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("tab/http_requests"))
        .unwrap_or_else(|| panic!("no summary line in:\n{text}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_killed_backfill_resumes_where_it_stopped() {
    let (db, lake) = lake_missing_held_rows(6_000).await;
    let args = [
        "backfill",
        lake.pipeline.to_str().unwrap(),
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-05",
    ];
    let out = usagelake(
        &args,
        &[],
        &[("USAGELAKE_FAILPOINT", "backfill_day_done:2")],
    );
    assert_eq!(
        out.status.signal(),
        Some(nix::libc::SIGABRT),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checkpoints: Vec<_> = std::fs::read_dir(lake.root().join("_usagelake/backfill"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(checkpoints.len(), 1);

    let out = usagelake(&args, &[], &[]);
    assert_success(&out);
    let source = source_counts(&db).await;
    assert_eq!(
        rows_read(&out),
        source["2026-11-05"] as u64,
        "only the unfinished day is read again"
    );
    let dir = lake.dataset_dir("http_requests");
    let after = counts_by_partition(&dir, "id");
    for day in ["2026-11-03", "2026-11-04", "2026-11-05"] {
        assert_eq!(after[day], source[day], "{day}");
    }
    unique_ids(&dir, "id");
    assert!(
        std::fs::read_dir(lake.root().join("_usagelake/backfill"))
            .unwrap()
            .next()
            .is_none(),
        "checkpoint removed when done"
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_and_names_days_the_source_lost() {
    let db = demo_db(4_000).await;
    let lake = fixture(&db);
    lake.run_ok(&[]);
    db.exec(&format!(
        "DELETE FROM http_requests WHERE {} < '2026-11-03'",
        local_day()
    ))
    .await;
    let before = all_bytes(&lake.root());
    let out = command(
        &lake,
        &[
            "backfill",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-04",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_success(&out);
    assert_eq!(all_bytes(&lake.root()), before, "--dry-run wrote something");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let days = plan.as_array().unwrap();
    assert_eq!(days.len(), 4);
    let lake_counts = counts_by_partition(&lake.dataset_dir("http_requests"), "id");
    let source = source_counts(&db).await;
    for day in days {
        let date = day["date"].as_str().unwrap();
        let d = &day["datasets"][0];
        assert_eq!(
            d["lake_rows"].as_i64().unwrap(),
            lake_counts[date],
            "{date}"
        );
        let lost = date < "2026-11-03";
        // The day of the oldest remaining row: the source cannot tell what it lost of it.
        let can_provide = match date {
            d if d < "2026-11-03" => "none",
            "2026-11-03" => "part",
            _ => "all",
        };
        assert_eq!(d["source_can_provide"], can_provide, "{date}");
        let expected = if lost { 0 } else { source[date] };
        assert_eq!(d["source_rows"].as_i64().unwrap(), expected, "{date}");
    }
}

#[tokio::test]
async fn plan_shards_are_contiguous_non_overlapping_and_cover_the_range() {
    let db = demo_db(6_000).await;
    let lake = fixture(&db);
    let out = command(
        &lake,
        &[
            "plan",
            "--from",
            "2026-10-31",
            "--to",
            "2026-11-07",
            "--shards",
            "3",
            "--format",
            "json",
        ],
    );
    assert_success(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shards = plan["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    let date = |v: &serde_json::Value| v.as_str().unwrap().parse::<chrono::NaiveDate>().unwrap();
    assert_eq!(date(&shards[0]["from"]), "2026-10-31".parse().unwrap());
    assert_eq!(date(&shards[2]["to"]), "2026-11-07".parse().unwrap());
    for pair in shards.windows(2) {
        assert_eq!(
            date(&pair[0]["to"]).succ_opt().unwrap(),
            date(&pair[1]["from"])
        );
    }
    let total: i64 = shards
        .iter()
        .map(|s| s["estimated_rows"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 6_000);
    for s in shards {
        let cmd = s["command"].as_str().unwrap();
        assert!(
            cmd.starts_with("usagelake backfill ")
                && cmd.contains(&format!("--from {}", s["from"].as_str().unwrap())),
            "{cmd}"
        );
    }
    // Shards on one lake run side by side: their day locks do not overlap.
    let layout = LakeLayout::new(lake.root());
    let scope = |s: &serde_json::Value| LockScope::Days {
        from: date(&s["from"]),
        to: date(&s["to"]),
    };
    let _held: Vec<_> = shards
        .iter()
        .map(|s| RunLock::acquire(&layout, scope(s), "backfill", &lake.pipeline).unwrap())
        .collect();
    let ids = ids_by_partition(&lake.dataset_dir("http_requests"), "id");
    assert!(ids.is_empty(), "plan writes nothing");
}
