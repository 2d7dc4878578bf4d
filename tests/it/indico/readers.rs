//! DuckDB, pyarrow, pandas and polars read the Indico datasets, nested columns
//! included, and the README's audit query answers "who had access to dataset X on day
//! D, and who granted it" as the ground truth says.

use std::process::Command;

use crate::support::indico_lake::{day, IndicoLake};
use usagelake::sources::indico::fake::truth::{day_end, ADMIN_EMAIL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_readers_and_the_audit_query() {
    let lake = IndicoLake::start(80, 7, "").await;
    lake.run_ok("2026-11-07");
    let truth = lake.fake.truth();
    let audit_day = day("2026-11-05");
    // The dataset with the most grants on that day makes the query say something.
    let snapshot = truth.snapshot(audit_day);
    let mut counts = std::collections::BTreeMap::new();
    for (_, state) in &snapshot {
        for (dataset, _) in &state.datasets {
            *counts.entry(*dataset).or_insert(0) += 1;
        }
    }
    let (&dataset, _) = counts.iter().max_by_key(|(_, n)| **n).unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/read_indico.py"
    );
    let out = Command::new("python3")
        .args([
            script,
            lake.root().to_str().unwrap(),
            "ind",
            &dataset.to_string(),
            "2026-11-05",
        ])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(stdout.lines().last().unwrap()).unwrap();

    // Truth: holders of `dataset` at the end of the day, and the latest change that gave
    // them their role on it (none if they had it before the archive's first change).
    let mut want = Vec::new();
    for (user, state) in &snapshot {
        let Some((_, role)) = state.datasets.iter().find(|(d, _)| *d == dataset) else {
            continue;
        };
        let granted = truth
            .changes
            .iter()
            .filter(|c| c.user_id == user.id && c.date <= day_end(audit_day))
            .filter(|c| c.after.datasets.contains(&(dataset, role.clone())))
            .filter(|c| !c.before.datasets.contains(&(dataset, role.clone())))
            .map(|c| c.date)
            .max();
        want.push((user.id as i64, role.clone(), granted));
    }
    let got: Vec<(i64, String, Option<i64>)> = rows
        .iter()
        .map(|r| {
            let at = r[4]
                .as_str()
                .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp());
            if at.is_some() {
                assert_eq!(r[3].as_str(), Some(ADMIN_EMAIL));
            }
            (
                r[0].as_i64().unwrap(),
                r[2].as_str().unwrap().to_string(),
                at,
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
