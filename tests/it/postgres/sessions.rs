//! Every session rule through an audit table, the `postgres` kind and the binary: one
//! test per rule with its expected sessions (the rules themselves are unit-tested in
//! `transform/sessions/rules_tests.rs`; here they must hold end to end). Times are UTC on
//! 2026-01-10 unless written in full; the pipeline zone is Europe/Berlin (UTC+1).

use super::PgLake;
use crate::events::read_sessions;

/// (login, logout, end_reason, absorbed, flags) of one session.
type Row<'a> = (Option<&'a str>, Option<&'a str>, &'a str, i32, &'a str);

/// Every session as a [`Row`] of owned text, sorted.
type Expected = Vec<(Option<String>, Option<String>, String, i32, String)>;

const TABLE: &str = "CREATE TABLE login_log (\
    id bigserial PRIMARY KEY, at timestamptz, action text, host text, username text);";

/// One row at `hh:mm` UTC on 2026-01-10.
fn at(hhmm: &str, action: &str, host: &str, user: &str) -> String {
    format!("('2026-01-10 {hhmm}:00+00', '{action}', '{host}', '{user}')")
}

fn insert(rows: &[String]) -> String {
    format!(
        "INSERT INTO login_log (at, action, host, username) VALUES {};",
        rows.join(", ")
    )
}

fn tables(auth_extra: &str) -> String {
    format!(
        r#"[[sources.tables]]
relation = "login_log"
incremental_by = "id"
partition_by = "at"
[sources.tables.auth]
type_column = "action"
user_column = "username"
machine_column = "host"
{auth_extra}
"#
    )
}

fn sessions(lake: &PgLake) -> Expected {
    read_sessions(&lake.dataset("sessions"))
        .into_iter()
        .map(|s| (s.login, s.logout, s.reason, s.absorbed, s.flags))
        .collect()
}

/// A table of [`Row`]s as the sessions read back compare.
fn expected(rows: &[Row]) -> Expected {
    rows.iter()
        .map(|(login, logout, reason, absorbed, flags)| {
            (
                login.map(str::to_string),
                logout.map(str::to_string),
                reason.to_string(),
                *absorbed,
                flags.to_string(),
            )
        })
        .collect()
}

/// A lake whose audit table holds `rows`, after one run.
async fn lake_after_run(auth_extra: &str, rows: &[String]) -> PgLake {
    let lake = PgLake::new(&format!("{TABLE}{}", insert(rows)), &tables(auth_extra)).await;
    lake.run();
    lake
}

/// The rule's table: after one run over `rows`, the sessions are `expected`. Returns the
/// lake for the rule's other checks.
async fn expect_sessions(auth_extra: &str, rows: &[String], expected_rows: &[Row<'_>]) -> PgLake {
    let lake = lake_after_run(auth_extra, rows).await;
    assert_eq!(sessions(&lake), expected(expected_rows));
    lake
}

/// `rows` committed to the audit table later, then a run.
async fn run_after_insert(lake: &PgLake, rows: &[String]) {
    lake.db.exec(&insert(rows)).await;
    lake.run();
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

#[tokio::test]
async fn rule_login_logout_pair_is_one_session() {
    let pair = [(Some("09:00:00"), Some("10:00:00"), "logout", 0, "")];
    let lake = expect_sessions(
        "",
        &[
            at("09:00", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
        ],
        &pair,
    )
    .await;
    let auth = lake.counts("auth_events");
    assert_eq!(auth, vec![("event_date=2026-01-10".to_string(), 2)]);
    // A rerun adds nothing anywhere.
    lake.run();
    assert_eq!(lake.counts("auth_events"), auth);
    assert_eq!(
        lake.counts("login_log"),
        vec![("event_date=2026-01-10".to_string(), 2)]
    );
    assert_eq!(sessions(&lake), expected(&pair));
}

#[tokio::test]
async fn rule_same_instant_logout_closes_the_earlier_session_first() {
    expect_sessions(
        "max_session_hours = 0",
        &[
            at("09:00", "login", "ws1", "ann"),
            // Inserted login before logout: the table's order does not matter.
            at("10:00", "login", "ws1", "ann"),
            at("10:00", "logout", "ws1", "ann"),
        ],
        &[
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("10:00:00"), None, "open", 0, ""),
        ],
    )
    .await;
}

#[tokio::test]
async fn rule_same_instant_logout_and_login_without_session_are_zero_length() {
    expect_sessions(
        "",
        &[
            at("10:00", "logout", "ws1", "ann"),
            at("10:00", "login", "ws1", "ann"),
        ],
        &[(Some("10:00:00"), Some("10:00:00"), "logout", 0, "zero")],
    )
    .await;
}

#[tokio::test]
async fn rule_orphan_logout_is_replaced_by_the_session_when_its_login_arrives_later() {
    let lake = expect_sessions(
        "max_session_hours = 48",
        &[at("10:00", "logout", "ws1", "ann")],
        &[(None, Some("10:00:00"), "logout", 0, "orphan")],
    )
    .await;
    // The login of the evening before (local 2026-01-09) is committed late.
    run_after_insert(
        &lake,
        &["('2026-01-09 20:00:00+00', 'login', 'ws1', 'ann')".into()],
    )
    .await;
    let all = read_sessions(&lake.dataset("sessions"));
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].login.as_deref(), Some("2026-01-09 20:00:00"));
    assert_eq!(all[0].logout.as_deref(), Some("10:00:00"));
    assert_eq!(all[0].partition, "event_date=2026-01-09");
    assert!(
        crate::support::lake::parquet_files(
            &lake.dataset("sessions").join("event_date=2026-01-10")
        )
        .is_empty(),
        "the orphan's day no longer has a file"
    );
}

#[tokio::test]
async fn rule_parallel_second_login_opens_its_own_session_and_logout_closes_the_oldest() {
    expect_sessions(
        "login_policy = \"parallel\"",
        &double_login(),
        &[
            (Some("09:00:00"), Some("10:00:00"), "logout", 0, ""),
            (Some("09:30:00"), Some("11:00:00"), "logout", 0, "double"),
        ],
    )
    .await;
}

#[tokio::test]
async fn rule_same_policy_absorbs_a_second_login_and_counts_it() {
    expect_sessions(
        "login_policy = \"same\"",
        &double_login(),
        &[
            (None, Some("11:00:00"), "logout", 0, "orphan"),
            (Some("09:00:00"), Some("10:00:00"), "logout", 1, "double"),
        ],
    )
    .await;
}

#[tokio::test]
async fn rule_timeout_at_login_plus_max_session_hours_and_logout_exactly_at_the_deadline() {
    expect_sessions(
        "max_session_hours = 2",
        &[
            at("09:00", "login", "ws1", "ann"),
            // Exactly at ann's deadline on ws2: still a normal logout.
            at("09:00", "login", "ws2", "ann"),
            at("11:00", "logout", "ws2", "ann"),
            // bob's logout comes a minute late: his session timed out, the logout is an orphan.
            at("12:00", "login", "ws1", "bob"),
            at("14:01", "logout", "ws1", "bob"),
            at("20:00", "login", "ws3", "cy"),
        ],
        &[
            (Some("09:00:00"), Some("11:00:00"), "timeout", 0, ""),
            (None, Some("14:01:00"), "logout", 0, "orphan"),
            (Some("12:00:00"), Some("14:00:00"), "timeout", 0, ""),
            (Some("09:00:00"), Some("11:00:00"), "logout", 0, ""),
            (Some("20:00:00"), None, "open", 0, ""),
        ],
    )
    .await;
}

#[tokio::test]
async fn rule_open_session_is_rewritten_when_a_later_run_closes_it() {
    let lake = expect_sessions(
        "max_session_hours = 8",
        &[at("09:00", "login", "ws1", "ann")],
        &[(Some("09:00:00"), None, "open", 0, "")],
    )
    .await;
    run_after_insert(&lake, &[at("13:00", "logout", "ws1", "ann")]).await;
    assert_eq!(
        sessions(&lake),
        expected(&[(Some("09:00:00"), Some("13:00:00"), "logout", 0, "")])
    );
}

#[tokio::test]
async fn rule_session_across_midnight_and_dst_is_on_its_local_login_day() {
    // A naive `timestamp` column holding Berlin wall-clock times: 2026-03-28 23:30 local
    // (22:30Z) to 2026-03-29 03:30 local (01:30Z, after the spring-forward at 02:00).
    let setup = "CREATE TABLE login_log (id bigserial PRIMARY KEY, at timestamp, \
                 action text, host text, username text); \
                 INSERT INTO login_log (at, action, host, username) VALUES \
                 ('2026-03-28 23:30', 'login', 'ws1', 'ann'), \
                 ('2026-03-29 03:30', 'logout', 'ws1', 'ann');";
    let lake = PgLake::new(
        setup,
        &tables("").replace(
            "partition_by = \"at\"",
            "partition_by = \"at\"\ntimestamp_time_zone = \"Europe/Berlin\"",
        ),
    )
    .await;
    lake.run();
    let all = read_sessions(&lake.dataset("sessions"));
    assert_eq!(
        sessions(&lake),
        expected(&[(
            Some("2026-03-28 22:30:00"),
            Some("2026-03-29 01:30:00"),
            "logout",
            0,
            ""
        )])
    );
    assert_eq!(all[0].partition, "event_date=2026-03-28");
}

#[tokio::test]
async fn unknown_types_and_missing_users_are_rejected_and_counted_never_dropped() {
    let lake = expect_sessions(
        "login_values = [\"LOGON\"]\nlogout_values = [\"LOGOFF\"]",
        &[
            at("09:00", "logon", "ws1", "ann"),
            at("09:10", "PASSWORD_CHANGE", "ws1", "ann"),
            at("10:00", "LOGOFF", "ws1", "ann"),
            "('2026-01-10 11:00:00+00', 'LOGON', 'ws1', NULL)".to_string(),
        ],
        &[(Some("09:00:00"), Some("10:00:00"), "logout", 0, "")],
    )
    .await;
    let rejected = lake.rows("auth_rejected");
    let reasons = super::column_text(&rejected, "reason");
    assert_eq!(
        reasons,
        ["unknown event type \"PASSWORD_CHANGE\"", "no user"]
    );
    assert_eq!(super::column_text(&rejected, "source_key"), ["2", "4"]);
    // The raw table keeps every row.
    assert_eq!(
        lake.counts("login_log"),
        vec![("event_date=2026-01-10".to_string(), 4)]
    );
    let status = lake.cmd("status", &[]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("2 row(s) of the auth table are not login/logout events"),
        "{text}"
    );
}

#[tokio::test]
async fn the_readme_worked_example_answers_as_documented() {
    let setup = "CREATE TABLE login_log (id bigserial PRIMARY KEY, at timestamptz, action text, \
                 host text, username text); \
                 INSERT INTO login_log (at, action, host, username) VALUES \
                 ('2026-01-10 08:00Z', 'LOGIN', 'ws1', 'ann'), \
                 ('2026-01-10 08:30Z', 'LOGIN', 'ws1', 'bob'), \
                 ('2026-01-10 09:00Z', 'LOGOUT', 'ws1', 'ann'), \
                 ('2026-01-10 09:05Z', 'PASSWORD_CHANGE', 'ws1', 'bob');";
    let lake = PgLake::new(
        setup,
        &tables("login_values = [\"LOGIN\"]\nlogout_values = [\"LOGOUT\"]"),
    )
    .await;
    lake.run();
    let report = |at: &str| {
        let out = crate::support::cli::usagelake(
            &[
                "report",
                "current-users",
                lake.pipeline.to_str().unwrap(),
                "--at",
                at,
            ],
            &[],
            &[],
        );
        crate::support::cli::assert_success(&out);
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(report("2026-01-10 09:45"), "ws1: ann, bob\n");
    assert_eq!(report("2026-01-10 10:15"), "ws1: bob\n");
    let status = String::from_utf8(lake.cmd("status", &[]).stdout).unwrap();
    assert!(
        status.contains(
            "note app/auth_rejected: 1 row(s) of the auth table are not login/logout events"
        ),
        "{status}"
    );
}

#[tokio::test]
async fn a_dataset_run_of_the_auth_table_or_of_a_derived_dataset_rebuilds_sessions() {
    let notes = "CREATE TABLE notes (id bigserial PRIMARY KEY, at timestamptz, body text);\
        INSERT INTO notes (at, body) VALUES ('2026-01-10 08:00+00', 'hello');";
    let tables = format!(
        "{}\n[[sources.tables]]\nrelation = \"notes\"\nincremental_by = \"id\"\npartition_by = \"at\"\n",
        tables("max_session_hours = 8")
    );
    let setup = format!(
        "{TABLE}{notes}{}",
        insert(&[at("09:00", "login", "ws1", "ann")])
    );
    let lake = PgLake::new(&setup, &tables).await;
    lake.run();
    assert_eq!(
        sessions(&lake),
        expected(&[(Some("09:00:00"), None, "open", 0, "")])
    );

    // Only the auth table: its new logout closes the session.
    lake.db
        .exec(&insert(&[at("13:00", "logout", "ws1", "ann")]))
        .await;
    let out = lake.cmd("run", &["--dataset", "login_log"]);
    crate::support::cli::assert_success(&out);
    let closed = expected(&[(Some("09:00:00"), Some("13:00:00"), "logout", 0, "")]);
    assert_eq!(sessions(&lake), closed);

    // A run that died before its derivation leaves a day without auth_events or
    // sessions; `--dataset sessions` reads no table and rebuilds them from the lake.
    std::fs::remove_dir_all(lake.dataset("auth_events")).unwrap();
    std::fs::remove_dir_all(lake.dataset("sessions")).unwrap();
    let out = lake.cmd("run", &["--dataset", "sessions"]);
    crate::support::cli::assert_success(&out);
    assert_eq!(sessions(&lake), closed);
    assert_eq!(
        lake.counts("auth_events"),
        vec![("event_date=2026-01-10".to_string(), 2)]
    );
    assert_eq!(lake.counts("notes").len(), 1, "notes untouched");
}
