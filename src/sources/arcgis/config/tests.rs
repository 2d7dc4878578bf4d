//! `kind = "arcgis"`: typed values, defaults, and every problem with its line.

use chrono::NaiveDate;

use super::*;
use crate::config::tests::{errors, only_problem, parse, places};
use crate::config::{load_pipeline, Pipeline, SecretRef};
use crate::sources::arcgis::api::{ArcgisAuth, SortOrder};
use crate::sources::SourceConfig;

fn arcgis(pipeline: &Pipeline, i: usize) -> &ArcgisSource {
    match &pipeline.sources[i] {
        SourceConfig::Arcgis(source) => source,
        other => panic!("source {i} is {}, not arcgis", other.kind()),
    }
}

/// Line 5 is the `[[sources]]` header; keys added by a test start at line 9.
const ARCGIS: &str = r#"[output]
root = "lake"

[[sources]]
name = "agol"
kind = "arcgis"
portal_url = "https://myorg.maps.arcgis.com"
token_env = "ARCGIS_TOKEN"
"#;

fn with(extra: &str) -> String {
    format!("{ARCGIS}{extra}")
}

#[test]
fn every_key_parses_into_typed_values() {
    let text = r#"time_zone = "Europe/Berlin"
[output]
root = "lake"

[[sources]]
name = "agol"
kind = "arcgis"
portal_url = "https://myorg.maps.arcgis.com/"
platform = "online"
org_id = "AbC123"
username = "admin_org"
password_file = "secrets/agol.pw"
referer = "https://usagelake.example"
token_expiration_minutes = 120
datasets = ["history", "logins"]
types = ["u", "i"]
actors = ["Ann"]
owners = ["Bob"]
actions = ["login", "failedlogin"]
ips = ["10.0.0.1"]
sort_order = "desc"
slice_hours = 6
concurrency = 16
overlap_minutes = 0
history_start = 2026-01-15
user_fields = ["username", "email", "lastLogin", "storageUsage"]
log_fields = ["email"]
request_timeout_seconds = 30
max_retries = 0
"#;
    let pipeline = parse(text);
    let source = arcgis(&pipeline, 0);
    assert_eq!(
        (source.name(), pipeline.sources[0].kind()),
        ("agol", "arcgis")
    );
    assert_eq!(source.platform, ArcgisPlatform::Online);
    assert_eq!(source.datasets(), ["history", "logins"]);
    assert_eq!(source.history_start, NaiveDate::from_ymd_opt(2026, 1, 15));
    let portal = &source.portal;
    assert_eq!(
        portal.rest_root(),
        "https://myorg.maps.arcgis.com/sharing/rest"
    );
    assert_eq!(portal.org_id, "AbC123");
    match &portal.auth {
        ArcgisAuth::UserPassword {
            username,
            password,
            referer,
            expiration_minutes,
        } => {
            assert_eq!(username, "admin_org");
            assert_eq!(
                password,
                &SecretRef::File("/etc/usagelake/secrets/agol.pw".into())
            );
            assert_eq!(referer, "https://usagelake.example");
            assert_eq!(*expiration_minutes, 120);
        }
        other => panic!("{other:?}"),
    }
    let h = &portal.history;
    assert_eq!(
        (h.types.clone(), h.actors.clone()),
        (vec!["u".to_owned(), "i".to_owned()], vec!["Ann".to_owned()])
    );
    assert_eq!((h.owners.len(), h.actions.len(), h.ips.len()), (1, 2, 1));
    assert_eq!(h.sort_order, SortOrder::Desc);
    assert_eq!(
        (
            portal.slice_hours,
            portal.concurrency,
            portal.overlap_minutes
        ),
        (6, 16, 0)
    );
    assert_eq!(
        portal.user_fields,
        ["username", "email", "lastLogin", "storageUsage"]
    );
    assert_eq!(portal.log_fields, ["email"]);
    assert_eq!(portal.request_timeout, Duration::from_secs(30));
    assert_eq!(portal.retry.max_attempts, 1);
}

#[test]
fn defaults_and_the_other_auth_methods() {
    let pipeline = parse(ARCGIS);
    let source = arcgis(&pipeline, 0);
    assert_eq!(source.platform, ArcgisPlatform::Online);
    assert_eq!(source.datasets(), ["history", "users", "logins"]);
    assert_eq!(source.history_start, None);
    let portal = &source.portal;
    assert_eq!(portal.org_id, "self");
    assert!(
        matches!(&portal.auth, ArcgisAuth::Token { token } if *token == SecretRef::Env("ARCGIS_TOKEN".into()))
    );
    assert_eq!(
        (
            portal.slice_hours,
            portal.concurrency,
            portal.overlap_minutes
        ),
        (24, 4, 60)
    );
    assert_eq!(portal.user_fields.len(), 14);
    assert!(portal.log_fields.is_empty());
    assert_eq!(portal.retry.max_attempts, 5);

    let app = parse(&ARCGIS.replace(
        "token_env = \"ARCGIS_TOKEN\"",
        "client_id = \"app1\"\nclient_secret_env = \"ARCGIS_CLIENT_SECRET\"",
    ));
    assert!(
        matches!(&arcgis(&app, 0).portal.auth, ArcgisAuth::ClientCredentials { client_id, .. } if client_id == "app1")
    );

    // Enterprise: no history endpoint, so the default datasets leave it out.
    let user = parse(&ARCGIS.replace(
        "token_env = \"ARCGIS_TOKEN\"",
        "platform = \"enterprise\"\nusername = \"admin\"\npassword_env = \"PW\"",
    ));
    let enterprise = arcgis(&user, 0);
    assert_eq!(enterprise.platform, ArcgisPlatform::Enterprise);
    assert_eq!(enterprise.datasets(), ["users", "logins"]);
    match &enterprise.portal.auth {
        // The token is bound to the referer; by default the portal URL.
        ArcgisAuth::UserPassword {
            referer,
            expiration_minutes,
            ..
        } => {
            assert_eq!(
                (referer.as_str(), *expiration_minutes),
                ("https://myorg.maps.arcgis.com", 60)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn inline_secrets_are_rejected_without_echoing_them() {
    for (key, value) in [
        ("password", "hunter2"),
        ("client_secret", "s3cr3t-app"),
        ("token", "AAPK-tok"),
    ] {
        let text = with(&format!("{key} = \"{value}\"\n"));
        let problem = only_problem(&text);
        assert_eq!(
            (problem.line, problem.key.as_str()),
            (9, format!("sources[0].{key}").as_str())
        );
        assert!(
            problem.message.starts_with("inline "),
            "{}",
            problem.message
        );
        let errors = errors(&text);
        assert!(!format!("{errors}\n{errors:?}").contains(value));
    }
    let pasted = only_problem(&ARCGIS.replace("\"ARCGIS_TOKEN\"", "\"AAPK 1x/y=\""));
    assert_eq!(
        (pasted.line, pasted.key.as_str()),
        (8, "sources[0].token_env")
    );
    assert!(!pasted.to_string().contains("AAPK"));
}

#[test]
fn exactly_one_auth_method() {
    let none = ARCGIS.replace("token_env = \"ARCGIS_TOKEN\"\n", "");
    let problem = only_problem(&none);
    assert_eq!(problem.line, 4, "reported at the [[sources]] header");
    assert!(
        problem.message.contains("no credentials"),
        "{}",
        problem.message
    );

    let both = with("username = \"admin\"\npassword_env = \"PW\"\n");
    assert_eq!(places(&both), vec![(9, "sources[0].username".to_owned())]);
    assert!(errors(&both).problems[0].message.contains("not several"));

    let half = ARCGIS.replace("token_env = \"ARCGIS_TOKEN\"", "username = \"admin\"");
    assert_eq!(
        places(&half),
        vec![(4, "sources[0].password_env".to_owned())]
    );

    let twice = with("token_file = \"t.txt\"\n");
    assert_eq!(
        places(&twice),
        vec![(9, "sources[0].token_file".to_owned())]
    );

    let referer = with("referer = \"x\"\n");
    let problem = only_problem(&referer);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (9, "sources[0].referer")
    );
    assert!(problem.message.contains("only applies to username"));
}

#[test]
fn bad_values_are_all_reported_with_their_lines() {
    let text = with(
        r#"platform = "enterprise"
datasets = ["history", "users", "userz", "users"]
slice_hours = 0
concurrency = 17
overlap_minutes = -5
history_start = "last week"
sort_order = "up"
actions = ["login,share"]
user_fields = ["username", "e-mail"]
log_fields = ["role"]
org_id = "a/b"
max_retries = 11
request_timeout_seconds = 0
overlap_minute = 5
"#,
    );
    let got = places(&text);
    let lines: Vec<(usize, &str)> = got.iter().map(|(l, k)| (*l, k.as_str())).collect();
    assert_eq!(
        lines,
        vec![
            (10, "sources[0].datasets[0]"),
            (10, "sources[0].datasets[2]"),
            (10, "sources[0].datasets[3]"),
            (11, "sources[0].slice_hours"),
            (12, "sources[0].concurrency"),
            (13, "sources[0].overlap_minutes"),
            (14, "sources[0].history_start"),
            (15, "sources[0].sort_order"),
            (16, "sources[0].actions[0]"),
            (17, "sources[0].user_fields[1]"),
            (19, "sources[0].org_id"),
            (20, "sources[0].max_retries"),
            (21, "sources[0].request_timeout_seconds"),
            (22, "sources[0].overlap_minute"),
        ],
        "{}",
        errors(&text)
    );
    let errors = errors(&text);
    let history = &errors.problems[0];
    assert!(
        history.message.contains("Enterprise has no org history"),
        "{history}"
    );
    let typo = errors.problems.last().unwrap();
    assert_eq!(
        typo.hint.as_deref(),
        Some("did you mean `overlap_minutes`?")
    );
}

#[test]
fn log_fields_must_be_user_fields_and_urls_must_be_https() {
    let logged =
        with("user_fields = [\"username\", \"email\"]\nlog_fields = [\"email\", \"role\"]\n");
    let problem = only_problem(&logged);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (10, "sources[0].log_fields[1]")
    );
    assert_eq!(problem.hint.as_deref(), Some("add \"role\" to user_fields"));
    // Default user_fields include role; lastLogin and username always exist.
    parse(&with(
        "log_fields = [\"role\", \"lastLogin\", \"username\"]\n",
    ));

    for (url, fragment) in [
        ("http://gis.example.com/portal", "unencrypted"),
        ("ftp://gis.example.com", "https://"),
        ("myorg.maps.arcgis.com", "not a URL"),
        ("https://x.example.com/portal?f=json", "query"),
    ] {
        let problem = only_problem(&ARCGIS.replace("https://myorg.maps.arcgis.com", url));
        assert_eq!(
            (problem.line, problem.key.as_str()),
            (7, "sources[0].portal_url")
        );
        assert!(
            problem.message.contains(fragment),
            "{url}: {}",
            problem.message
        );
    }
    // This machine only: the fake portal of the demo and the tests.
    parse(&ARCGIS.replace("https://myorg.maps.arcgis.com", "http://127.0.0.1:8080"));
}

#[test]
fn shipped_arcgis_files_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let example = load_pipeline(&dir.join("arcgis.example.toml")).unwrap_or_else(|e| panic!("{e}"));
    let online = arcgis(&example, 0);
    assert_eq!(online.datasets(), ["history", "users", "logins"]);
    assert!(
        matches!(&online.portal.auth, ArcgisAuth::UserPassword { password, .. } if *password == SecretRef::Env("ARCGIS_PASSWORD".into()))
    );
    let enterprise = arcgis(&example, 1);
    assert_eq!(enterprise.datasets(), ["users", "logins"]);

    let demo = load_pipeline(&dir.join("demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    let source = arcgis(&demo, 1);
    assert_eq!(source.name(), "arcgis_demo");
    assert_eq!(source.history_start, NaiveDate::from_ymd_opt(2026, 10, 31));
}
