//! Every session rule through event files and the binary, one test each with its expected
//! sessions. Times are UTC on 2026-01-10; the pipeline zone is Europe/Berlin (UTC+1).

use super::*;

/// (login, logout, end_reason, absorbed, flags) of every session, sorted.
type Expected = Vec<(
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    i32,
    &'static str,
)>;

fn sessions_of(section_extra: &str, lines: &[String]) -> (EventsLake, Expected) {
    let lake = EventsLake::csv(section_extra);
    lake.append("a.csv", &(HEADER.to_string() + &lines.concat()));
    lake.run();
    let got = lake
        .sessions()
        .into_iter()
        .map(|s| {
            (
                s.login.map(leak),
                s.logout.map(leak),
                leak(s.reason),
                s.absorbed,
                leak(s.flags),
            )
        })
        .collect();
    (lake, got)
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn rule_login_logout_is_one_session_logged_in_until_not_at_the_logout() {
    let (lake, got) = sessions_of(
        "",
        &[
            at("09:00", "logon", "ws1", "ann"),
            at("10:00", "logoff", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![(Some("09:00:00"), Some("10:00:00"), "logout", 0, "")]
    );
    let at_login = lake.report(&["current-users", "--at", "2026-01-10T09:00:00Z"]);
    assert_eq!(at_login, "ws1: ann\n");
    let before_logout = lake.report(&["current-users", "--at", "2026-01-10T09:59:59.999999Z"]);
    assert_eq!(before_logout, "ws1: ann\n");
    let at_logout = lake.report(&["current-users", "--at", "2026-01-10T10:00:00Z"]);
    assert_eq!(at_logout, "");
}

#[test]
fn rule_same_instant_logout_closes_the_earlier_session_first() {
    let (_, got) = sessions_of(
        "max_session_hours = 0",
        &[
            at("09:00", "login", "ws1", "ann"),
            // Listed login before logout: the order in the file does not matter.
            at("10:00", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("10:00:00"), None, "open", 0, ""),
        ]
    );
}

#[test]
fn rule_same_instant_logout_and_login_without_session_are_zero_length() {
    let (_, got) = sessions_of(
        "",
        &[
            at("10:00", "logout", "ws1", "ann"),
            at("10:00", "login", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![(Some("10:00:00"), Some("10:00:00"), "logout", 0, "zero")]
    );
}

#[test]
fn rule_orphan_logout_is_kept_with_no_login() {
    let (lake, got) = sessions_of("", &[at("10:00", "logout", "ws1", "ann")]);
    assert_eq!(got, vec![(None, Some("10:00:00"), "logout", 0, "orphan")]);
    // Partitioned by the logout's local date.
    assert_eq!(lake.sessions()[0].partition, "event_date=2026-01-10");
}

#[test]
fn rule_late_login_replaces_the_orphan_even_on_another_day() {
    let lake = EventsLake::csv("max_session_hours = 48");
    lake.append(
        "a.csv",
        &(HEADER.to_string() + &at("10:00", "logout", "ws1", "ann")),
    );
    lake.run();
    assert_eq!(lake.sessions()[0].flags, "orphan");
    // The login, from the day before (local), arrives in a later file.
    lake.append(
        "b.csv",
        &(HEADER.to_string() + "2026-01-09T20:00:00Z,login,ws1,ann\n"),
    );
    lake.run();
    let sessions = lake.sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].login.as_deref(), Some("2026-01-09 20:00:00"));
    assert_eq!(sessions[0].logout.as_deref(), Some("10:00:00"));
    assert_eq!(sessions[0].partition, "event_date=2026-01-09");
    assert!(
        parquet_files(&lake.dataset("sessions").join("event_date=2026-01-10")).is_empty(),
        "the orphan's day no longer has a file"
    );
}

#[test]
fn rule_parallel_second_login_opens_its_own_session_logout_closes_oldest() {
    let (lake, got) = sessions_of(
        "login_policy = \"parallel\"",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("09:30", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
            at("11:00", "logout", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("09:30:00"), Some("11:00:00"), "logout", 0, "double"),
        ]
    );
    let at_1030 = lake.report(&["current-users", "--at", "2026-01-10T10:30:00Z"]);
    assert_eq!(at_1030, "ws1: ann\n");
}

#[test]
fn rule_same_policy_absorbs_a_second_login_and_counts_it() {
    let (lake, got) = sessions_of(
        "login_policy = \"same\"",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("09:30", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
            at("11:00", "logout", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (None, Some("11:00:00"), "logout", 0, "orphan"),
            (Some("09:00:00"), Some("10:00:00"), "logout", 1, "double"),
        ]
    );
    assert_eq!(
        lake.report(&["current-users", "--at", "2026-01-10T10:30:00Z"]),
        ""
    );
}

#[test]
fn rule_timeout_at_login_plus_max_session_hours() {
    let (lake, got) = sessions_of(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("12:00", "login", "ws2", "bob"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (Some("09:00:00"), Some("11:00:00"), "timeout", 0, ""),
            (Some("12:00:00"), None, "open", 0, ""),
        ]
    );
    assert_eq!(
        lake.report(&["current-users", "--at", "2026-01-10T10:59:00Z"]),
        "ws1: ann\n"
    );
    assert_eq!(
        lake.report(&["current-users", "--at", "2026-01-10T11:00:00Z"]),
        ""
    );
}

#[test]
fn rule_same_policy_timeout_counts_from_the_latest_login() {
    let (_, got) = sessions_of(
        "login_policy = \"same\"\nmax_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("10:30", "login", "ws1", "ann"),
            at("15:00", "login", "ws2", "bob"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (Some("09:00:00"), Some("12:30:00"), "timeout", 1, "double"),
            (Some("15:00:00"), None, "open", 0, ""),
        ]
    );
}

#[test]
fn rule_logout_exactly_at_the_deadline_closes_normally() {
    let (_, got) = sessions_of(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("11:00", "logout", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![(Some("09:00:00"), Some("11:00:00"), "logout", 0, "")]
    );
}

#[test]
fn rule_logout_after_the_deadline_is_an_orphan() {
    let (_, got) = sessions_of(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("11:01", "logout", "ws1", "ann"),
        ],
    );
    assert_eq!(
        got,
        vec![
            (None, Some("11:01:00"), "logout", 0, "orphan"),
            (Some("09:00:00"), Some("11:00:00"), "timeout", 0, ""),
        ]
    );
}

#[test]
fn rule_open_session_is_rewritten_when_a_later_run_closes_it() {
    let lake = EventsLake::csv("max_session_hours = 8");
    lake.append(
        "a.csv",
        &(HEADER.to_string() + &at("09:00", "login", "ws1", "ann")),
    );
    lake.run();
    let open = lake.sessions();
    assert_eq!(
        (open[0].reason.as_str(), open[0].logout.as_deref()),
        ("open", None)
    );
    assert_eq!(
        lake.report(&["current-users", "--at", "2026-01-10T12:00:00Z"]),
        "ws1: ann\n"
    );
    lake.append("a.csv", &at("13:00", "logout", "ws1", "ann"));
    lake.run();
    let closed = lake.sessions();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].logout.as_deref(), Some("13:00:00"));
    assert_eq!(closed[0].reason, "logout");
}

#[test]
fn rule_session_across_midnight_and_dst_is_partitioned_by_its_login_day() {
    // 2026-03-28 23:30 local (22:30Z) to 2026-03-29 03:30 local (01:30Z, after the
    // spring-forward at 02:00 local): three hours long, on the login's date.
    let (lake, got) = sessions_of(
        "",
        &[
            "2026-03-28 23:30:00,login,ws1,ann\n".to_string(),
            "2026-03-29 03:30:00,logout,ws1,ann\n".to_string(),
        ],
    );
    assert_eq!(
        got,
        vec![(
            Some("2026-03-28 22:30:00"),
            Some("2026-03-29 01:30:00"),
            "logout",
            0,
            ""
        )]
    );
    assert_eq!(lake.sessions()[0].partition, "event_date=2026-03-28");
}
