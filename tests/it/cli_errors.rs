//! What a user sees when the pipeline file or the source is wrong.

use crate::support::cli::{usagelake, write_file};
use crate::support::lake::parquet_files;

#[test]
fn bad_pipeline_exits_2_listing_every_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "bad.toml",
        r#"time_zone = "Mars/Olympus"

[output]
root = "lake"
compresion = "zstd"

[[sources]]
name = "tab"
kind = "tableau"
host = "127.0.0.1"
password = "hunter2"
datasets = ["http_requests", "nope"]
"#,
    );
    let out = usagelake(&["check", path.to_str().unwrap()], &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for (line, needle) in [
        (1, "time_zone"),
        (5, "compresion"),
        (11, "password"),
        (12, "nope"),
    ] {
        assert!(
            err.contains(&format!("bad.toml:{line}:")),
            "line {line} missing in:\n{err}"
        );
        assert!(err.contains(needle), "{needle} missing in:\n{err}");
    }
    assert!(!err.contains("hunter2"), "secret leaked:\n{err}");
    // `run` validates the same way before touching anything.
    let out = usagelake(&["run", path.to_str().unwrap()], &[], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unreachable_database_exits_1_and_writes_nothing() {
    // A loopback port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "p.toml",
        &format!(
            "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"tab\"\nkind = \"tableau\"\nhost = \"127.0.0.1\"\nport = {port}\nconnect_timeout_seconds = 3\n"
        ),
    );
    let out = usagelake(&["run", path.to_str().unwrap()], &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1") && err.contains(&port.to_string()),
        "unclear error:\n{err}"
    );
    // No data files; the run ledger records the failed run (under `_usagelake/`).
    assert!(parquet_files(&dir.path().join("lake").join("tab")).is_empty());
}

#[test]
fn bad_arguments_exit_2() {
    let out = usagelake(
        &[
            "run",
            "x.toml",
            "--from",
            "2026-13-01",
            "--to",
            "2026-01-01",
        ],
        &[],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = usagelake(&["frobnicate"], &[], &[]);
    assert_eq!(out.status.code(), Some(2));
}
