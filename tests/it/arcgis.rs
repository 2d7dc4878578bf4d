//! ArcGIS extractor against the fake portal over real HTTP on 127.0.0.1.
//!
//! The property under test: every ground-truth history event arrives exactly once by
//! `event_key` (distinct events sharing id/created/reqId included), whatever the portal
//! throws at the client; failures that cannot be retried stop with the cursor and the
//! filters in the message and no secret in it.

mod history_faults;
mod users_logins;

use std::collections::BTreeMap;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use futures_util::StreamExt;
use usagelake::config::SecretRef;
use usagelake::http::{ApiClient, RetryPolicy};
use usagelake::sources::arcgis::api::{
    event_key, ArcgisAuth, ArcgisError, ArcgisPortal, ArcgisSourceConfig, HistorySlice,
};
use usagelake::sources::arcgis::fake_portal::{self as fake, FakePortal, FakePortalHandle};

/// A running fake plus the files holding its secrets (dropped with it).
struct Fixture {
    fake: FakePortalHandle,
    url: String,
    secrets: tempfile::TempDir,
}

async fn fixture(events: usize, users: usize) -> Fixture {
    let (fake, url) = FakePortal::generate(events, users, 42)
        .start()
        .await
        .expect("start the fake portal");
    let secrets = tempfile::tempdir().expect("tempdir");
    for (name, value) in [
        ("password", fake::ADMIN_PASSWORD),
        ("client_secret", fake::CLIENT_SECRET),
    ] {
        std::fs::write(secrets.path().join(name), format!("{value}\n")).expect("write secret");
    }
    Fixture { fake, url, secrets }
}

impl Fixture {
    fn secret(&self, name: &str) -> SecretRef {
        SecretRef::File(self.secrets.path().join(name))
    }

    /// User + password auth, fast retries so tests stay quick, 4 concurrent day slices.
    fn config(&self) -> ArcgisSourceConfig {
        let auth = ArcgisAuth::UserPassword {
            username: fake::ADMIN_USERNAME.into(),
            password: self.secret("password"),
            referer: "https://usagelake.test".into(),
            expiration_minutes: 60,
        };
        let mut cfg = ArcgisSourceConfig::new("agol", &self.url, auth);
        cfg.request_timeout = Duration::from_secs(10);
        cfg.retry = RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
        };
        cfg
    }

    async fn connect(&self, cfg: &ArcgisSourceConfig) -> Result<ArcgisPortal, ArcgisError> {
        let client = ApiClient::new(&cfg.client_options()).expect("client");
        ArcgisPortal::connect(cfg, client).await
    }

    /// Every secret a message must never show.
    fn secrets_in(&self, text: &str) -> Vec<String> {
        let mut secrets = self.fake.issued_tokens();
        secrets.extend([
            fake::ADMIN_PASSWORD.to_string(),
            fake::CLIENT_SECRET.to_string(),
        ]);
        secrets
            .into_iter()
            .filter(|s| text.contains(s.as_str()))
            .collect()
    }
}

/// Drains `history` over the whole ground-truth range; stops at the first error.
async fn fetch(
    portal: &ArcgisPortal,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<HistorySlice>, ArcgisError> {
    let mut out = Vec::new();
    let mut stream = std::pin::pin!(portal.history(from_ms, to_ms));
    while let Some(slice) = stream.next().await {
        out.push(slice?);
    }
    Ok(out)
}

fn keys(slices: &[HistorySlice]) -> Vec<i64> {
    slices
        .iter()
        .flat_map(|s| {
            s.batch
                .column_by_name("event_key")
                .unwrap()
                .as_primitive::<Int64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

/// Keys of the ground truth; asserts they are distinct (the truth has no exact repeats)
/// and that some events share id, created and reqId (the case a naive key merges).
fn truth_keys(fake: &FakePortalHandle) -> Vec<i64> {
    let events = &fake.truth().events;
    let mut keys: Vec<i64> = events.iter().map(event_key).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        keys.len(),
        events.len(),
        "ground truth keys must be distinct"
    );
    let mut triples = BTreeMap::new();
    for e in events {
        *triples
            .entry((
                e["id"].to_string(),
                e["created"].to_string(),
                e["reqId"].to_string(),
            ))
            .or_insert(0) += 1;
    }
    assert!(
        triples.values().any(|&n| n > 1),
        "truth must include events sharing id/created/reqId"
    );
    keys
}

/// Every truth event exactly once: same multiset of keys, no duplicates.
fn assert_exactly_once(fake: &FakePortalHandle, slices: &[HistorySlice]) {
    let mut got = keys(slices);
    got.sort_unstable();
    let want = truth_keys(fake);
    let duplicates = got.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(duplicates, 0, "duplicate event keys fetched");
    assert_eq!(
        got.len(),
        want.len(),
        "fetched {} events, truth has {}",
        got.len(),
        want.len()
    );
    assert_eq!(got, want, "fetched keys differ from the ground truth");
}

fn range(fake: &FakePortalHandle) -> (i64, i64) {
    fake.truth().range_ms()
}
