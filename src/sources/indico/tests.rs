//! The reader against the fake over real HTTP: auth, faults, paging guards.

use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use chrono::NaiveDate;
use serde_json::json;

use super::client::IndicoClient;
use super::fake::{FakeIndico, FakeIndicoHandle, Fault, API_TOKEN};
use super::graphql::Query;
use super::{IndicoError, IndicoReader, IndicoSourceConfig};
use crate::config::SecretRef;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// A config pointed at `host`, with the token in a file and retries that do not wait.
fn config(host: &str, dir: &tempfile::TempDir, token: &str) -> IndicoSourceConfig {
    let path = dir.path().join("indico.token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    let mut config = IndicoSourceConfig::new("indico", host, SecretRef::File(path));
    config.protocol = "http".into();
    config.page_size = 7;
    config.retry.initial_backoff = Duration::from_millis(1);
    config.retry.max_retry_after = Duration::from_millis(5);
    config.retry.max_attempts = 3;
    config
}

async fn start(users: usize) -> (FakeIndicoHandle, String, tempfile::TempDir) {
    let (handle, host) = FakeIndico::generate(users, day(1), 7, 11)
        .start()
        .await
        .unwrap();
    (handle, host, tempfile::tempdir().unwrap())
}

#[tokio::test]
async fn snapshot_pages_survive_token_expiry_and_hibernation() {
    let (fake, host, dir) = start(40).await;
    let reader = IndicoReader::connect(&config(&host, &dir, API_TOKEN))
        .await
        .unwrap();
    // Page 2 finds its token revoked (401 → one refresh), page 3 hits a hibernating
    // platform (503 + Retry-After → wait and retry).
    fake.inject(2, Fault::ExpireTokens);
    fake.inject(
        4,
        Fault::Hibernating {
            retry_after_secs: 30,
        },
    );
    let (users, flat) = reader.snapshot(day(4)).await.unwrap();
    let truth = fake.truth().snapshot(day(4));
    assert_eq!(users.num_rows(), truth.len());
    let ids = users
        .column_by_name("id")
        .unwrap()
        .as_primitive::<Int32Type>();
    let expected: Vec<i32> = truth.iter().map(|(u, _)| u.id).collect();
    assert_eq!(
        ids.values().to_vec(),
        expected,
        "every user once, in id order"
    );
    let grants: usize = truth.iter().map(|(_, s)| s.datasets.len()).sum();
    assert_eq!(flat.num_rows(), grants);
    assert_eq!(
        fake.issued_tokens().len(),
        2,
        "one exchange at connect, one after the 401"
    );
    let afters: Vec<_> = fake
        .requests()
        .iter()
        .filter(|r| r.status == 200 && r.field.as_deref() == Some("userSnapshot"))
        .map(|r| r.variables["after"].as_i64())
        .collect();
    assert_eq!(afters[..3], [None, Some(7), Some(14)]);
}

#[tokio::test]
async fn a_second_401_and_a_refused_api_token_are_auth_failures_without_secrets() {
    let (fake, host, dir) = start(10).await;
    let refused = IndicoReader::connect(&config(&host, &dir, "wrong-token")).await;
    let err = refused.err().unwrap();
    assert!(matches!(err, IndicoError::Auth { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("wrong-token"));

    let reader = IndicoReader::connect(&config(&host, &dir, API_TOKEN))
        .await
        .unwrap();
    fake.inject(1, Fault::ExpireTokens);
    fake.inject(2, Fault::ExpireTokens);
    let err = reader.summary(day(2)).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, IndicoError::Auth { .. }), "{text}");
    for secret in fake
        .issued_tokens()
        .iter()
        .map(String::as_str)
        .chain([API_TOKEN])
    {
        assert!(!text.contains(secret), "a token leaked: {text}");
    }
}

#[tokio::test]
async fn graphql_errors_fail_even_next_to_data() {
    let (fake, host, dir) = start(10).await;
    let reader = IndicoReader::connect(&config(&host, &dir, API_TOKEN))
        .await
        .unwrap();
    fake.inject(
        1,
        Fault::GraphqlError {
            message: "resolver exploded".into(),
        },
    );
    let err = reader.changelog(day(1), day(7)).await.unwrap_err();
    assert!(matches!(err, IndicoError::Graphql { .. }), "{err}");
    assert!(err.to_string().contains("resolver exploded"), "{err}");
    // The same read again succeeds: nothing was half-kept.
    let all = reader.changelog(day(1), day(7)).await.unwrap();
    assert_eq!(all.num_rows(), fake.truth().changes.len());
}

#[tokio::test]
async fn cursor_loops_and_short_reads_are_caught() {
    let (fake, host, dir) = start(30).await;
    let reader = IndicoReader::connect(&config(&host, &dir, API_TOKEN))
        .await
        .unwrap();
    fake.inject(2, Fault::RepeatCursor);
    let err = reader.snapshot(day(3)).await.unwrap_err();
    assert!(
        matches!(err, IndicoError::CursorLoop { cursor: 7, .. }),
        "{err}"
    );
    fake.inject(3, Fault::WrongCount);
    let err = reader.snapshot(day(3)).await.unwrap_err();
    assert!(matches!(err, IndicoError::CountMismatch { .. }), "{err}");
}

#[tokio::test]
async fn a_field_the_schema_lacks_is_rejected_like_a_real_server() {
    let (_fake, host, dir) = start(5).await;
    let client = IndicoClient::connect(&config(&host, &dir, API_TOKEN))
        .await
        .unwrap();
    let query = Query {
        name: "Bad",
        text: "query Bad($date: Date) { userSummary(date: $date) { users { enabled asleep } } }",
    };
    let err = client
        .query::<serde_json::Value>(query, json!({"date": "2026-11-02"}), "test")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Cannot query field 'asleep' on type 'EnabledCount'."),
        "{err}"
    );
}

#[tokio::test]
async fn filters_narrow_snapshot_and_changelog() {
    let (fake, host, dir) = start(30).await;
    let mut config = config(&host, &dir, API_TOKEN);
    config.user_ids = vec![2, 3];
    config.user_emails = vec!["user10@indico.example".into()];
    let reader = IndicoReader::connect(&config).await.unwrap();
    let (users, _) = reader.snapshot(day(7)).await.unwrap();
    let ids = users
        .column_by_name("id")
        .unwrap()
        .as_primitive::<Int32Type>();
    let got: Vec<i32> = ids.values().to_vec();
    let want: Vec<i32> = fake
        .truth()
        .snapshot(day(7))
        .iter()
        .map(|(u, _)| u.id)
        .filter(|id| [2, 3, 10].contains(id))
        .collect();
    assert_eq!(got, want);
    let log = reader.changelog(day(1), day(7)).await.unwrap();
    let users = log
        .column_by_name("user_id")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert!(users.values().iter().all(|id| [2, 3, 10].contains(id)));
}
