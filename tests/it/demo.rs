//! `usagelake demo` as a new user runs it, and the lake it writes opened by the tools
//! analysts use.

use std::process::Command;

use crate::support::cli::{assert_success, usagelake};
use crate::support::lake::total_rows;

const REQUESTS: &str = "5000";

#[test]
fn demo_twice_adds_no_rows_and_every_reader_opens_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lake");
    let args = [
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--requests",
        REQUESTS,
    ];
    let first = usagelake(&args, &[], &[]);
    assert_success(&first);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("tableau_demo/http_requests") && stdout.contains("duckdb"),
        "{stdout}"
    );
    let rows = total_rows(&out);
    assert!(rows > 5000, "{rows}");
    // The application audit table of the `postgres` source, and its sessions.
    for dataset in ["login_audit", "auth_events", "auth_rejected", "sessions"] {
        let dir = out.join("app_demo").join(dataset);
        assert!(total_rows(&dir) > 0, "app_demo/{dataset} is empty");
    }

    assert_success(&usagelake(&args, &[], &[]));
    assert_eq!(total_rows(&out), rows, "a second demo added rows");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/support/read_lake.py");
    let has_readers = Command::new("python3")
        .args(["-c", "import duckdb, pyarrow, pandas, polars"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_readers {
        // CI installs them (.ci/run); a developer machine may not have them.
        assert!(
            std::env::var_os("CI").is_none(),
            "python readers missing in CI"
        );
        eprintln!("skipping reader check: pip install duckdb pyarrow pandas polars");
        return;
    }
    let check = Command::new("python3")
        .args([script, out.to_str().unwrap(), "tableau_demo", REQUESTS])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "readers failed:\n{}\n{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
