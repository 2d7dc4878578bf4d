//! `usagelake report …` on a generated lake, each answer checked against DuckDB SQL over
//! the same files (tests/it/support/report_expect.py), in all three output formats.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::cli::{assert_success, usagelake};
use crate::support::report_lake::{self, ReportLake};

fn has_duckdb() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    // CI installs it (.ci/run); only a developer machine may lack it.
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "python3 duckdb missing in CI"
    );
    if !ok {
        eprintln!("skipping: pip install duckdb");
    }
    ok
}

/// DuckDB's answer: section → rows.
fn expected(lake: &ReportLake, report: &str, args: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/report_expect.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(lake.root())
        .arg(report_lake::TZ)
        .arg(report)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "report_expect.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn report(lake: &ReportLake, report: &str, args: &[&str], format: &str) -> Output {
    usagelake(
        &[
            "report",
            report,
            lake.pipeline.to_str().unwrap(),
            "--format",
            format,
        ],
        args,
        &[],
    )
}

pub(crate) fn stdout(out: &Output) -> String {
    assert_success(out);
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// JSON null → "", numbers and strings as text: what CSV and the table show.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Minimal RFC 4180 reader (quoted fields, doubled quotes) for the CLI's CSV.
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                (c, _) => field.push(c),
            }
        }
        fields.push(field);
        rows.push(fields);
    }
    rows
}

/// The report in JSON, CSV (per section) and table format all equal DuckDB's answer.
fn check_report(lake: &ReportLake, name: &str, args: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let want = expected(lake, name, args);
    let json: Value = serde_json::from_str(&stdout(&report(lake, name, args, "json"))).unwrap();
    let sections = json["sections"].as_object().unwrap();
    assert_eq!(
        sections.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{name}: sections"
    );
    let table = stdout(&report(lake, name, args, "table"));
    let table_lines: Vec<String> = table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for (section, rows) in &want {
        let got = sections[section].as_array().unwrap();
        for (i, (g, w)) in got.iter().zip(rows).enumerate() {
            assert_eq!(g, w, "{name} {args:?}: section {section}, row {i}");
        }
        assert_eq!(got.len(), rows.len(), "{name} {args:?}: rows of {section}");

        let mut csv_args = args.to_vec();
        csv_args.extend(["--section", section]);
        let csv = parse_csv(&stdout(&report(lake, name, &csv_args, "csv")));
        let header = &csv[0];
        assert_eq!(csv.len() - 1, rows.len(), "{name}: CSV rows of {section}");
        for (line, want_row) in csv[1..].iter().zip(rows) {
            let want_fields: Vec<String> = header.iter().map(|c| shown(&want_row[c])).collect();
            assert_eq!(line, &want_fields, "{name}: CSV of {section}");
            let want_line = want_fields
                .iter()
                .filter(|f| !f.is_empty())
                .flat_map(|f| f.split_whitespace())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                table_lines.contains(&want_line),
                "{name}: table lacks `{want_line}`:\n{table}"
            );
        }
    }
    want
}

const FROM: &str = "2026-10-21";
const TO: &str = "2026-11-06";

#[test]
fn adoption_per_day_week_and_month_matches_duckdb() {
    if !has_duckdb() {
        return;
    }
    let lake = report_lake::generate();
    for by in ["day", "week", "month"] {
        let want = check_report(&lake, "adoption", &["--from", FROM, "--to", TO, "--by", by]);
        assert!(
            want["adoption"].len() > 3,
            "{by}: too little data to mean anything"
        );
    }
}

#[test]
fn inactive_users_match_duckdb() {
    if !has_duckdb() {
        return;
    }
    let lake = report_lake::generate();
    let want = check_report(
        &lake,
        "inactive-users",
        &["--days", "3", "--as-of", "2026-11-08"],
    );
    let rows = &want["inactive_users"];
    // Never-seen accounts first: person 10 and 11 on Tableau, gis_6 on ArcGIS.
    assert!(rows[0]["days_inactive"].is_null(), "{rows:?}");
    assert!(rows
        .iter()
        .any(|r| r["user"] == "gis_6" && r["last_active"].is_null()));
    // A date before the lake's activity: everyone idle or never seen, nobody fails.
    let early = check_report(
        &lake,
        "inactive-users",
        &["--days", "0", "--as-of", "2026-10-01"],
    );
    let early = &early["inactive_users"];
    assert!(
        early.iter().any(|r| r["user"] == "user 1014"),
        "a user without system_users row"
    );
    assert!(
        early
            .iter()
            .any(|r| r["user"] == "user01" && !r["last_active"].is_null()),
        "login_at only"
    );
    let only = check_report(
        &lake,
        "inactive-users",
        &["--days", "3", "--as-of", "2026-11-08", "--source", "arcgis"],
    );
    assert!(only["inactive_users"]
        .iter()
        .all(|r| r["platform"] == "arcgis"));
}

#[test]
fn logins_match_duckdb_for_everyone_and_one_user() {
    if !has_duckdb() {
        return;
    }
    let lake = report_lake::generate();
    let all = check_report(&lake, "logins", &["--from", FROM, "--to", TO]);
    assert!(all["logins"].iter().any(|r| r["platform"] == "arcgis"));
    assert!(all["logins"].iter().any(|r| r["platform"] == "tableau"));
    let one = check_report(
        &lake,
        "logins",
        &["--from", FROM, "--to", TO, "--user", "GIS_2"],
    );
    assert!(!one["logins"].is_empty());
    check_report(
        &lake,
        "logins",
        &["--from", FROM, "--to", TO, "--user", "user03"],
    );
    // Known but not active in the range: an empty log, not an error.
    let idle = check_report(
        &lake,
        "logins",
        &["--from", FROM, "--to", TO, "--user", "user10"],
    );
    assert!(idle["logins"].is_empty());
}

#[test]
fn content_matches_duckdb_with_and_without_a_site() {
    if !has_duckdb() {
        return;
    }
    let lake = report_lake::generate();
    let all = check_report(&lake, "content", &["--from", FROM, "--to", TO]);
    let stale = &all["stale"];
    let is = |r: &Value, wb: &str, view: &str| r["workbook"] == wb && r["view"] == view;
    assert!(
        stale.iter().any(|r| is(r, "Workbook 6", "Sheet 2")),
        "never-viewed view 562: {stale:?}"
    );
    assert!(
        !stale.iter().any(|r| is(r, "Workbook 7", "Sheet 2")),
        "deleted view 572"
    );
    assert!(
        !stale.iter().any(|r| is(r, "Workbook 7", "Sheet 1")),
        "view 571 created later"
    );
    let finance = check_report(
        &lake,
        "content",
        &["--from", FROM, "--to", TO, "--site", "finance"],
    );
    assert!(finance["views"].iter().all(|r| r["site"] == "Finance"));
    // A short range leaves more content stale.
    check_report(
        &lake,
        "content",
        &["--from", "2026-11-02", "--to", "2026-11-03"],
    );
}

#[test]
fn maintenance_window_matches_duckdb_across_the_dst_change() {
    if !has_duckdb() {
        return;
    }
    let lake = report_lake::generate();
    let want = check_report(
        &lake,
        "maintenance-window",
        &[
            "--from",
            "2026-10-19",
            "--to",
            "2026-11-08",
            "--hours",
            "3",
            "--windows",
            "3",
        ],
    );
    assert_eq!(want["hour_of_week"].len(), 2 * 168);
    assert_eq!(want["quiet_windows"].len(), 6);
    assert!(!want["active_in_window"].is_empty() || want["quiet_windows"][0]["active_users"] == 0);
    // Saturday 22:00 (slot 142) for 4 hours: who the night owl is.
    let at = check_report(
        &lake,
        "maintenance-window",
        &[
            "--from",
            "2026-10-19",
            "--to",
            "2026-11-08",
            "--hours",
            "4",
            "--at",
            "Tue 09:00",
        ],
    );
    assert!(!at["active_in_window"].is_empty());
}

#[test]
fn errors_say_what_is_wrong_and_exit_2() {
    let lake = report_lake::generate();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "adoption",
            &["--from", "2026-11-05", "--to", "2026-11-01"],
            "--from 2026-11-05 is after --to 2026-11-01",
        ),
        (
            "adoption",
            &["--from", "2025-01-01", "--to", "2025-01-31"],
            "it holds tab/logins 2026-10-19 … 2026-11-08",
        ),
        (
            "logins",
            &["--from", FROM, "--to", TO, "--user", "user3"],
            "unknown user `user3`",
        ),
        (
            "content",
            &["--from", FROM, "--to", TO, "--site", "Sales"],
            "unknown site `Sales`; the lake knows Default, Finance",
        ),
        (
            "maintenance-window",
            &["--from", FROM, "--to", TO, "--at", "Caturday 9"],
            "is not a weekday and hour",
        ),
        (
            "inactive-users",
            &["--days", "3", "--source", "nope"],
            "sources: tab, agol",
        ),
        (
            "content",
            &["--from", FROM, "--to", TO, "--section", "nope"],
            "has no section `nope`; it has views, workbooks, stale",
        ),
    ];
    for (name, args, message) in cases {
        let out = report(&lake, name, args, "table");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {stderr}");
        assert!(stderr.contains(message), "{name} {args:?}: {stderr}");
    }
    let suggestion = report(
        &lake,
        "logins",
        &["--from", FROM, "--to", TO, "--user", "user3"],
        "table",
    );
    assert!(String::from_utf8_lossy(&suggestion.stderr).contains("did you mean"));
    // A dataset the lake does not have.
    std::fs::remove_dir_all(lake.root().join("tab/usage_daily")).unwrap();
    let out = report(&lake, "content", &["--from", FROM, "--to", TO], "table");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the lake has no `tab/usage_daily`") && stderr.contains("enrich"),
        "{stderr}"
    );
}
