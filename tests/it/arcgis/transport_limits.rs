//! What the HTTP client refuses: redirects that would carry credentials to another
//! origin, and response bodies above the configured limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use usagelake::http::HttpErrorKind;
use usagelake::sources::arcgis::api::{ArcgisError, TokenPlacement};
use usagelake::sources::arcgis::fake_portal::{Endpoint, Fault};

use super::*;

/// A second server on 127.0.0.1 that a redirect points to. It answers `{}` to anything,
/// and records every connection and every byte it was sent.
struct Trap {
    url: String,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Trap {
    async fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count, log) = (connections.clone(), received.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buffer = vec![0; 64 * 1024];
                    if let Ok(n) = stream.read(&mut buffer).await {
                        log.lock().unwrap().extend_from_slice(&buffer[..n]);
                    }
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                    let _ = stream.write_all(reply).await;
                });
            }
        });
        Trap {
            url,
            connections,
            received,
            task,
        }
    }

    fn assert_untouched(&self) {
        let received = String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned();
        assert_eq!(
            self.connections.load(Ordering::SeqCst),
            0,
            "the other origin was contacted; it received:\n{received}"
        );
    }
}

fn redirect(status: u16, to: String) -> Fault {
    Fault::Redirect {
        status,
        location: to,
    }
}

#[tokio::test]
async fn data_requests_are_not_redirected_to_another_origin() {
    for (status, placement) in [
        (302, TokenPlacement::Header),
        (307, TokenPlacement::Header),
        (301, TokenPlacement::Param),
        (308, TokenPlacement::Param),
    ] {
        let fx = fixture(300, 5).await;
        let trap = Trap::start().await;
        let target = format!("{}/sharing/rest/portals/self/history?token=LEAK", trap.url);
        fx.fake
            .inject(Endpoint::History, 2, redirect(status, target));
        let mut cfg = fx.config();
        cfg.concurrency = 1;
        cfg.token_placement = placement;
        let portal = fx.connect(&cfg).await.unwrap();
        let (from, to) = range(&fx.fake);
        let err = fetch(&portal, from, to)
            .await
            .expect_err("a redirect elsewhere fails the slice");
        trap.assert_untouched();
        let ArcgisError::Http(http) = &err else {
            panic!("{status}: unexpected error {err}")
        };
        assert!(
            matches!(http.kind, HttpErrorKind::Redirect { status: s, .. } if s == status),
            "{err}"
        );
        assert_eq!(http.attempts, 1, "a refused redirect is not retried");
        let message = err.to_string();
        assert!(message.contains(&trap.url), "names the target: {message}");
        assert!(!message.contains("LEAK"), "no query string: {message}");
        assert!(fx.secrets_in(&format!("{message} {err:?}")).is_empty());
    }
}

#[tokio::test]
async fn the_password_form_is_not_re_sent_to_another_origin() {
    for status in [307, 308, 302] {
        let fx = fixture(100, 5).await;
        let trap = Trap::start().await;
        let target = format!("{}/sharing/rest/generateToken", trap.url);
        fx.fake.inject(Endpoint::Token, 1, redirect(status, target));
        let err = fx
            .connect(&fx.config())
            .await
            .err()
            .expect("the redirect fails the connect");
        trap.assert_untouched();
        assert!(matches!(err, ArcgisError::Auth { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("redirect"), "{message}");
        assert!(!message.contains(fake::ADMIN_PASSWORD));
    }
}

#[tokio::test]
async fn a_same_origin_redirect_is_still_followed() {
    let fx = fixture(100, 20).await;
    let target = format!(
        "{}/sharing/rest/portals/self/users?start=1&num=100&f=json",
        fx.url
    );
    fx.fake.inject(Endpoint::Users, 1, redirect(302, target));
    let portal = fx.connect(&fx.config()).await.unwrap();
    let users = portal.users().await.expect("followed within the portal");
    assert_eq!(users.num_rows(), 20);
    let log: Vec<_> = fx
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::Users))
        .collect();
    assert_eq!(log[0].status, 302);
    assert!(log[1].has_bearer, "the token travels within the origin");
}

#[tokio::test]
async fn oversized_bodies_fail_clearly_with_or_without_content_length() {
    for declare_length in [true, false] {
        let fx = fixture(300, 5).await;
        fx.fake.inject(
            Endpoint::History,
            2,
            Fault::LargeBody {
                bytes: 4 << 20,
                declare_length,
            },
        );
        let mut cfg = fx.config();
        cfg.concurrency = 1;
        // A real page (~45 KB here) passes; the padded one does not.
        cfg.max_response_bytes = 256 << 10;
        let portal = fx.connect(&cfg).await.unwrap();
        let (from, to) = range(&fx.fake);
        let err = fetch(&portal, from, to)
            .await
            .expect_err("a body above the limit fails");
        let ArcgisError::Http(http) = &err else {
            panic!("unexpected error {err}")
        };
        assert!(
            matches!(http.kind, HttpErrorKind::TooLarge { limit, .. } if limit == 256 << 10),
            "{err}"
        );
        assert_eq!(http.attempts, 1, "not retried: it would be as large again");
        let message = err.to_string();
        assert!(message.contains("256 KiB limit"), "{message}");
        assert!(message.contains("max_response_mb"), "{message}");
        assert!(message.contains("history slice ["), "{message}");
    }
}
