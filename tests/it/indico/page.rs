//! `usagelake report html` on a pipeline whose only source is Indico: the page renders
//! (no "no activity" error), leaves out the Tableau/ArcGIS sections, and its Indico roles
//! chart has the CLI's numbers, checked in headless Chromium.

use crate::report_page::{chart_values, chromium, loaded_dom, page_rows, screenshot};
use crate::reports::{parse_csv, stdout};
use crate::support::cli::{assert_success, usagelake};
use crate::support::indico_lake::IndicoLake;

const FROM: &str = "2026-11-01";
const TO: &str = "2026-11-07";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_of_an_indico_only_lake_shows_its_roles_in_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("skipping: apt-get install chromium");
        return;
    };
    let lake = IndicoLake::start(70, 8, "").await;
    // Archives the Indico days 11-01..11-07.
    lake.run_ok("2026-11-08");
    let pipeline = lake.pipeline();
    let pipeline = pipeline.to_str().unwrap();
    let page = lake.dir.path().join("usage.html");
    let run = usagelake(
        &["report", "html", pipeline],
        &[
            "--from",
            FROM,
            "--to",
            TO,
            "--as-of",
            "2026-11-08",
            "--inactive-days",
            "3",
            "--out",
            page.to_str().unwrap(),
        ],
        &[],
    );
    assert_success(&run);
    let dom = loaded_dom(browser, &page);
    // Only what the lake has: no activity sections, nothing "not available".
    for id in ["adoption", "content", "logins", "hour-of-week"] {
        assert!(!dom.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(!dom.contains("Not available"), "a section is missing");
    for id in ["inactive", "indico-roles"] {
        assert!(dom.contains(&format!("<section id=\"{id}\">")), "no {id}");
    }

    // Every chart has data marks.
    let charts: Vec<&str> = dom.split("<svg class=\"chart\"").skip(1).collect();
    assert!(charts.len() >= 2, "{} charts", charts.len()); // inactive, roles
    for (i, chart) in charts.iter().enumerate() {
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(chart.contains("class=\"mark\""), "chart {i} has no marks");
    }

    // The roles chart and tables hold the CLI's numbers.
    let csv = |report: &str, args: &[&str], section: &str| {
        let out = usagelake(
            &["report", report, pipeline, "--format", "csv"],
            &[args, &["--section", section]].concat(),
            &[],
        );
        assert_success(&out);
        parse_csv(&stdout(&out)).split_off(1)
    };
    let range = ["--from", FROM, "--to", TO];
    let roles = csv("indico-summary", &range, "roles");
    let users = csv("indico-summary", &range, "users");
    assert_eq!(users.len(), 7, "one row per archived day");
    assert_eq!(page_rows(&dom, "users"), users);
    assert_eq!(page_rows(&dom, "roles"), roles);
    let mut held = 0;
    for role in roles
        .iter()
        .map(|r| r[2].clone())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let want: Vec<(String, String)> = roles
            .iter()
            .filter(|r| r[2] == role)
            .map(|r| (r[0].clone(), r[3].clone()))
            .collect();
        let got: Vec<(String, String)> =
            ["Users with the role", "Users with the role (less common)"]
                .into_iter()
                .filter(|label| dom.contains(&format!("aria-label=\"{label}\"")))
                .flat_map(|label| chart_values(&dom, label, &role))
                .collect();
        if want.iter().all(|(_, n)| n == "0") {
            assert!(got.is_empty(), "{role} is held by nobody: no line");
        } else {
            held += 1;
            assert_eq!(got, want, "{role}");
        }
    }
    assert!(held >= 3, "{held} roles drawn: a weak check");
    let inactive = csv(
        "inactive-users",
        &["--days", "3", "--as-of", "2026-11-08"],
        "inactive_users",
    );
    assert!(!inactive.is_empty());
    assert_eq!(page_rows(&dom, "inactive_users"), inactive);

    let shot = lake.dir.path().join("usage.png");
    screenshot(browser, &page, &shot);
}
