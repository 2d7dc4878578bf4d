//! Every session rule through event files and the binary, one test each with its expected
//! sessions. Times are UTC on 2026-01-10; the pipeline zone is Europe/Berlin (UTC+1).
//! Each test is a table: the section's keys, the file's lines, the sessions expected and,
//! where the rule is about an instant, what `report current-users --at` answers.

use super::*;

/// (login, logout, end_reason, absorbed, flags) of one session.
type Row = (
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    i32,
    &'static str,
);

/// A lake whose section has `section_extra`, after one run over `a.csv` with `lines`.
fn lake_after_run(section_extra: &str, lines: &[String]) -> EventsLake {
    let lake = EventsLake::csv(section_extra);
    lake.append("a.csv", &(HEADER.to_string() + &lines.concat()));
    lake.run();
    lake
}

/// The rule's table: after one run over `lines`, the sessions are `expected` (sorted by
/// machine, user, login). Returns the lake for the rule's other checks.
fn expect_sessions(section_extra: &str, lines: &[String], expected: &[Row]) -> EventsLake {
    let lake = lake_after_run(section_extra, lines);
    let got: Vec<Row> = lake
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
    assert_eq!(got, expected);
    lake
}

/// `report current-users --at 2026-01-10T<time>Z` answers each `(time, answer)`.
fn expect_current_users(lake: &EventsLake, answers: &[(&str, &str)]) {
    for (time, answer) in answers {
        let at = format!("2026-01-10T{time}Z");
        assert_eq!(
            lake.report(&["current-users", "--at", &at]),
            *answer,
            "current users at {at}"
        );
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn rule_login_logout_is_one_session_logged_in_until_not_at_the_logout() {
    let lake = expect_sessions(
        "",
        &[
            at("09:00", "logon", "ws1", "ann"),
            at("10:00", "logoff", "ws1", "ann"),
        ],
        &[(Some("09:00:00"), Some("10:00:00"), "logout", 0, "")],
    );
    expect_current_users(
        &lake,
        &[
            ("09:00:00", "ws1: ann\n"),        // at the login
            ("09:59:59.999999", "ws1: ann\n"), // just before the logout
            ("10:00:00", ""),                  // at the logout
        ],
    );
}

#[test]
fn rule_same_instant_logout_closes_the_earlier_session_first() {
    expect_sessions(
        "max_session_hours = 0",
        &[
            at("09:00", "login", "ws1", "ann"),
            // Listed login before logout: the order in the file does not matter.
            at("10:00", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
        ],
        &[
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("10:00:00"), None, "open", 0, ""),
        ],
    );
}

#[test]
fn rule_same_instant_logout_and_login_without_session_are_zero_length() {
    expect_sessions(
        "",
        &[
            at("10:00", "logout", "ws1", "ann"),
            at("10:00", "login", "ws1", "ann"),
        ],
        &[(Some("10:00:00"), Some("10:00:00"), "logout", 0, "zero")],
    );
}

#[test]
fn rule_orphan_logout_is_kept_with_no_login() {
    let lake = expect_sessions(
        "",
        &[at("10:00", "logout", "ws1", "ann")],
        &[(None, Some("10:00:00"), "logout", 0, "orphan")],
    );
    // Partitioned by the logout's local date.
    assert_eq!(lake.sessions()[0].partition, "event_date=2026-01-10");
}

#[test]
fn rule_late_login_replaces_the_orphan_even_on_another_day() {
    let lake = lake_after_run(
        "max_session_hours = 48",
        &[at("10:00", "logout", "ws1", "ann")],
    );
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

/// Two logins of ann on ws1, then two logouts: the table of both policies.
fn double_login() -> Vec<String> {
    vec![
        at("09:00", "login", "ws1", "ann"),
        at("09:30", "login", "ws1", "ann"),
        at("10:00", "logout", "ws1", "ann"),
        at("11:00", "logout", "ws1", "ann"),
    ]
}

#[test]
fn rule_parallel_second_login_opens_its_own_session_logout_closes_oldest() {
    let lake = expect_sessions(
        "login_policy = \"parallel\"",
        &double_login(),
        &[
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("09:30:00"), Some("11:00:00"), "logout", 0, "double"),
        ],
    );
    expect_current_users(&lake, &[("10:30:00", "ws1: ann\n")]);
}

#[test]
fn rule_same_policy_absorbs_a_second_login_and_counts_it() {
    let lake = expect_sessions(
        "login_policy = \"same\"",
        &double_login(),
        &[
            (None, Some("11:00:00"), "logout", 0, "orphan"),
            (Some("09:00:00"), Some("10:00:00"), "logout", 1, "double"),
        ],
    );
    expect_current_users(&lake, &[("10:30:00", "")]);
}

#[test]
fn rule_timeout_at_login_plus_max_session_hours() {
    let lake = expect_sessions(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("12:00", "login", "ws2", "bob"),
        ],
        &[
            (Some("09:00:00"), Some("11:00:00"), "timeout", 0, ""),
            (Some("12:00:00"), None, "open", 0, ""),
        ],
    );
    expect_current_users(&lake, &[("10:59:00", "ws1: ann\n"), ("11:00:00", "")]);
}

#[test]
fn rule_same_policy_timeout_counts_from_the_latest_login() {
    expect_sessions(
        "login_policy = \"same\"\nmax_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("10:30", "login", "ws1", "ann"),
            at("15:00", "login", "ws2", "bob"),
        ],
        &[
            (Some("09:00:00"), Some("12:30:00"), "timeout", 1, "double"),
            (Some("15:00:00"), None, "open", 0, ""),
        ],
    );
}

#[test]
fn rule_logout_exactly_at_the_deadline_closes_normally() {
    expect_sessions(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("11:00", "logout", "ws1", "ann"),
        ],
        &[(Some("09:00:00"), Some("11:00:00"), "logout", 0, "")],
    );
}

#[test]
fn rule_logout_after_the_deadline_is_an_orphan() {
    expect_sessions(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("11:01", "logout", "ws1", "ann"),
        ],
        &[
            (None, Some("11:01:00"), "logout", 0, "orphan"),
            (Some("09:00:00"), Some("11:00:00"), "timeout", 0, ""),
        ],
    );
}

#[test]
fn rule_open_session_is_rewritten_when_a_later_run_closes_it() {
    let lake = lake_after_run(
        "max_session_hours = 8",
        &[at("09:00", "login", "ws1", "ann")],
    );
    let open = lake.sessions();
    assert_eq!(
        (open[0].reason.as_str(), open[0].logout.as_deref()),
        ("open", None)
    );
    expect_current_users(&lake, &[("12:00:00", "ws1: ann\n")]);
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
    let lake = expect_sessions(
        "",
        &[
            "2026-03-28 23:30:00,login,ws1,ann\n".to_string(),
            "2026-03-29 03:30:00,logout,ws1,ann\n".to_string(),
        ],
        &[(
            Some("2026-03-28 22:30:00"),
            Some("2026-03-29 01:30:00"),
            "logout",
            0,
            "",
        )],
    );
    assert_eq!(lake.sessions()[0].partition, "event_date=2026-03-28");
}
