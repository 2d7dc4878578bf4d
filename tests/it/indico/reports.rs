//! `usagelake report indico-summary | indico-snapshot | indico-changelog` and Indico in
//! `inactive-users`, over a lake the real binary archived from the fake Indico. The
//! expected answers are built from the fake's ground truth (`Truth`), not from the lake,
//! and every report is checked in JSON, CSV and the table format.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use serde_json::{json, Value};
use usagelake::sources::indico::fake::truth::{day_end, Truth, APP_ROLES};

use crate::reports::{parse_csv, shown, stdout};
use crate::support::cli::usagelake;
use crate::support::indico_lake::{day, IndicoLake};

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

fn local(epoch_seconds: i64) -> String {
    DateTime::from_timestamp(epoch_seconds, 0)
        .unwrap()
        .with_timezone(&TZ)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn run(lake: &IndicoLake, report: &str, args: &[&str], format: &str) -> std::process::Output {
    usagelake(
        &[
            "report",
            report,
            lake.pipeline().to_str().unwrap(),
            "--format",
            format,
        ],
        args,
        &[],
    )
}

/// JSON equals `want` exactly; the CSV of each section and the table show the same cells.
fn check(lake: &IndicoLake, report: &str, args: &[&str], want: &BTreeMap<&str, Vec<Value>>) {
    let json: Value = serde_json::from_str(&stdout(&run(lake, report, args, "json"))).unwrap();
    let sections = json["sections"].as_object().unwrap();
    assert_eq!(
        sections.keys().map(String::as_str).collect::<Vec<_>>(),
        want.keys().copied().collect::<Vec<_>>(),
        "{report}: sections"
    );
    let table = stdout(&run(lake, report, args, "table"));
    let table_lines: Vec<String> = table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    for (section, rows) in want {
        let got = sections[*section].as_array().unwrap();
        for (i, (g, w)) in got.iter().zip(rows).enumerate() {
            assert_eq!(g, w, "{report} {args:?}: {section} row {i}");
        }
        assert_eq!(
            got.len(),
            rows.len(),
            "{report} {args:?}: rows of {section}"
        );
        let mut csv_args = args.to_vec();
        csv_args.extend(["--section", section]);
        let csv = parse_csv(&stdout(&run(lake, report, &csv_args, "csv")));
        assert_eq!(csv.len() - 1, rows.len(), "{report}: CSV rows of {section}");
        for (line, row) in csv[1..].iter().zip(rows) {
            let fields: Vec<String> = csv[0].iter().map(|c| shown(&row[c])).collect();
            assert_eq!(line, &fields, "{report}: CSV of {section}");
            let words = fields
                .iter()
                .flat_map(|f| f.split_whitespace())
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                table_lines.contains(&words),
                "{report}: table lacks `{words}`:\n{table}"
            );
        }
    }
}

fn summary_rows(truth: &Truth, d: NaiveDate) -> (Value, Vec<Value>) {
    let users = truth.snapshot(d);
    let enabled = users.iter().filter(|(_, s)| s.enabled).count() as i64;
    let total = users.len() as i64;
    let mut roles: Vec<&str> = APP_ROLES.to_vec();
    roles.sort_unstable();
    let per_role = roles
        .iter()
        .map(|role| {
            let n = users
                .iter()
                .filter(|(_, s)| s.roles.iter().any(|r| r == role))
                .count();
            json!({"date": d.to_string(), "source": "ind", "role": role, "users": n})
        })
        .collect();
    let totals = json!({"date": d.to_string(), "source": "ind", "enabled": enabled,
        "disabled": total - enabled, "total": total});
    (totals, per_role)
}

fn snapshot_rows(
    truth: &Truth,
    d: NaiveDate,
    only: Option<i32>,
) -> BTreeMap<&'static str, Vec<Value>> {
    let mut users = Vec::new();
    let mut datasets = Vec::new();
    for (user, state) in truth.snapshot(d) {
        if only.is_some_and(|id| id != user.id) {
            continue;
        }
        users.push(json!({
            "source": "ind", "user_id": user.id, "name": user.name, "email": user.email,
            "created_at": local(user.created_at), "enabled": yes_no(state.enabled),
            "roles": state.roles.join(", "), "datasets": state.datasets.len(),
        }));
        for (dataset, role) in &state.datasets {
            datasets.push(
                json!({"source": "ind", "user_id": user.id, "email": user.email,
                "dataset_id": dataset, "role": role}),
            );
        }
    }
    BTreeMap::from([("users", users), ("datasets", datasets)])
}

/// The truth's changes whose local (New York) date is in `from..=to`, newest first.
fn changelog_rows(truth: &Truth, from: &str, to: &str, only: Option<i32>) -> Vec<Value> {
    let mut changes: Vec<_> = truth
        .changes
        .iter()
        .filter(|c| {
            let date = &local(c.date)[..10];
            date >= from && date <= to && only.is_none_or(|id| id == c.user_id)
        })
        .collect();
    changes.sort_by(|a, b| b.date.cmp(&a.date).then(a.user_id.cmp(&b.user_id)));
    changes
        .into_iter()
        .map(|c| {
            let before: BTreeMap<i32, String> = c.before.datasets.iter().cloned().collect();
            let after: BTreeMap<i32, String> = c.after.datasets.iter().cloned().collect();
            let mut ids: Vec<i32> = before.keys().chain(after.keys()).copied().collect();
            ids.sort_unstable();
            ids.dedup();
            let datasets: Vec<String> = ids
                .into_iter()
                .filter_map(|id| match (before.get(&id), after.get(&id)) {
                    (None, Some(r)) => Some(format!("+{id} {r}")),
                    (Some(r), None) => Some(format!("-{id} {r}")),
                    (Some(a), Some(b)) if a != b => Some(format!("{id} {a}→{b}")),
                    _ => None,
                })
                .collect();
            json!({
                "date": local(c.date), "source": "ind", "user_id": c.user_id,
                "user_email": truth.user(c.user_id).unwrap().email,
                "changes": c.changes_made.join(", "),
                "enabled_before": yes_no(c.before.enabled), "enabled": yes_no(c.after.enabled),
                "roles_before": c.before.roles.join(", "), "roles": c.after.roles.join(", "),
                "dataset_changes": datasets.join("; "),
                "updated_by": usagelake::sources::indico::fake::truth::ADMIN_EMAIL,
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indico_reports_answer_what_the_truth_says_in_every_format() {
    let lake = IndicoLake::start(70, 8, "").await;
    // Archives the Indico days 11-01..11-07.
    lake.run_ok("2026-11-08");
    let truth = lake.fake.truth();

    // Summary of one day, and of a range (one row per day).
    let (totals, roles) = summary_rows(truth, day("2026-11-05"));
    check(
        &lake,
        "indico-summary",
        &["--date", "2026-11-05"],
        &BTreeMap::from([("users", vec![totals]), ("roles", roles)]),
    );
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    for d in ["2026-11-02", "2026-11-03", "2026-11-04"] {
        let (t, r) = summary_rows(truth, day(d));
        users.push(t);
        roles.extend(r);
    }
    check(
        &lake,
        "indico-summary",
        &["--from", "2026-11-02", "--to", "2026-11-04"],
        &BTreeMap::from([("users", users), ("roles", roles)]),
    );

    // Everyone's state on a day, then one user's, by id and by email in another case.
    check(
        &lake,
        "indico-snapshot",
        &["--date", "2026-11-06"],
        &snapshot_rows(truth, day("2026-11-06"), None),
    );
    // The user with the most changes makes the one-user checks say something.
    let mut per_user: BTreeMap<i32, usize> = BTreeMap::new();
    for c in &truth.changes {
        *per_user.entry(c.user_id).or_default() += 1;
    }
    let (&busy, _) = per_user.iter().max_by_key(|(_, n)| **n).unwrap();
    let want = snapshot_rows(truth, day("2026-11-06"), Some(busy));
    assert_eq!(want["users"].len(), 1);
    check(
        &lake,
        "indico-snapshot",
        &["--date", "2026-11-06", "--user-id", &busy.to_string()],
        &want,
    );
    let email = truth.user(busy).unwrap().email.to_uppercase();
    check(
        &lake,
        "indico-snapshot",
        &["--date", "2026-11-06", "--email", &email],
        &want,
    );

    // The changelog over local dates, for everyone, one user, and the newest few.
    let (from, to) = ("2026-11-02", "2026-11-06");
    let all = changelog_rows(truth, from, to, None);
    assert!(all.len() > 20, "{} changes: a weak check", all.len());
    check(
        &lake,
        "indico-changelog",
        &["--from", from, "--to", to],
        &BTreeMap::from([("changes", all.clone())]),
    );
    let theirs = changelog_rows(truth, from, to, Some(busy));
    assert!(!theirs.is_empty());
    check(
        &lake,
        "indico-changelog",
        &[
            "--from",
            from,
            "--to",
            to,
            "--user-id",
            &busy.to_string(),
            "--email",
            &email,
        ],
        &BTreeMap::from([("changes", theirs)]),
    );
    check(
        &lake,
        "indico-changelog",
        &["--from", from, "--to", to, "--limit", "5"],
        &BTreeMap::from([("changes", all[..5].to_vec())]),
    );

    // inactive-users lists every Indico account of the snapshot in force, its app roles
    // and enablement, and its latest account event (creation or change) as last activity.
    let as_of = day("2026-11-07");
    let out = run(
        &lake,
        "inactive-users",
        &["--days", "0", "--as-of", "2026-11-07", "--source", "indico"],
        "json",
    );
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut got: Vec<Value> = json["sections"]["inactive_users"]
        .as_array()
        .unwrap()
        .clone();
    got.sort_by_key(|r| r["user"].as_str().unwrap().to_string());
    let mut want: Vec<Value> = truth
        .snapshot(as_of)
        .into_iter()
        .map(|(user, state)| {
            let last = truth
                .changes
                .iter()
                .filter(|c| c.user_id == user.id && c.date <= day_end(as_of))
                .map(|c| c.date)
                .chain([user.created_at])
                .max()
                .unwrap();
            let since = (as_of - day(&local(last)[..10])).num_days();
            json!({
                "platform": "indico", "source": "ind", "site": null, "user": user.email,
                "full_name": user.name, "email": user.email, "license": if state.enabled { "enabled" } else { "disabled" },
                "role": state.roles.join(", "),
                "last_active": local(last), "days_inactive": since,
            })
        })
        .collect();
    want.sort_by_key(|r| r["user"].as_str().unwrap().to_string());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indico_report_errors_say_what_is_wrong_and_exit_2() {
    let lake = IndicoLake::start(20, 4, "").await;
    lake.run_ok("2026-11-04");
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "indico-summary",
            &["--date", "2025-01-01"],
            "holds no Indico user summary between 2025-01-01 and 2025-01-01; it holds ind days 2026-11-01 … 2026-11-03",
        ),
        (
            "indico-snapshot",
            &["--date", "2026-11-09"],
            "holds no Indico user snapshot",
        ),
        (
            "indico-changelog",
            &["--from", "2026-12-01", "--to", "2026-12-31"],
            "holds no Indico changelog between 2026-12-01 and 2026-12-31",
        ),
        (
            "indico-snapshot",
            &["--date", "2026-11-02", "--email", "user5@indico.exampel"],
            "unknown user `user5@indico.exampel`",
        ),
        (
            "indico-changelog",
            &["--from", "2026-11-01", "--to", "2026-11-03", "--user-id", "9999"],
            "unknown user `id 9999`",
        ),
        (
            "indico-changelog",
            &["--from", "2026-11-03", "--to", "2026-11-01"],
            "--from 2026-11-03 is after --to 2026-11-01",
        ),
        (
            "indico-summary",
            &["--date", "2026-11-02", "--source", "nope"],
            "sources: ind",
        ),
        ("indico-summary", &[], "give --date D, or --from D and --to D"),
    ];
    for (name, args, message) in cases {
        let out = run(&lake, name, args, "table");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {stderr}");
        assert!(stderr.contains(message), "{name} {args:?}: {stderr}");
    }
    let near = run(
        &lake,
        "indico-snapshot",
        &["--date", "2026-11-02", "--email", "user5@indico.exampel"],
        "table",
    );
    assert!(String::from_utf8_lossy(&near.stderr).contains("did you mean `user5@indico.example`"));

    // A dataset the lake does not have.
    std::fs::remove_dir_all(lake.dataset("user_changelog")).unwrap();
    let out = run(
        &lake,
        "indico-changelog",
        &["--from", "2026-11-01", "--to", "2026-11-03"],
        "table",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the lake has no `ind/user_changelog`"),
        "{stderr}"
    );

    // A pipeline without an Indico source.
    let text = std::fs::read_to_string(lake.pipeline()).unwrap();
    let events = lake.dir.path().join("other.toml");
    std::fs::write(
        &events,
        text.split("[[sources]]").next().unwrap().to_string()
            + "[[sources]]\nname = \"logons\"\nkind = \"events\"\nformat = \"csv\"\npaths = [\"logs/*.csv\"]\n",
    )
    .unwrap();
    let out = usagelake(
        &["report", "indico-summary", events.to_str().unwrap()],
        &["--date", "2026-11-02"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the pipeline has no indico source"),
        "{stderr}"
    );
}
