//! One test per session rule, each with its expected sessions. Times are minutes.

use super::*;

const MIN: i64 = 60_000_000;

fn rules(policy: LoginPolicy, max_minutes: Option<i64>) -> SessionRules {
    SessionRules {
        policy,
        max_session_micros: max_minutes.map(|m| m * MIN),
    }
}

/// (login, logout, end_reason, absorbed, double_login), in minutes.
type Row = (Option<i64>, Option<i64>, &'static str, u32, bool);

/// Feeds `events` ('i' login, 'o' logout) in the given order (ties in any order) and
/// returns the sessions sorted for comparison.
fn derive(rules: SessionRules, events: &[(i64, char)], latest: i64) -> Vec<Row> {
    let mut builder = SessionBuilder::new(rules);
    let mut out = Vec::new();
    for &(at, kind) in events {
        let kind = if kind == 'i' {
            EventKind::Login
        } else {
            EventKind::Logout
        };
        builder.push(at * MIN, kind, &mut out);
    }
    builder.finish(latest * MIN, &mut out);
    let mut rows: Vec<Row> = out
        .iter()
        .map(|s| {
            (
                s.login_at.map(|t| t / MIN),
                s.logout_at.map(|t| t / MIN),
                s.end_reason.as_str(),
                s.absorbed_logins,
                s.is_double_login,
            )
        })
        .collect();
    rows.sort();
    rows
}

const PARALLEL: LoginPolicy = LoginPolicy::Parallel;
const SAME: LoginPolicy = LoginPolicy::Same;

#[test]
fn a_login_and_its_logout_make_one_session() {
    let got = derive(rules(PARALLEL, None), &[(0, 'i'), (30, 'o')], 30);
    assert_eq!(got, vec![(Some(0), Some(30), "logout", 0, false)]);
}

#[test]
fn logged_in_from_the_login_instant_but_not_at_the_logout_instant() {
    let session = Session {
        login_at: Some(10),
        logout_at: Some(20),
        end_reason: EndReason::Logout,
        deadline_at: None,
        absorbed_logins: 0,
        is_double_login: false,
    };
    assert!(!session.is_active_at(9));
    assert!(session.is_active_at(10));
    assert!(session.is_active_at(19));
    assert!(!session.is_active_at(20));
    let zero = Session {
        logout_at: Some(10),
        ..session
    };
    assert!(zero.is_zero_length());
    assert!(
        !zero.is_active_at(10),
        "a zero-length session covers no instant"
    );
    let orphan = Session {
        login_at: None,
        ..session
    };
    assert!(!orphan.is_active_at(15), "an orphan covers no instant");
    let open = Session {
        logout_at: None,
        end_reason: EndReason::Open,
        deadline_at: Some(100),
        ..session
    };
    assert!(open.is_active_at(99));
    assert!(
        !open.is_active_at(100),
        "an open session lapses at its deadline"
    );
}

#[test]
fn same_instant_logout_closes_the_earlier_session_before_the_login_opens_one() {
    // Listed login-first at minute 10: the order within an instant does not matter.
    for events in [
        [(0, 'i'), (10, 'i'), (10, 'o')],
        [(0, 'i'), (10, 'o'), (10, 'i')],
    ] {
        let got = derive(rules(PARALLEL, None), &events, 10);
        assert_eq!(
            got,
            vec![
                (Some(0), Some(10), "logout", 0, false),
                (Some(10), None, "open", 0, false),
            ]
        );
    }
}

#[test]
fn same_instant_logout_without_an_earlier_session_pairs_with_the_login_zero_length() {
    for events in [[(10, 'o'), (10, 'i')], [(10, 'i'), (10, 'o')]] {
        let got = derive(rules(PARALLEL, None), &events, 10);
        assert_eq!(got, vec![(Some(10), Some(10), "logout", 0, false)]);
    }
    let mut builder = SessionBuilder::new(rules(SAME, None));
    let mut out = Vec::new();
    builder.push(10, EventKind::Login, &mut out);
    builder.push(10, EventKind::Logout, &mut out);
    builder.finish(10, &mut out);
    assert!(out[0].is_zero_length());
}

#[test]
fn same_instant_leftover_logouts_are_orphans() {
    // One session open; at minute 10 two logouts and one login: the first logout closes
    // the session, the second pairs with the login, nothing is left. With three logouts
    // the third is an orphan.
    let got = derive(
        rules(PARALLEL, None),
        &[(0, 'i'), (10, 'o'), (10, 'o'), (10, 'i'), (10, 'o')],
        10,
    );
    assert_eq!(
        got,
        vec![
            (None, Some(10), "logout", 0, false),
            (Some(0), Some(10), "logout", 0, false),
            (Some(10), Some(10), "logout", 0, false),
        ]
    );
}

#[test]
fn a_logout_without_an_open_session_is_an_orphan_row() {
    let got = derive(rules(PARALLEL, None), &[(5, 'o'), (10, 'i'), (20, 'o')], 20);
    assert_eq!(
        got,
        vec![
            (None, Some(5), "logout", 0, false),
            (Some(10), Some(20), "logout", 0, false),
        ]
    );
}

#[test]
fn a_late_login_replaces_the_orphan_by_the_whole_session() {
    let first_run = derive(rules(PARALLEL, Some(600)), &[(30, 'o')], 30);
    assert_eq!(first_run, vec![(None, Some(30), "logout", 0, false)]);
    // The login arrives in a later run: rebuilding from all events pairs them.
    let second_run = derive(rules(PARALLEL, Some(600)), &[(10, 'i'), (30, 'o')], 30);
    assert_eq!(second_run, vec![(Some(10), Some(30), "logout", 0, false)]);
}

#[test]
fn parallel_a_second_login_opens_its_own_session_and_a_logout_closes_the_oldest() {
    let got = derive(
        rules(PARALLEL, None),
        &[(0, 'i'), (5, 'i'), (10, 'o'), (20, 'o')],
        20,
    );
    assert_eq!(
        got,
        vec![
            (Some(0), Some(10), "logout", 0, false),
            (Some(5), Some(20), "logout", 0, true),
        ]
    );
}

#[test]
fn parallel_two_logins_at_one_instant_are_two_sessions() {
    let got = derive(rules(PARALLEL, None), &[(0, 'i'), (0, 'i'), (10, 'o')], 10);
    assert_eq!(
        got,
        vec![
            (Some(0), None, "open", 0, true),
            (Some(0), Some(10), "logout", 0, false),
        ]
    );
}

#[test]
fn same_a_second_login_is_absorbed_and_counted() {
    let got = derive(
        rules(SAME, None),
        &[(0, 'i'), (5, 'i'), (7, 'i'), (10, 'o'), (20, 'o')],
        20,
    );
    assert_eq!(
        got,
        vec![
            (None, Some(20), "logout", 0, false),
            (Some(0), Some(10), "logout", 2, true),
        ]
    );
}

#[test]
fn a_session_without_logout_times_out_at_login_plus_max() {
    let got = derive(rules(PARALLEL, Some(60)), &[(0, 'i'), (100, 'i')], 100);
    assert_eq!(
        got,
        vec![
            (Some(0), Some(60), "timeout", 0, false),
            // Not a double login: the first session had timed out at minute 60.
            (Some(100), None, "open", 0, false),
        ]
    );
}

#[test]
fn same_timeout_counts_from_the_latest_login() {
    let got = derive(
        rules(SAME, Some(60)),
        &[(0, 'i'), (50, 'i'), (200, 'i')],
        200,
    );
    assert_eq!(
        got,
        vec![
            (Some(0), Some(110), "timeout", 1, true),
            (Some(200), None, "open", 0, false),
        ]
    );
}

#[test]
fn a_logout_exactly_at_the_deadline_closes_normally() {
    let got = derive(rules(PARALLEL, Some(60)), &[(0, 'i'), (60, 'o')], 60);
    assert_eq!(got, vec![(Some(0), Some(60), "logout", 0, false)]);
}

#[test]
fn a_logout_after_the_deadline_is_an_orphan() {
    let got = derive(rules(PARALLEL, Some(60)), &[(0, 'i'), (61, 'o')], 61);
    assert_eq!(
        got,
        vec![
            (None, Some(61), "logout", 0, false),
            (Some(0), Some(60), "timeout", 0, false),
        ]
    );
}

#[test]
fn a_session_whose_deadline_is_after_the_latest_event_is_open() {
    // The source's latest event (another user's) is at minute 59: the deadline (60) lies
    // after it, so a logout may still come.
    let open = derive(rules(PARALLEL, Some(60)), &[(0, 'i')], 59);
    assert_eq!(open, vec![(Some(0), None, "open", 0, false)]);
    // Once the source has events past the deadline, the session has timed out.
    let closed = derive(rules(PARALLEL, Some(60)), &[(0, 'i')], 60);
    assert_eq!(closed, vec![(Some(0), Some(60), "timeout", 0, false)]);
}

#[test]
fn without_a_maximum_a_session_stays_open_until_its_logout() {
    let got = derive(rules(PARALLEL, None), &[(0, 'i')], 1_000_000);
    assert_eq!(got, vec![(Some(0), None, "open", 0, false)]);
}
