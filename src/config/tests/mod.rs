//! Pipeline file tests. Valid files here; every problem kind with its line in `problems`.

mod problems;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::sources::tableau::config::*;
use crate::sources::SourceConfig;

const FILE: &str = "/etc/usagelake/p.toml";

pub(crate) fn parse(text: &str) -> Pipeline {
    parse_pipeline(text, Path::new(FILE))
        .unwrap_or_else(|errors| panic!("unexpected problems:\n{errors}"))
}

pub(crate) fn errors(text: &str) -> ConfigErrors {
    match parse_pipeline(text, Path::new(FILE)) {
        Ok(pipeline) => panic!("expected problems, parsed {pipeline:?}"),
        Err(errors) => errors,
    }
}

/// (line, key) of every problem, in reported order.
pub(crate) fn places(text: &str) -> Vec<(usize, String)> {
    errors(text)
        .problems
        .into_iter()
        .map(|p| (p.line, p.key))
        .collect()
}

/// The single problem a text produces.
pub(crate) fn only_problem(text: &str) -> ConfigProblem {
    let mut errors = errors(text);
    assert_eq!(
        errors.problems.len(),
        1,
        "expected one problem, got:\n{errors}"
    );
    errors.problems.remove(0)
}

fn tableau(pipeline: &Pipeline, i: usize) -> &TableauSource {
    match &pipeline.sources[i] {
        SourceConfig::Tableau(source) => source,
        other => panic!("source {i} is {}, not tableau", other.kind()),
    }
}

const MINIMAL: &str = r#"[output]
root = "lake"

[[sources]]
name = "t"
kind = "tableau"
host = "h"
"#;

#[test]
fn full_file_with_every_key_parses_into_typed_values() {
    let pipeline = parse(
        r#"time_zone = "Europe/Berlin"

[output]
root = "/mnt/share/usagelake"
compression = "zstd"
compression_level = 9
row_group_rows = 131_072

[[sources]]
name = "tableau_prod"
kind = "tableau"
host = "tableau.example.com"
port = 5433
database = "wg"
user = "etl"
password_env = "TABLEAU_REPO_PASSWORD"
sslmode = "require"
datasets = ["http_requests", "users"]
batch_rows = 1000
lookback_minutes = 0
include_incomplete_jobs = true
connect_timeout_seconds = 600

[[sources]]
name = "tableau-dev"
kind = "tableau"
host = "dev"
password_file = "secrets/dev.pw"
sslmode = "disable"
"#,
    );
    assert_eq!(pipeline.path, PathBuf::from(FILE));
    assert_eq!(pipeline.time_zone, chrono_tz::Europe::Berlin);
    assert_eq!(pipeline.output.root, PathBuf::from("/mnt/share/usagelake"));
    assert_eq!(pipeline.output.compression, Compression::Zstd(9));
    assert_eq!(pipeline.output.row_group_rows, 131_072);
    assert_eq!(pipeline.sources.len(), 2);
    let prod = tableau(&pipeline, 0);
    assert_eq!(pipeline.sources[0].name(), "tableau_prod");
    assert_eq!(pipeline.sources[0].kind(), "tableau");
    assert_eq!(prod.host, "tableau.example.com");
    assert_eq!(prod.port, 5433);
    assert_eq!(prod.database, "wg");
    assert_eq!(prod.user, "etl");
    assert_eq!(
        prod.password,
        Some(SecretRef::Env("TABLEAU_REPO_PASSWORD".into()))
    );
    assert_eq!(prod.sslmode, SslMode::Require);
    assert_eq!(
        prod.datasets,
        Some(vec!["http_requests".to_owned(), "users".to_owned()])
    );
    assert_eq!(prod.batch_rows, 1000);
    assert_eq!(prod.lookback, Duration::ZERO);
    assert!(prod.include_incomplete_jobs);
    assert_eq!(prod.connect_timeout, Duration::from_secs(600));
    let dev = tableau(&pipeline, 1);
    assert_eq!(dev.name, "tableau-dev");
    assert_eq!(
        dev.password,
        Some(SecretRef::File(PathBuf::from(
            "/etc/usagelake/secrets/dev.pw"
        )))
    );
    assert_eq!(dev.sslmode, SslMode::Disable);
}

#[test]
fn omitted_keys_take_their_defaults() {
    let pipeline = parse(MINIMAL);
    assert_eq!(pipeline.time_zone, chrono_tz::UTC);
    assert_eq!(pipeline.output.compression, Compression::Snappy);
    assert_eq!(pipeline.output.row_group_rows, 1_048_576);
    let source = tableau(&pipeline, 0);
    assert_eq!(source.port, 8060);
    assert_eq!(source.database, "workgroup");
    assert_eq!(source.user, "readonly");
    assert_eq!(source.password, None);
    assert_eq!(source.sslmode, SslMode::Prefer);
    assert_eq!(source.datasets, None);
    assert_eq!(source.batch_rows, 65_536);
    assert_eq!(source.lookback, Duration::from_secs(3600));
    assert!(!source.include_incomplete_jobs);
    assert_eq!(source.connect_timeout, Duration::from_secs(10));

    let zstd =
        parse(&MINIMAL.replace("root = \"lake\"", "root = \"lake\"\ncompression = \"zstd\""));
    assert_eq!(zstd.output.compression, Compression::Zstd(3));
    let none =
        parse(&MINIMAL.replace("root = \"lake\"", "root = \"lake\"\ncompression = \"none\""));
    assert_eq!(none.output.compression, Compression::Uncompressed);
}

#[test]
fn relative_paths_resolve_against_the_pipeline_files_directory() {
    let text = MINIMAL.replace("host = \"h\"", "host = \"h\"\npassword_file = \"pw/t.txt\"");
    let pipeline = parse(&text);
    assert_eq!(pipeline.output.root, PathBuf::from("/etc/usagelake/lake"));
    assert_eq!(
        tableau(&pipeline, 0).password,
        Some(SecretRef::File("/etc/usagelake/pw/t.txt".into()))
    );

    let bare = parse_pipeline(MINIMAL, Path::new("p.toml")).unwrap();
    assert_eq!(bare.output.root, PathBuf::from("lake"));
}

#[test]
fn shipped_pipeline_files_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let example =
        load_pipeline(&dir.join("tableau.example.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(example.sources[0].name(), "tableau_prod");
    assert_eq!(
        tableau(&example, 0).password,
        Some(SecretRef::Env("TABLEAU_REPO_PASSWORD".into()))
    );
    assert_eq!(tableau(&example, 0).port, 8060);

    let demo = load_pipeline(&dir.join("demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(demo.time_zone, chrono_tz::America::New_York);
    assert_eq!(demo.output.root, dir.join("usagelake-demo"));
    let source = tableau(&demo, 0);
    assert_eq!(
        (
            source.name.as_str(),
            source.user.as_str(),
            source.database.as_str()
        ),
        ("tableau_demo", "postgres", "workgroup")
    );
    assert_eq!(
        (source.password.clone(), source.sslmode),
        (None, SslMode::Disable)
    );
}

#[test]
fn an_unreadable_file_is_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let errors = load_pipeline(&path).unwrap_err();
    assert_eq!(errors.problems.len(), 1);
    assert_eq!(
        (errors.problems[0].line, errors.problems[0].file.clone()),
        (0, path)
    );
}

#[test]
fn enrich_defaults_to_true_and_can_be_switched_off() {
    let text = "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"t\"\nkind = \"tableau\"\nhost = \"h\"\nenrich = false\n";
    let pipeline = crate::config::parse_pipeline(text, std::path::Path::new("p.toml")).unwrap();
    let crate::config::SourceConfig::Tableau(t) = &pipeline.sources[0] else {
        panic!("tableau")
    };
    assert!(!t.enrich);
    let text = text.replace("enrich = false\n", "");
    let pipeline = crate::config::parse_pipeline(&text, std::path::Path::new("p.toml")).unwrap();
    let crate::config::SourceConfig::Tableau(t) = &pipeline.sources[0] else {
        panic!("tableau")
    };
    assert!(t.enrich);
}
