//! `usagelake report html`: the page opened in headless Chromium. No console errors, the
//! script ran, every chart has data marks, and the numbers on the page are the CLI's.

use std::path::Path;
use std::process::Command;

use crate::support::cli::{assert_success, usagelake};
use crate::support::report_lake::{self, ReportLake};

const FROM: &str = "2026-10-19";
const TO: &str = "2026-11-08";

pub(crate) fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    // CI installs it (.ci/run); only a developer machine may lack it.
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "chromium missing in CI"
    );
    found
}

fn write_page(lake: &ReportLake, out: &Path) {
    let run = usagelake(
        &["report", "html", lake.pipeline.to_str().unwrap()],
        &[
            "--from",
            FROM,
            "--to",
            TO,
            "--as-of",
            TO,
            "--hours",
            "3",
            "--inactive-days",
            "5",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_success(&run);
}

/// The CLI's CSV of one section, as rows of cell texts (header dropped).
fn cli_rows(lake: &ReportLake, report: &str, args: &[&str], section: &str) -> Vec<Vec<String>> {
    let out = usagelake(
        &[
            "report",
            report,
            lake.pipeline.to_str().unwrap(),
            "--format",
            "csv",
            "--section",
            section,
        ],
        args,
        &[],
    );
    assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            // The sections compared here hold no commas or quotes in their cells.
            assert!(!l.contains('"'), "{l}");
            l.split(',').map(str::to_string).collect()
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Rows of the page's table for `section` as Chromium serialised it.
pub(crate) fn page_rows(dom: &str, section: &str) -> Vec<Vec<String>> {
    let start = dom
        .find(&format!("data-section=\"{section}\""))
        .unwrap_or_else(|| panic!("no table {section}"));
    let body = &dom[start..];
    let body = &body[body.find("<tbody>").unwrap() + 7..body.find("</tbody>").unwrap()];
    body.split("<tr>")
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.split("<td")
                .skip(1)
                .map(|c| {
                    let inner = &c[c.find('>').unwrap() + 1..];
                    unescape(&inner[..inner.find("</td>").unwrap()])
                })
                .collect()
        })
        .collect()
}

#[test]
fn page_renders_in_chromium_with_the_cli_numbers() {
    let Some(browser) = chromium() else {
        eprintln!("skipping: apt-get install chromium");
        return;
    };
    let lake = report_lake::generate();
    let page = lake.dir.path().join("usage.html");
    write_page(&lake, &page);
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a request).
    for needle in [
        "<link",
        "src=",
        "url(",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "the page references `{needle}`");
    }

    let shot = lake.dir.path().join("usage.png");
    let dom = loaded_dom(browser, &page);

    // Every chart has data marks.
    let charts: Vec<&str> = dom.split("<svg class=\"chart\"").skip(1).collect();
    assert!(charts.len() >= 6, "{} charts", charts.len()); // adoption, top views, inactive, logins, 2 heatmaps
    for (i, chart) in charts.iter().enumerate() {
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(
            chart.contains("class=\"mark\""),
            "chart {i} has no data marks"
        );
    }

    // The tables hold exactly the CLI's rows.
    let range = ["--from", FROM, "--to", TO];
    let checks: Vec<(&str, Vec<&str>, &str)> = vec![
        ("adoption", range.to_vec(), "adoption"),
        ("content", [&range[..], &["--top", "25"]].concat(), "views"),
        (
            "content",
            [&range[..], &["--top", "25"]].concat(),
            "workbooks",
        ),
        ("content", range.to_vec(), "stale"),
        (
            "inactive-users",
            vec!["--days", "5", "--as-of", TO],
            "inactive_users",
        ),
        ("logins", range.to_vec(), "logins"),
        (
            "maintenance-window",
            [&range[..], &["--hours", "3"]].concat(),
            "quiet_windows",
        ),
        (
            "maintenance-window",
            [&range[..], &["--hours", "3"]].concat(),
            "active_in_window",
        ),
    ];
    for (report, args, section) in checks {
        let want = cli_rows(&lake, report, &args, section);
        // The quietest window of the test lake is a night nobody works: no one to list.
        assert!(
            !want.is_empty() || section == "active_in_window",
            "{report}/{section} is empty: a weak check"
        );
        assert_eq!(page_rows(&dom, section), want, "{report}/{section}");
    }

    // The chart marks carry the same numbers: daily active users of the adoption chart.
    let adoption = cli_rows(&lake, "adoption", &range, "adoption");
    let tableau_days: Vec<String> = adoption
        .iter()
        .filter(|r| r[2] == "tab" && r[3] == "(all)")
        .map(|r| {
            format!(
                "data-series=\"tab (tableau)\" data-x=\"{}\" data-value=\"{}\"",
                r[0], r[4]
            )
        })
        .collect();
    assert!(!tableau_days.is_empty());
    for mark in tableau_days {
        assert!(dom.contains(&mark), "adoption chart lacks {mark}");
    }

    // The heatmaps: one per source (in name order), 168 cells with the CLI's user counts.
    let heat = cli_rows(
        &lake,
        "maintenance-window",
        &[&range[..], &["--hours", "3"]].concat(),
        "hour_of_week",
    );
    let maps: Vec<Vec<String>> = charts
        .iter()
        .filter(|c| c.contains("aria-label=\"distinct active users\""))
        .map(|c| {
            c[..c.find("</svg>").unwrap()]
                .split("data-value=\"")
                .skip(1)
                .map(|v| v[..v.find('"').unwrap()].to_string())
                .collect()
        })
        .collect();
    let mut sources: Vec<&str> = heat.iter().map(|r| r[1].as_str()).collect();
    sources.sort();
    sources.dedup();
    assert_eq!(maps.len(), sources.len());
    for (map, source) in maps.iter().zip(sources) {
        let want: Vec<String> = heat
            .iter()
            .filter(|r| r[1] == source)
            .map(|r| r[5].clone())
            .collect();
        assert_eq!(map, &want, "heatmap of {source}");
    }

    screenshot(browser, &page, &shot);
}

/// Runs headless Chromium on the page with `extra` arguments (a throwaway profile).
fn chromium_on(browser: &str, page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// A 1400×2000 screenshot of the page at `shot`; fails when Chromium does or the image
/// is too small to show anything.
pub(crate) fn screenshot(browser: &str, page: &Path, shot: &Path) {
    let target = format!("--screenshot={}", shot.display());
    let out = chromium_on(
        browser,
        page,
        &["--hide-scrollbars", "--window-size=1400,2000", &target],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot of {size} bytes: blank?");
}

/// The page's serialised DOM after its script ran in headless Chromium, asserting that
/// nothing went to the console and the script reached its end (`data-ready`).
pub(crate) fn loaded_dom(browser: &str, page: &Path) -> String {
    let out = chromium_on(
        browser,
        page,
        &["--enable-logging=stderr", "--v=0", "--dump-dom"],
    );
    let (dom, log) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    // Chromium logs every console message and uncaught exception as `INFO:CONSOLE:<line>]`.
    assert!(
        !log.contains(":CONSOLE") && !log.contains("Uncaught"),
        "console output:\n{log}"
    );
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script did not run to its end:\n{log}"
    );
    dom
}

/// The `data-value`s of the marks of series `series` in the chart labelled `label`, by
/// `data-x`.
pub(crate) fn chart_values(dom: &str, label: &str, series: &str) -> Vec<(String, String)> {
    let start = dom
        .find(&format!("aria-label=\"{label}\""))
        .unwrap_or_else(|| panic!("no chart {label}"));
    let chart = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    let attr = |mark: &str, name: &str| {
        let from = mark.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        mark[from..from + mark[from..].find('"').unwrap()].to_string()
    };
    chart
        .split("class=\"mark\"")
        .skip(1)
        .filter(|m| attr(m, "data-series") == series)
        .map(|m| (attr(m, "data-x"), attr(m, "data-value")))
        .collect()
}

#[test]
fn indico_roles_and_current_users_sections_show_the_cli_numbers() {
    let Some(browser) = chromium() else {
        eprintln!("skipping: apt-get install chromium");
        return;
    };
    let lake = crate::support::people_lake::generate();
    let page = lake.dir.path().join("usage.html");
    write_page(&lake, &page);
    let dom = loaded_dom(browser, &page);
    // An Indico source that archives only the summary takes nothing from the others.
    assert!(!dom.contains("Not available"), "a section is missing");
    for id in ["indico-roles", "current-users"] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "no section {id}"
        );
    }

    // Indico roles: the tables are the CLI's, and each role's line has its daily counts.
    let range = ["--from", FROM, "--to", TO];
    for section in ["users", "roles"] {
        let want = cli_rows(&lake, "indico-summary", &range, section);
        assert!(!want.is_empty());
        assert_eq!(page_rows(&dom, section), want, "indico-summary/{section}");
    }
    let roles = cli_rows(&lake, "indico-summary", &range, "roles");
    for role in crate::support::people_lake::ROLES {
        let want: Vec<(String, String)> = roles
            .iter()
            .filter(|r| r[2] == *role)
            .map(|r| (r[0].clone(), r[3].clone()))
            .collect();
        assert_eq!(want.len(), 19, "two of 21 days were never archived");
        // The common roles' chart, and the less common ones' when the page splits them.
        let got: Vec<(String, String)> =
            ["Users with the role", "Users with the role (less common)"]
                .into_iter()
                .filter(|label| dom.contains(&format!("aria-label=\"{label}\"")))
                .flat_map(|label| chart_values(&dom, label, role))
                .collect();
        assert_eq!(got, want, "{role}");
    }

    // Current users at the end of the as-of day: the CLI's machines and users.
    let at = "2026-11-08 23:59:59";
    let out = usagelake(
        &["report", "current-users", lake.pipeline.to_str().unwrap()],
        &["--at", at, "--format", "json"],
        &[],
    );
    assert_success(&out);
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: Vec<Vec<String>> = cli["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let users: Vec<String> = m["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap().to_string())
                .collect();
            vec![
                m["machine"].as_str().unwrap().to_string(),
                users.len().to_string(),
                users.join(", "),
            ]
        })
        .collect();
    assert_eq!(
        want,
        [
            vec!["ws1".to_string(), "1".into(), "user07".into()],
            vec!["ws2".to_string(), "2".into(), "user08, user09".into()],
        ]
    );
    assert_eq!(page_rows(&dom, "current_users"), want);
    assert!(dom.contains("Logged in at 2026-11-08 23:59:59 (Europe/Zurich)"));

    // Sessions per day: the chart's columns count the CLI's sessions by login date.
    let out = usagelake(
        &["report", "sessions", lake.pipeline.to_str().unwrap()],
        &[&range[..], &["--format", "json"]].concat(),
        &[],
    );
    assert_success(&out);
    let sessions: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut per_day: std::collections::BTreeMap<String, usize> = Default::default();
    for s in &sessions {
        let login = s["login_at"].as_str().unwrap();
        *per_day.entry(login[..10].to_string()).or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, usize> = chart_values(&dom, "Sessions", "logons")
        .into_iter()
        .map(|(day, v)| (day, v.parse().unwrap()))
        .filter(|(_, v)| *v > 0)
        .collect();
    assert_eq!(got.len(), 21);
    assert_eq!(got, per_day);
}
