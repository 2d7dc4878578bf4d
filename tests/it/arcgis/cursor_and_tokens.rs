//! Transient faults that arrive as a well-formed answer: a `nextKey` handed back once
//! more, a token rejected right after its renewal, garbage bodies. Each is retried a
//! bounded number of times; only a fault that persists fails the slice.

use usagelake::sources::arcgis::api::ArcgisError;
use usagelake::sources::arcgis::fake_portal::{Endpoint, Fault, LoggedRequest};

use super::*;

const EVENTS: usize = 1500;

fn history_requests(fake: &FakePortalHandle) -> Vec<LoggedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::History))
        .collect()
}

#[tokio::test]
async fn a_next_key_repeated_once_is_re_requested_not_fatal() {
    let fx = fixture(EVENTS, 20).await;
    // Request 2 is the first day's second page (it has a cursor); request 7 is further
    // on, with a cursor or not depending on day sizes (a first page ignores the fault).
    fx.fake.inject(Endpoint::History, 2, Fault::RepeatNextKey);
    fx.fake.inject(Endpoint::History, 7, Fault::RepeatNextKey);
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    let slices = fetch(&portal, from, to)
        .await
        .expect("a once-repeated nextKey is transient");
    assert_exactly_once(&fx.fake, &slices);
    let history = history_requests(&fx.fake);
    let mut repeated = 0;
    for (i, faulty) in history.iter().enumerate() {
        if faulty.fault != Some(Fault::RepeatNextKey) || !faulty.params.contains_key("start") {
            continue;
        }
        repeated += 1;
        assert_eq!(
            history[i + 1].params,
            faulty.params,
            "the page is requested again with the same cursor"
        );
    }
    assert!(repeated >= 1, "request 2 has a cursor");
    // Each repeat cost one extra request, no more.
    let pages: u32 = slices.iter().map(|s| s.pages).sum();
    assert_eq!(history.len() as u32, pages + repeated);
}

#[tokio::test]
async fn a_next_key_that_keeps_repeating_fails_after_bounded_re_requests() {
    let fx = fixture(EVENTS, 20).await;
    fx.fake.set_repeat_next_key(true);
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    match fetch(&portal, from, to).await {
        Err(ArcgisError::CursorLoop { slice, key }) => {
            assert_eq!(slice.from_ms, from, "the first slice fails first");
            assert!(!key.is_empty());
        }
        other => panic!("expected CursorLoop, got {:?}", other.map(|s| s.len())),
    }
    // Page 1 gives K; page K gives K again, requested max_attempts (4) times in all.
    assert_eq!(fx.fake.request_count(Endpoint::History), 1 + 4);
}

#[tokio::test]
async fn a_token_revoked_again_right_after_renewal_is_renewed_again() {
    let fx = fixture(EVENTS, 20).await;
    // The page of request 4 is rejected, renewed, rejected again (the revocation raced
    // with the renewal), renewed again, then served.
    fx.fake.inject(Endpoint::History, 4, Fault::ExpireTokens);
    fx.fake.inject(Endpoint::History, 5, Fault::ExpireTokens);
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    let slices = fetch(&portal, from, to)
        .await
        .expect("a revocation racing the renewal is survived");
    assert_exactly_once(&fx.fake, &slices);
    assert_eq!(fx.fake.issued_tokens().len(), 3, "connect + two renewals");
    let history = history_requests(&fx.fake);
    assert_eq!(history[3].params, history[4].params);
    assert_eq!(history[4].params, history[5].params, "same page each time");
}

#[tokio::test]
async fn a_token_that_stays_rejected_fails_after_bounded_renewals() {
    let fx = fixture(300, 5).await;
    fx.fake
        .inject_every(Endpoint::History, 1, Fault::ExpireTokens);
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    let err = fetch(&portal, from, to).await.expect_err("never accepted");
    assert!(matches!(err, ArcgisError::Auth { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("after 4 renewals"), "{message}");
    assert!(fx.secrets_in(&format!("{message} {err:?}")).is_empty());
    assert_eq!(fx.fake.issued_tokens().len(), 1 + 4);
    assert_eq!(fx.fake.request_count(Endpoint::History), 1 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_slices_share_one_renewal() {
    let fx = fixture(EVENTS, 20).await;
    // 20 ms per page keeps the four slices' requests in flight together, so the
    // revocation at request 6 rejects the token of several of them at once.
    fx.fake
        .set_page_latency(std::time::Duration::from_millis(20));
    fx.fake.inject(Endpoint::History, 6, Fault::ExpireTokens);
    let portal = fx.connect(&fx.config()).await.unwrap();
    let (from, to) = range(&fx.fake);
    let slices = fetch(&portal, from, to).await.unwrap();
    assert_exactly_once(&fx.fake, &slices);
    let rejected = history_requests(&fx.fake)
        .iter()
        .filter(|r| r.api_error == Some(498))
        .count();
    println!("{rejected} history requests saw the revoked token");
    assert!(rejected >= 2, "the revocation hit several slices at once");
    assert_eq!(
        fx.fake.issued_tokens().len(),
        2,
        "one token at connect, one renewal for every slice that saw it rejected"
    );
}

#[tokio::test]
async fn garbage_answers_are_retried_as_transient() {
    let fx = fixture(EVENTS, 20).await;
    let faults = [
        (2, Fault::InvalidJson),
        (4, Fault::HtmlPage { status: 502 }),
        (6, Fault::HtmlPage { status: 200 }),
        (
            8,
            Fault::Raw {
                status: 200,
                body: r#"{"error":{"message":"Unexpected error"}}"#.into(),
            },
        ),
        (
            10,
            Fault::Raw {
                status: 200,
                body: r#"{"num":0,"status":"ok"}"#.into(),
            },
        ),
        (12, Fault::InvalidJson),
        (13, Fault::InvalidJson),
    ];
    for (nth, fault) in faults.clone() {
        fx.fake.inject(Endpoint::History, nth, fault);
    }
    fx.fake
        .inject(Endpoint::Users, 1, Fault::HtmlPage { status: 200 });
    fx.fake.inject(
        Endpoint::Users,
        2,
        Fault::Raw {
            status: 200,
            body: "[]".into(),
        },
    );
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    let slices = fetch(&portal, from, to)
        .await
        .expect("garbage is transient");
    assert_exactly_once(&fx.fake, &slices);
    let users = portal.users().await.expect("users too");
    assert_eq!(users.num_rows(), 20);
    let served = fx
        .fake
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert_eq!(served, faults.len() + 2, "every fault was served");
}

#[tokio::test]
async fn garbage_that_never_stops_fails_with_the_page_named() {
    let fx = fixture(300, 5).await;
    fx.fake
        .inject_every(Endpoint::History, 1, Fault::HtmlPage { status: 200 });
    let mut cfg = fx.config();
    cfg.concurrency = 1;
    let portal = fx.connect(&cfg).await.unwrap();
    let (from, to) = range(&fx.fake);
    let err = fetch(&portal, from, to).await.expect_err("always garbage");
    let ArcgisError::Http(http) = &err else {
        panic!("unexpected error {err}")
    };
    assert_eq!(http.attempts, 4, "bounded by max_attempts");
    let message = err.to_string();
    assert!(message.contains("unreadable response"), "{message}");
    assert!(message.contains("history slice ["), "{message}");
}

/// `generateToken` answering `{}` (no token, no error), as portals behind some proxies
/// do under load: a garbage answer like any other, retried a bounded number of times.
#[tokio::test]
async fn a_token_answer_with_neither_token_nor_error_is_retried() {
    let fx = fixture(300, 5).await;
    let empty = || Fault::Raw {
        status: 200,
        body: "{}".into(),
    };
    fx.fake.inject(Endpoint::Token, 1, empty());
    fx.fake.inject(Endpoint::Token, 2, empty());
    let portal = fx
        .connect(&fx.config())
        .await
        .expect("an empty token answer is transient");
    assert_eq!(fx.fake.request_count(Endpoint::Token), 3);
    let (from, to) = range(&fx.fake);
    let slices = fetch(&portal, from, to).await.expect("the token works");
    assert_exactly_once(&fx.fake, &slices);
}

#[tokio::test]
async fn a_token_answer_that_stays_empty_fails_after_bounded_retries() {
    let fx = fixture(100, 5).await;
    fx.fake.inject_every(
        Endpoint::Token,
        1,
        Fault::Raw {
            status: 200,
            body: "{}".into(),
        },
    );
    let err = fx
        .connect(&fx.config())
        .await
        .err()
        .expect("no token ever comes");
    assert!(matches!(err, ArcgisError::Auth { .. }), "{err}");
    assert_eq!(
        fx.fake.request_count(Endpoint::Token),
        4,
        "bounded by max_attempts"
    );
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("missing field `token`"), "{shown}");
    assert!(fx.secrets_in(&shown).is_empty(), "{shown}");
}
