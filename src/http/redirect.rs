//! Which redirects the client follows: only those within the request's origin.

use reqwest::Url;

/// Same-origin redirects followed per request at most.
const MAX_REDIRECTS: usize = 5;

/// Redirects are followed only within the origin (scheme, host, port) the request was
/// sent to. reqwest would otherwise carry every header we set (the token in
/// `X-Esri-Authorization`, the `Referer`) to any host a redirect names, downgrade to
/// plain http, and re-send a POST body (the password form) on 307/308. Stopping hands
/// the 3xx to `ApiClient::attempt`, which fails the request and names the target.
pub(super) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| is_same_origin(first, attempt.url()));
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Same scheme, host and port: `https://a` → `http://a` is another origin (a downgrade),
/// and so is another port on the same host.
fn is_same_origin(first: &Url, next: &Url) -> bool {
    first.origin() == next.origin()
}

/// Where a refused redirect pointed, for the error: scheme, host, port and path, never
/// the query (it may carry a token).
pub(super) fn redacted_location(from: &Url, location: &str) -> String {
    match from.join(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "(unparsable Location)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_within_the_origin() {
        let url = |s: &str| Url::parse(s).unwrap();
        let portal = url("https://portal.example.com/sharing/rest/generateToken");
        assert!(is_same_origin(
            &portal,
            &url("https://portal.example.com/other/path?q=1")
        ));
        assert!(is_same_origin(
            &portal,
            &url("https://portal.example.com:443/x")
        ));
        assert!(!is_same_origin(
            &portal,
            &url("http://portal.example.com/sharing/rest/generateToken")
        ));
        assert!(!is_same_origin(
            &portal,
            &url("https://portal.example.com:8443/x")
        ));
        assert!(!is_same_origin(&portal, &url("https://evil.example.net/x")));
        assert!(!is_same_origin(
            &portal,
            &url("https://sub.portal.example.com/x")
        ));
    }

    #[test]
    fn redirect_targets_are_shown_without_query() {
        let from =
            Url::parse("https://portal.example.com/sharing/rest/portals/self/history?token=SECRET")
                .unwrap();
        assert_eq!(
            redacted_location(&from, "https://evil.example.net/x?token=SECRET#f"),
            "https://evil.example.net/x"
        );
        assert_eq!(
            redacted_location(&from, "/other?token=SECRET"),
            "https://portal.example.com/other"
        );
        assert_eq!(
            redacted_location(&from, "http://user:pw@portal.example.com/"),
            "http://portal.example.com/"
        );
    }
}
