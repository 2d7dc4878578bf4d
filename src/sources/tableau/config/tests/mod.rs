//! Pipeline file tests. Valid files here; every problem kind with its line in `problems`.

mod problems;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::config::{Compression, SecretRef, SslMode};
use crate::pipeline::file::test_support::{errors, only_problem, parse, places, FILE};
use crate::pipeline::file::{load_pipeline, parse_pipeline, Pipeline};
use crate::sources::SourceConfig;

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
    assert_eq!(prod.connection.host, "tableau.example.com");
    assert_eq!(prod.connection.port, 5433);
    assert_eq!(prod.connection.database, "wg");
    assert_eq!(prod.connection.user, "etl");
    assert_eq!(
        prod.connection.password,
        Some(SecretRef::Env("TABLEAU_REPO_PASSWORD".into()))
    );
    assert_eq!(prod.connection.sslmode, SslMode::Require);
    assert_eq!(
        prod.datasets,
        Some(vec!["http_requests".to_owned(), "users".to_owned()])
    );
    assert_eq!(prod.batch_rows, 1000);
    assert_eq!(prod.lookback, Duration::ZERO);
    assert!(prod.include_incomplete_jobs);
    assert_eq!(prod.connection.connect_timeout, Duration::from_secs(600));
    let dev = tableau(&pipeline, 1);
    assert_eq!(dev.name, "tableau-dev");
    assert_eq!(
        dev.connection.password,
        Some(SecretRef::File(PathBuf::from(
            "/etc/usagelake/secrets/dev.pw"
        )))
    );
    assert_eq!(dev.connection.sslmode, SslMode::Disable);
}

#[test]
fn omitted_keys_take_their_defaults() {
    let pipeline = parse(MINIMAL);
    assert_eq!(pipeline.time_zone, chrono_tz::UTC);
    assert_eq!(pipeline.output.compression, Compression::Snappy);
    assert_eq!(pipeline.output.row_group_rows, 1_048_576);
    let source = tableau(&pipeline, 0);
    assert_eq!(source.connection.port, 8060);
    assert_eq!(source.connection.database, "workgroup");
    assert_eq!(source.connection.user, "readonly");
    assert_eq!(source.connection.password, None);
    assert_eq!(source.connection.sslmode, SslMode::Prefer);
    assert_eq!(source.datasets, None);
    assert_eq!(source.batch_rows, 65_536);
    assert_eq!(source.lookback, Duration::from_secs(3600));
    assert!(!source.include_incomplete_jobs);
    assert_eq!(source.connection.connect_timeout, Duration::from_secs(10));

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
        tableau(&pipeline, 0).connection.password,
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
        tableau(&example, 0).connection.password,
        Some(SecretRef::Env("TABLEAU_REPO_PASSWORD".into()))
    );
    assert_eq!(tableau(&example, 0).connection.port, 8060);
    assert_eq!(tableau(&example, 0).connection.sslmode, SslMode::VerifyCa);
    assert_eq!(
        tableau(&example, 0).connection.root_cert_file,
        Some(dir.join("certs/tableau-repository.crt"))
    );
    assert_eq!(
        tableau(&example, 0).connection.idle_in_transaction_timeout,
        std::time::Duration::from_secs(600)
    );

    let demo = load_pipeline(&dir.join("demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(demo.time_zone, chrono_tz::America::New_York);
    assert_eq!(demo.output.root, dir.join("usagelake-demo"));
    let source = tableau(&demo, 0);
    assert_eq!(
        (
            source.name.as_str(),
            source.connection.user.as_str(),
            source.connection.database.as_str()
        ),
        ("tableau_demo", "postgres", "workgroup")
    );
    assert_eq!(
        (
            source.connection.password.clone(),
            source.connection.sslmode
        ),
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
    let pipeline = crate::pipeline::parse_pipeline(text, std::path::Path::new("p.toml")).unwrap();
    let crate::sources::SourceConfig::Tableau(t) = &pipeline.sources[0] else {
        panic!("tableau")
    };
    assert!(!t.enrich);
    let text = text.replace("enrich = false\n", "");
    let pipeline = crate::pipeline::parse_pipeline(&text, std::path::Path::new("p.toml")).unwrap();
    let crate::sources::SourceConfig::Tableau(t) = &pipeline.sources[0] else {
        panic!("tableau")
    };
    assert!(t.enrich);
}
