//! `check --connect`, `status`, `backfill` and pipeline-file errors of a `postgres`
//! source.

use super::{column_text, PgLake};

const SETUP: &str =
    "CREATE TABLE audit (id serial PRIMARY KEY, at timestamptz NOT NULL, who text); \
    INSERT INTO audit (at, who) VALUES \
    ('2026-01-10 09:00+00', 'ann'), ('2026-01-10 10:00+00', 'bob'), \
    ('2026-01-11 09:00+00', 'cy'), ('2026-01-12 09:00+00', 'di');";

const TABLE: &str =
    "[[sources.tables]]\nrelation = \"audit\"\nincremental_by = \"id\"\npartition_by = \"at\"\n";

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn check_connect_proves_relations_and_columns_and_names_what_is_wrong() {
    let lake = PgLake::new(SETUP, TABLE).await;
    let ok = lake.cmd("check", &["--connect"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("app/audit: ok (public.audit, 3 columns, new rows by id column `id`)"),
        "{}",
        text(&ok)
    );

    lake.write_pipeline(&format!(
        "{TABLE}columns = [\"id\", \"at\", \"whom\"]\n[[sources.tables]]\nrelation = \"nowhere\"\n\
         incremental_by = \"id\"\npartition_by = \"at\"\n"
    ));
    let bad = lake.cmd("check", &["--connect"]);
    assert!(!bad.status.success());
    let out = text(&bad);
    assert!(
        out.contains("has no column \"whom\" (`columns`) — did you mean `who`?"),
        "{out}"
    );
    assert!(
        out.contains("relation public.nowhere does not exist"),
        "{out}"
    );
}

#[tokio::test]
async fn status_shows_the_watermark_and_a_day_is_backfilled_without_moving_it() {
    let lake = PgLake::new(SETUP, TABLE).await;
    lake.run();
    let status = lake.cmd("status", &["--format", "json"]);
    assert!(status.status.success(), "{}", text(&status));
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let source = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "app")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(source["datasets"][0]["watermark"], 4, "{json}");
    assert_eq!(source["datasets"][0]["lake_rows"], 4, "{json}");

    // The dry run counts each day's rows in the table with the backfill's predicate.
    let plan = lake.cmd(
        "backfill",
        &[
            "--from",
            "2026-01-10",
            "--to",
            "2026-01-11",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert!(plan.status.success(), "{}", text(&plan));
    let plan_text = String::from_utf8_lossy(&plan.stdout).to_string();
    let days: serde_json::Value =
        serde_json::from_str(&plan_text).unwrap_or_else(|e| panic!("{e}: {plan_text}"));
    let rows: Vec<(String, u64)> = days
        .as_array()
        .unwrap_or_else(|| panic!("one entry per day: {plan_text}"))
        .iter()
        .map(|d| {
            let audit = d["datasets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["dataset"] == "audit")
                .unwrap();
            (
                d["date"].as_str().unwrap().to_string(),
                audit["source_rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [("2026-01-10".to_string(), 2), ("2026-01-11".to_string(), 1)]
    );

    // A lost day is re-read from the table; the state stays where it was.
    let state =
        || std::fs::read_to_string(lake.dir.path().join("lake/_usagelake/state/app.json")).unwrap();
    let before = state();
    std::fs::remove_dir_all(lake.dataset("audit").join("event_date=2026-01-10")).unwrap();
    let out = lake.cmd("backfill", &["--from", "2026-01-10", "--to", "2026-01-10"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut who = column_text(&lake.rows("audit"), "who");
    who.sort();
    assert_eq!(who, ["ann", "bob", "cy", "di"]);
    assert_eq!(state(), before, "a backfill never moves the watermark");
    // Backfilling a day the lake holds adds nothing.
    let again = lake.cmd("backfill", &["--from", "2026-01-11", "--to", "2026-01-12"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(column_text(&lake.rows("audit"), "who").len(), 4);
}

#[tokio::test]
async fn pipeline_file_mistakes_are_reported_together_with_lines() {
    let lake = PgLake::new("SELECT 1;", "[[sources.tables]]\nrelation = \"audit\"\nincremental_by = \"id\"\npartiton_by = \"at\"\nlookback_minutes = \"1h\"\n").await;
    let out = lake.cmd("check", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("pipeline.toml:18"), "{err}");
    assert!(err.contains("sources[0].tables[0].partition_by"), "{err}");
    assert!(err.contains("unknown key `partiton_by`"), "{err}");
    assert!(err.contains("partition_by"), "did you mean: {err}");
    assert!(
        err.contains("sources[0].tables[0].lookback_minutes"),
        "{err}"
    );
}
