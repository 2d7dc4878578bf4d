//! The report lake (`report_lake`) plus the people sections' data: an Indico source
//! (`ind`) whose daily summaries are written with the archive's real schemas, and an
//! events source (`logons`) whose login file the real binary turns into sessions.
//!
//! Sessions: three weeks of working days on a few machines, and on the last day some
//! sessions still open at its end (23:59:59 Europe/Zurich), so "current users" at the
//! page's as-of instant has someone to show.

use chrono::{Duration, NaiveDate};

use super::cli::{assert_success, usagelake};
use super::report_lake::{self, first_day, write, ReportLake, Row, DAYS, V};
use usagelake::sources::indico::datasets::{user_summary_roles_schema, user_summary_schema};

pub const ROLES: &[&str] = &["TEAM_USER", "TEAM_ADMIN", "REPORT_GENERATOR", "APP_ADMIN"];

pub fn generate() -> ReportLake {
    let lake = report_lake::generate();
    let dir = lake.dir.path();
    std::fs::write(dir.join("indico.token"), "unused-by-reports\n").unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let sources = r#"
[[sources]]
name = "ind"
kind = "indico"
host = "indico.example"
api_token_file = "indico.token"
history_start = "2026-10-19"

[[sources]]
name = "logons"
kind = "events"
format = "csv"
paths = ["logs/*.csv"]
max_session_hours = 12
"#;
    let mut text = std::fs::read_to_string(&lake.pipeline).unwrap();
    text.push_str(sources);
    std::fs::write(&lake.pipeline, &text).unwrap();

    indico(&lake.root());
    logons(&lake);
    lake
}

/// Users per role drift by day; the archive skips two days (a missed night is not 0).
fn indico(root: &std::path::Path) {
    for i in 0..DAYS {
        if i == 4 || i == 5 {
            continue;
        }
        let day = first_day() + Duration::days(i);
        let partition = format!("snapshot_date={}", day.format("%Y-%m-%d"));
        let enabled = 40 + i;
        let totals: Vec<Row> = vec![vec![
            ("enabled", V::I(enabled)),
            ("disabled", V::I(3 + i / 7)),
        ]];
        write(
            root,
            "ind",
            "user_summary",
            &partition,
            &user_summary_schema(),
            &totals,
        );
        let roles: Vec<Row> = ROLES
            .iter()
            .enumerate()
            .map(|(k, role)| {
                let count = match k {
                    0 => enabled,
                    k => (k as i64 * 3 + i / (k as i64 + 1)) % 17,
                };
                vec![("role", V::S(role.to_string())), ("count", V::I(count))]
            })
            .collect();
        write(
            root,
            "ind",
            "user_summary_roles",
            &partition,
            &user_summary_roles_schema(),
            &roles,
        );
    }
}

/// Workday sessions on ws1..ws4 and, on the last day, three sessions open at its end.
fn logons(lake: &ReportLake) {
    let mut csv = String::from("time,type,machine,user\n");
    let line = |csv: &mut String, day: NaiveDate, hhmm: &str, kind: &str, m: u32, u: u32| {
        csv.push_str(&format!(
            "{}T{hhmm}:00Z,{kind},ws{m},user{u:02}\n",
            day.format("%Y-%m-%d")
        ));
    };
    for i in 0..DAYS {
        let day = first_day() + Duration::days(i);
        for m in 1..=4u32 {
            // A different number of people per machine and day.
            for slot in 0..((i as u32 + m) % 3 + 1) {
                let user = (i as u32 + m * 3 + slot) % 12 + 1;
                let start = format!("{:02}:{:02}", 7 + slot * 3, (m * 7) % 60);
                let end = format!("{:02}:{:02}", 9 + slot * 3, (m * 11) % 60);
                line(&mut csv, day, &start, "logon", m, user);
                line(&mut csv, day, &end, "logoff", m, user);
            }
        }
    }
    let last = first_day() + Duration::days(DAYS - 1);
    line(&mut csv, last, "21:30", "logon", 1, 7);
    line(&mut csv, last, "22:10", "logon", 2, 8);
    line(&mut csv, last, "22:40", "logon", 2, 9);
    let next = last + Duration::days(1);
    line(&mut csv, next, "01:00", "logoff", 1, 7);
    std::fs::write(lake.dir.path().join("logs/logons.csv"), csv).unwrap();

    // Only the events source runs (the others are never contacted by reports).
    let text = std::fs::read_to_string(&lake.pipeline).unwrap();
    let head = text.split("[[sources]]").next().unwrap();
    let events = text.split("[[sources]]").last().unwrap();
    let only = lake.dir.path().join("events-only.toml");
    std::fs::write(&only, format!("{head}[[sources]]{events}")).unwrap();
    let out = usagelake(&["run", only.to_str().unwrap(), "--quiet"], &[], &[]);
    assert_success(&out);
}
