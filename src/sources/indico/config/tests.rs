//! `kind = "indico"`: typed values, defaults, and every problem with its line.

use std::time::Duration;

use chrono::NaiveDate;

use super::*;
use crate::pipeline::file::test_support::{errors, only_problem, parse, places};
use crate::pipeline::file::{load_pipeline, Pipeline};

fn indico(pipeline: &Pipeline, i: usize) -> &IndicoSource {
    match &pipeline.sources[i] {
        SourceConfig::Indico(source) => source,
        other => panic!("source {i} is {}, not indico", other.kind()),
    }
}

/// Line 4 is the `[[sources]]` header; keys added by a test start at line 9.
const INDICO: &str = r#"[output]
root = "lake"

[[sources]]
name = "ind"
kind = "indico"
host = "app.indico.io"
api_token_env = "INDICO_API_TOKEN"
"#;

fn with(extra: &str) -> String {
    format!("{INDICO}{extra}")
}

#[test]
fn every_key_parses_into_typed_values() {
    let text = with(
        r#"protocol = "https"
user_ids = [12, 57]
user_emails = ["a@example.com"]
page_size = 250
history_start = 2026-01-15
changelog_overlap_days = 0
datasets = ["user_changelog", "user_summary"]
request_timeout_seconds = 30
max_retries = 0
"#,
    );
    let pipeline = parse(&text);
    let source = indico(&pipeline, 0);
    assert_eq!(
        (source.name(), pipeline.sources[0].kind()),
        ("ind", "indico")
    );
    // Run order, whatever the listed order.
    assert_eq!(source.datasets(), ["user_summary", "user_changelog"]);
    let c = &source.config;
    assert_eq!(c.base_url(), "https://app.indico.io");
    assert_eq!(c.api_token, SecretRef::Env("INDICO_API_TOKEN".into()));
    assert_eq!(
        (c.user_ids.clone(), c.user_emails.clone()),
        (vec![12, 57], vec!["a@example.com".to_owned()])
    );
    assert_eq!((c.page_size, c.changelog_overlap_days), (250, 0));
    assert_eq!(c.history_start, NaiveDate::from_ymd_opt(2026, 1, 15));
    assert_eq!(c.request_timeout, Duration::from_secs(30));
    assert_eq!(c.retry.max_attempts, 1);
}

#[test]
fn defaults_and_the_token_file() {
    let text = INDICO.replace(
        "api_token_env = \"INDICO_API_TOKEN\"",
        "api_token_file = \"secrets/indico.txt\"",
    );
    let pipeline = parse(&text);
    let source = indico(&pipeline, 0);
    assert_eq!(source.datasets().len(), 5);
    let c = &source.config;
    assert_eq!(
        c.api_token,
        SecretRef::File("/etc/usagelake/secrets/indico.txt".into())
    );
    assert_eq!(
        (c.page_size, c.changelog_overlap_days, c.protocol.as_str()),
        (100, 2, "https")
    );
    assert_eq!(c.history_start, None);
    assert!(c.user_ids.is_empty() && c.user_emails.is_empty());
}

#[test]
fn problems_are_reported_with_file_line_and_key_and_never_echo_the_token() {
    let inline = with("api_token = \"s3cr3t-token-value\"\n");
    let problem = only_problem(&inline);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (9, "sources[0].api_token")
    );
    assert!(!problem.to_string().contains("s3cr3t"));

    let none = INDICO.replace("api_token_env = \"INDICO_API_TOKEN\"\n", "");
    assert_eq!(
        places(&none),
        vec![(4, "sources[0].api_token_env".to_owned())]
    );

    let bad = with(
        r#"protocol = "ftp"
user_ids = [0, "x", 3]
user_emails = ["nobody"]
page_size = 0
history_start = "yesterday"
changelog_overlap_days = 99
datasets = ["user_snapshot"]
max_retries = 50
"#,
    );
    assert_eq!(
        places(&bad),
        vec![
            (9, "sources[0].protocol".to_owned()),
            (10, "sources[0].user_ids[0]".to_owned()),
            (10, "sources[0].user_ids[1]".to_owned()),
            (11, "sources[0].user_emails[0]".to_owned()),
            (12, "sources[0].page_size".to_owned()),
            (13, "sources[0].history_start".to_owned()),
            (14, "sources[0].changelog_overlap_days".to_owned()),
            (15, "sources[0].datasets[0]".to_owned()),
            (16, "sources[0].max_retries".to_owned()),
        ]
    );
    let typo = errors(&bad).problems[7].hint.clone().unwrap_or_default();
    assert!(typo.contains("user_snapshots"), "{typo}");

    let scheme = INDICO.replace("\"app.indico.io\"", "\"https://app.indico.io\"");
    assert_eq!(only_problem(&scheme).key, "sources[0].host");
    let plain = with("protocol = \"http\"\n");
    assert!(only_problem(&plain).message.contains("unencrypted"));
    let local = INDICO.replace("\"app.indico.io\"", "\"127.0.0.1:8080\"") + "protocol = \"http\"\n";
    assert_eq!(
        indico(&parse(&local), 0).config.base_url(),
        "http://127.0.0.1:8080"
    );
    let unknown = with("page_sise = 10\n");
    assert_eq!(only_problem(&unknown).key, "sources[0].page_sise");
}

#[test]
fn shipped_indico_files_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let load = |name: &str| load_pipeline(&dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
    let example = load("indico.example.toml");
    let source = indico(&example, 0);
    assert_eq!(source.config.base_url(), "https://app.indico.io");
    assert_eq!(
        source.config.api_token,
        SecretRef::Env("INDICO_API_TOKEN".into())
    );
    assert_eq!(source.datasets().len(), 5);
    let demo = load("demo.toml");
    let source = indico(&demo, 2);
    assert_eq!(source.name(), "indico_demo");
    assert_eq!(
        source.config.history_start,
        NaiveDate::from_ymd_opt(2026, 11, 1)
    );
}
