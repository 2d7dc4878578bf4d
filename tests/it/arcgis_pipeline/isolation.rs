//! One dataset's failure does not stop the others: the run stores every dataset that
//! can run, reports each failure (stderr, run summary, ledger), exits 1, and leaves
//! every watermark where the data it covers ends.

use std::collections::BTreeMap;

use arrow_array::cast::AsArray;

use super::*;

/// (dataset → (dataset_status, dataset_error)) and the run status of the one ledger file.
fn ledger(lake: &PortalLake) -> (String, BTreeMap<String, (String, Option<String>)>) {
    let files = parquet_files(&lake.root().join("_usagelake/ledger"));
    assert_eq!(files.len(), 1, "{files:?}");
    let mut rows = BTreeMap::new();
    let mut run_status = String::new();
    for batch in read_batches(&files[0]) {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (status, dataset) = (text("status"), text("dataset"));
        let (dataset_status, dataset_error) = (text("dataset_status"), text("dataset_error"));
        for i in 0..batch.num_rows() {
            run_status = status.value(i).to_string();
            let error = (!arrow_array::Array::is_null(&dataset_error, i))
                .then(|| dataset_error.value(i).to_string());
            rows.insert(
                dataset.value(i).to_string(),
                (dataset_status.value(i).to_string(), error),
            );
        }
    }
    (run_status, rows)
}

fn users_rows(lake: &PortalLake) -> usize {
    parquet_files(&lake.dataset("users"))
        .iter()
        .flat_map(|f| read_batches(f))
        .map(|b| b.num_rows())
        .sum()
}

fn signed_in(lake: &PortalLake) -> usize {
    let users = &lake.fake.truth().users;
    users.iter().filter(|u| u["lastLogin"] != -1).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_history_still_archives_users_and_logins() {
    // One slice at a time: the first slice (10-31 local, before any event) is one page,
    // the 403 hits the second slice's second page.
    let lake = portal_lake("concurrency = 1").await;
    lake.fake.inject(
        Endpoint::History,
        3,
        Fault::ErrorEnvelope {
            code: 403,
            message: "You do not have permissions to access this resource.".into(),
        },
    );
    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    for needle in [
        "1 source(s) or dataset(s) failed",
        "agol/history",
        "403",
        "history slice [",
    ] {
        assert!(text.contains(needle), "stderr lacks {needle:?}:\n{text}");
    }
    assert!(!text.contains(fake::ADMIN_PASSWORD));

    assert_eq!(users_rows(&lake), USERS, "users ran after history failed");
    assert_eq!(lake.login_rows().len(), signed_in(&lake), "logins too");
    let state = lake.state();
    assert_eq!(
        state["datasets"]["history"]["watermark_key"].as_i64(),
        Some(fake::FIRST_DAY_MS),
        "history checkpointed the slice before the failure, no further"
    );
    assert!(state["datasets"]["users"]["last_snapshot_date"].is_string());

    let (status, rows) = ledger(&lake);
    assert_eq!(status, "failed");
    let (history_status, history_error) = &rows["history"];
    assert_eq!(history_status, "failed");
    assert!(history_error.as_deref().unwrap().contains("403"));
    assert_eq!(rows["users"], ("ok".to_string(), None));
    assert_eq!(rows["logins"], ("ok".to_string(), None));

    // The run summary is saved with the failure in it.
    let runs: Vec<_> = std::fs::read_dir(lake.root().join("_usagelake/runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&runs[0]).unwrap()).unwrap();
    let datasets = summary["sources"][0]["datasets"].as_array().unwrap();
    assert!(datasets[0]["error"].as_str().unwrap().contains("403"));
    assert!(datasets[1]["error"].is_null());

    // The next run picks history up from its checkpoint and completes it.
    lake.run_ok();
    lake.assert_history_exactly_once();
    assert_eq!(
        users_rows(&lake),
        USERS,
        "same-day snapshot replaced, not doubled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_users_read_fails_users_and_logins_only() {
    let lake = portal_lake("").await;
    lake.fake.inject(
        Endpoint::Users,
        1,
        Fault::ErrorEnvelope {
            code: 403,
            message: "Token is valid but access is denied.".into(),
        },
    );
    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("2 source(s) or dataset(s) failed"), "{text}");
    assert!(
        text.contains("agol/users") && text.contains("agol/logins"),
        "{text}"
    );
    lake.assert_history_exactly_once();
    assert!(!lake.dataset("users").exists());
    let (status, rows) = ledger(&lake);
    assert_eq!(status, "failed");
    assert_eq!(rows["history"], ("ok".to_string(), None));
    assert!(rows["users"]
        .1
        .as_deref()
        .unwrap()
        .contains("access is denied"));
    assert!(rows["logins"].1.as_deref().unwrap().contains("not run"));
    assert!(lake.state()["datasets"]["history"]["watermark_key"].is_i64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_source_does_not_skip_the_sources_after_it() {
    let lake = portal_lake("").await;
    // Two sources that fail before `agol` in the same pipeline: a Tableau repository
    // nobody listens for, and a portal whose password is wrong.
    std::fs::write(lake.dir.path().join("wrong.pw"), "not-the-password\n").unwrap();
    let text = std::fs::read_to_string(lake.pipeline()).unwrap();
    let url = text
        .lines()
        .find_map(|l| l.strip_prefix("portal_url = "))
        .unwrap()
        .to_string();
    let broken = format!(
        r#"[[sources]]
name = "tab"
kind = "tableau"
host = "127.0.0.1"
port = 1
database = "workgroup"
user = "postgres"
sslmode = "disable"
connect_timeout_seconds = 3

[[sources]]
name = "agol_old"
kind = "arcgis"
portal_url = {url}
username = "{user}"
password_file = "wrong.pw"

[[sources]]
name = "agol""#,
        user = fake::ADMIN_USERNAME
    );
    std::fs::write(
        lake.pipeline(),
        text.replacen("[[sources]]\nname = \"agol\"", &broken, 1),
    )
    .unwrap();

    let out = lake.run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("2 source(s) or dataset(s) failed"), "{text}");
    assert!(
        text.contains("tab: ") && text.contains("agol_old: "),
        "{text}"
    );
    assert!(!text.contains("not-the-password"));
    // The source after the broken ones ran whole.
    lake.assert_history_exactly_once();
    assert_eq!(users_rows(&lake), USERS);
    assert_eq!(lake.login_rows().len(), signed_in(&lake));

    let files = parquet_files(&lake.root().join("_usagelake/ledger"));
    assert_eq!(files.len(), 1, "{files:?}");
    let mut rows = Vec::new();
    for batch in read_batches(&files[0]) {
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (source, dataset) = (text("source"), text("dataset"));
        let (status, error) = (text("dataset_status"), text("dataset_error"));
        for i in 0..batch.num_rows() {
            let optional = |column: &arrow_array::StringArray| {
                (!arrow_array::Array::is_null(column, i)).then(|| column.value(i).to_string())
            };
            rows.push((
                source.value(i).to_string(),
                optional(&dataset),
                status.value(i).to_string(),
                optional(&error).is_some(),
            ));
        }
    }
    let row = |source: &str, dataset: Option<&str>| {
        rows.iter()
            .find(|r| r.0 == source && r.1.as_deref() == dataset)
            .unwrap_or_else(|| panic!("no ledger row {source}/{dataset:?}: {rows:?}"))
            .clone()
    };
    assert_eq!(row("tab", None).2, "failed");
    assert!(row("tab", None).3);
    assert_eq!(row("agol_old", None).2, "failed");
    for dataset in ["history", "users", "logins"] {
        assert_eq!(row("agol", Some(dataset)).2, "ok", "{rows:?}");
    }
}
