//! Every problem kind, with the exact line users are pointed at.

use super::*;

#[test]
fn inline_password_is_rejected_without_echoing_it() {
    let text = MINIMAL.replace("host = \"h\"", "host = \"h\"\npassword = \"hunter2\"");
    let errors = errors(&text);
    assert_eq!(errors.problems.len(), 1);
    let problem = &errors.problems[0];
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (8, "sources[0].password")
    );
    assert_eq!(
        problem.message,
        "inline passwords are not allowed; use password_env or password_file"
    );
    let shown = format!("{errors}\n{errors:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.starts_with("/etc/usagelake/p.toml:8: sources[0].password: inline passwords"),
        "{shown}"
    );
}

#[test]
fn a_password_pasted_into_password_env_is_not_echoed() {
    let problem = only_problem(
        &MINIMAL.replace("host = \"h\"", "host = \"h\"\npassword_env = \"s3cr3t!pw\""),
    );
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (8, "sources[0].password_env")
    );
    assert!(!problem.to_string().contains("s3cr3t"));
}

#[test]
fn a_syntax_error_is_one_problem_with_its_line_and_no_value() {
    let problem = only_problem("[output]\nroot = \"lake\"\npassword = hunter2\n");
    assert_eq!((problem.line, problem.key.as_str()), (3, ""));
    assert!(
        problem.message.starts_with("invalid TOML: "),
        "{}",
        problem.message
    );
    assert!(!problem.to_string().contains("hunter2"));

    let duplicate = only_problem("[output]\nroot = \"a\"\nroot = \"b\"\n");
    assert_eq!(duplicate.line, 3);
}

#[test]
fn unknown_keys_are_reported_at_every_level_with_did_you_mean() {
    let text = r#"time_zon = "UTC"
[output]
root = "lake"
compresion = "zstd"
[[sources]]
name = "t"
kind = "tableau"
hots = "h"
host = "h"
colour = "blue"
"#;
    let errors = errors(text);
    let got: Vec<(usize, &str, Option<&str>)> = errors
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str(), p.hint.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "time_zon", Some("did you mean `time_zone`?")),
            (4, "output.compresion", Some("did you mean `compression`?")),
            (8, "sources[0].hots", Some("did you mean `host`?")),
            (10, "sources[0].colour", None),
        ]
    );
    assert_eq!(errors.problems[0].message, "unknown key `time_zon`");
}

#[test]
fn a_key_under_the_wrong_header_says_where_it_belongs() {
    let problem =
        only_problem(&MINIMAL.replace("root = \"lake\"", "root = \"lake\"\ntime_zone = \"UTC\""));
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (3, "output.time_zone")
    );
    assert!(problem.hint.unwrap().contains("top level"));
}

#[test]
fn wrong_types_and_out_of_range_values_carry_their_lines() {
    let text = r#"[output]
root = 7
compression = "zstd"
compression_level = 23
row_group_rows = 1000
[[sources]]
name = "t"
kind = "tableau"
host = "h"
port = "8060"
batch_rows = 0
lookback_minutes = -1
include_incomplete_jobs = "no"
connect_timeout_seconds = 601
datasets = "users"
sslmode = "verify-full"
"#;
    let errors = errors(text);
    let got: Vec<(usize, &str, &str)> = errors
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str(), p.message.as_str()))
        .collect();
    let expected = vec![
        (2, "output.root", "expected a string, found integer"),
        (
            4,
            "output.compression_level",
            "must be between 1 and 22, got 23",
        ),
        (
            5,
            "output.row_group_rows",
            "must be at least 1024, got 1000",
        ),
        (10, "sources[0].port", "expected an integer, found string"),
        (
            11,
            "sources[0].batch_rows",
            "must be between 1 and 1000000, got 0",
        ),
        (
            12,
            "sources[0].lookback_minutes",
            "must be at least 0, got -1",
        ),
        (
            13,
            "sources[0].include_incomplete_jobs",
            "expected true or false, found string",
        ),
        (
            14,
            "sources[0].connect_timeout_seconds",
            "must be between 1 and 600, got 601",
        ),
        (
            15,
            "sources[0].datasets",
            "expected an array of strings, found string",
        ),
        (16, "sources[0].sslmode", "unknown value \"verify-full\""),
    ];
    assert_eq!(got, expected);
    assert_eq!(
        errors.problems[9].hint.as_deref(),
        Some("one of: \"disable\", \"prefer\", \"require\"")
    );
}

#[test]
fn port_must_fit_in_u16() {
    let problem = only_problem(&MINIMAL.replace("host = \"h\"", "host = \"h\"\nport = 70000"));
    assert_eq!(
        (problem.line, problem.message.as_str()),
        (8, "must be between 1 and 65535, got 70000")
    );
}

#[test]
fn compression_level_needs_zstd() {
    let text = MINIMAL.replace(
        "root = \"lake\"",
        "root = \"lake\"\ncompression = \"snappy\"\ncompression_level = 5",
    );
    let problem = only_problem(&text);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (4, "output.compression_level")
    );
    // A typo'd codec is one problem, not also a level problem.
    let text = MINIMAL.replace(
        "root = \"lake\"",
        "root = \"lake\"\ncompression = \"zsdt\"\ncompression_level = 5",
    );
    let problem = only_problem(&text);
    assert_eq!(
        (problem.line, problem.hint.as_deref()),
        (3, Some("did you mean `zstd`?"))
    );
}

#[test]
fn a_bad_time_zone_gets_an_example_or_a_near_match() {
    let problem = only_problem(&format!("time_zone = \"Eastern\"\n{MINIMAL}"));
    assert_eq!((problem.line, problem.key.as_str()), (1, "time_zone"));
    assert!(problem.hint.unwrap().contains("America/New_York"));

    let typo = only_problem(&format!("time_zone = \"America/New_Yrok\"\n{MINIMAL}"));
    assert_eq!(
        typo.hint.as_deref(),
        Some("did you mean `America/New_York`?")
    );
    let case = only_problem(&format!("time_zone = \"us/eastern\"\n{MINIMAL}"));
    assert!(case.hint.unwrap().starts_with("did you mean `US/Eastern`?"));
}

#[test]
fn missing_required_keys_point_at_their_table_header() {
    let text = r#"time_zone = "UTC"

[output]
compression = "zstd"

[[sources]]
port = 8060
"#;
    assert_eq!(
        places(text),
        vec![
            (3, "output.root".to_owned()),
            (6, "sources[0].name".to_owned()),
            (6, "sources[0].kind".to_owned()),
        ]
    );
    // With a kind, its own required keys are checked too.
    let places = places("[output]\nroot = \"x\"\n[[sources]]\nname = \"a\"\nkind = \"tableau\"\n");
    assert_eq!(places, vec![(3, "sources[0].host".to_owned())]);
}

#[test]
fn missing_output_and_missing_or_empty_sources_are_problems() {
    let got = errors("time_zone = \"UTC\"\n");
    let keys: Vec<(usize, &str)> = got
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str()))
        .collect();
    assert_eq!(keys, vec![(0, "output"), (0, "sources")]);
    assert!(got
        .to_string()
        .starts_with("/etc/usagelake/p.toml: output: missing required table [output]"));

    let empty = only_problem("sources = []\n[output]\nroot = \"x\"\n");
    assert_eq!((empty.line, empty.key.as_str()), (1, "sources"));
    assert!(empty.message.starts_with("no sources"));
}

#[test]
fn duplicate_and_invalid_source_names_are_reported() {
    let text = format!("{MINIMAL}\n[[sources]]\nname = \"t\"\nkind = \"tableau\"\nhost = \"h2\"\n\n[[sources]]\nname = \"Tableau Prod\"\nkind = \"tableau\"\nhost = \"h3\"\n");
    let errors = errors(&text);
    let got: Vec<(usize, &str, &str)> = errors
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (10, "sources[1].name", "duplicate source name \"t\""),
            (
                15,
                "sources[2].name",
                "invalid source name \"Tableau Prod\""
            ),
        ]
    );
    assert_eq!(
        errors.problems[0].hint.as_deref(),
        Some("sources[0] at line 5 already uses it; source names must be unique")
    );
    assert!(errors.problems[1]
        .hint
        .as_deref()
        .unwrap()
        .contains("\"tableau_prod\""));
}

#[test]
fn unknown_kind_is_reported_and_its_keys_are_not_guessed() {
    let problem =
        only_problem(&MINIMAL.replace("kind = \"tableau\"", "kind = \"tablaeu\"\nurl = \"x\""));
    assert_eq!((problem.line, problem.key.as_str()), (6, "sources[0].kind"));
    assert_eq!(problem.hint.as_deref(), Some("did you mean `tableau`?"));
}

#[test]
fn datasets_must_be_known_unique_and_non_empty() {
    let text = MINIMAL.replace(
        "host = \"h\"",
        "host = \"h\"\ndatasets = [\n  \"http_request\",\n  \"users\",\n  \"users\",\n  3,\n]",
    );
    let errors = errors(&text);
    let got: Vec<(usize, &str, &str)> = errors
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                9,
                "sources[0].datasets[0]",
                "unknown dataset \"http_request\""
            ),
            (
                11,
                "sources[0].datasets[2]",
                "dataset \"users\" is listed twice"
            ),
            (
                12,
                "sources[0].datasets[3]",
                "expected a string, found integer"
            ),
        ]
    );
    let hint = errors.problems[0].hint.as_deref().unwrap();
    assert!(
        hint.starts_with("did you mean `http_requests`? known datasets: http_requests, "),
        "{hint}"
    );

    let empty = only_problem(&MINIMAL.replace("host = \"h\"", "host = \"h\"\ndatasets = []"));
    assert_eq!(
        (empty.line, empty.message.as_str()),
        (8, "must list at least one dataset")
    );
}

#[test]
fn password_env_and_password_file_together_are_a_problem() {
    let text = MINIMAL.replace(
        "host = \"h\"",
        "host = \"h\"\npassword_env = \"PW\"\npassword_file = \"pw\"",
    );
    let problem = only_problem(&text);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (9, "sources[0].password_file")
    );
    assert_eq!(
        problem.message,
        "set either password_env or password_file, not both"
    );
}

#[test]
fn four_distinct_problems_are_reported_together_in_file_order() {
    let text = r#"time_zone = "Mars/Olympus"
[output]
root = "lake"
row_group_rows = 10
[[sources]]
name = "t"
kind = "tableau"
host = "h"
password = "hunter2"
datasets = ["nope"]
"#;
    let errors = errors(text);
    assert_eq!(
        errors.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        vec![1, 4, 9, 10],
        "{errors}"
    );
    assert_eq!(
        errors
            .to_string()
            .lines()
            .filter(|line| !line.starts_with("    hint:"))
            .count(),
        4
    );
    assert!(!errors.to_string().contains("hunter2"));
}
