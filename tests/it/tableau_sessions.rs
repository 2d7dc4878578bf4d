//! Tableau Login/Logout `historical_events` → `auth_events` → `sessions` and
//! `report current-users`, through the binary against a Tableau-shaped database with the
//! oddities of real repositories: type names spelled differently, a Logout without a
//! Login, an actor whose user was deleted (`hist_users.user_id` NULL), a server-generated
//! Login without an actor, and a Logout arriving in a later run.

use crate::events::read_sessions;
use crate::support::cli::{assert_success, usagelake, LakeFixture, PipelineSpec};
use crate::support::lake::{parquet_files, read_batches, texts, total_rows};
use crate::support::pg::{TestDb, DEMO_SCHEMA_SQL};

const DATASETS: &str =
    r#"["historical_events", "historical_event_types", "hist_users", "hist_sites"]"#;

/// Types spelled as servers do (case, spaces) next to an unrelated type and Tableau's own
/// misspelled name; sites and hist users, one of them deleted since (`user_id` NULL).
const REPOSITORY: &str = "
INSERT INTO historical_event_types (type_id, name, action_type) VALUES
  (301, 'LogIn', 'Login'), (302, 'Log Out', 'Logout'), (84, 'Access View', 'Access'),
  (104, 'Change Workbook Ownerhsip To', 'Update');
INSERT INTO hist_sites (id, site_id, name, url_namespace) VALUES
  (10, 1, 'Default', ''), (11, 2, 'Finance', 'finance');
INSERT INTO hist_users (id, user_id, name) VALUES
  (2001, 5, 'ann'), (2002, NULL, 'former.bob'), (2003, 6, 'cy');
INSERT INTO historical_events
  (id, historical_event_type_id, worker, created_at, hist_actor_user_id, hist_actor_site_id) VALUES
  (1, 301, 'node1', '2026-01-10 09:00', 2001, 10),
  (2, 84,  'node1', '2026-01-10 09:15', 2001, 10),
  (3, 301, 'node2', '2026-01-10 09:30', 2002, 11),
  (4, 302, 'node1', '2026-01-10 10:00', 2001, 10),
  (5, 302, 'node1', '2026-01-10 08:00', 2003, 10),
  (6, 301, 'node1', '2026-01-10 10:30', NULL, NULL),
  (7, 301, 'node1', '2026-01-10 11:00', 2003, 10);
";

/// A database holding [`REPOSITORY`] and a lake of its session datasets, with `lines`
/// added to the source's section. Enrichment needs `http_requests` and the dimensions;
/// these tests are about sessions.
async fn repository_lake(lines: &str) -> (TestDb, LakeFixture) {
    let db = TestDb::new().await;
    db.exec(DEMO_SCHEMA_SQL).await;
    db.exec(REPOSITORY).await;
    let mut spec = PipelineSpec::new(db.host(), db.port(), db.dbname());
    spec.datasets = Some(DATASETS);
    let lake = LakeFixture::new(&spec);
    let mut text = std::fs::read_to_string(&lake.pipeline).unwrap();
    text.push_str("enrich = false\n");
    text.push_str(lines);
    std::fs::write(&lake.pipeline, text).unwrap();
    (db, lake)
}

/// (machine, user, login, logout, end_reason), times `HH:MM` UTC on 2026-01-10.
type Session = (String, String, Option<String>, Option<String>, String);

/// A row of an expected-sessions table, as [`Session`] borrows it.
type Row<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

fn sessions(lake: &LakeFixture) -> Vec<Session> {
    let hhmm = |t: Option<String>| t.map(|t| t[..5].to_string());
    let mut out: Vec<Session> = read_sessions(&lake.dataset_dir("sessions"))
        .into_iter()
        .map(|s| (s.machine, s.user, hhmm(s.login), hhmm(s.logout), s.reason))
        .collect();
    out.sort();
    out
}

/// An expected-sessions table: ann's and cy's sessions ([`ANN_AND_CY`]) and `more`,
/// sorted as [`sessions`] reads them.
fn expected(more: &[Row]) -> Vec<Session> {
    let mut out: Vec<Session> = ANN_AND_CY
        .iter()
        .chain(more)
        .map(|(machine, user, login, logout, reason)| {
            (
                machine.to_string(),
                user.to_string(),
                login.map(str::to_string),
                logout.map(str::to_string),
                reason.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The sessions of ann and cy after every run over [`REPOSITORY`], whatever the policy
/// and timeout tested here: ann's Login/Logout pair, cy's 08:00 Logout without a Login
/// (an orphan, kept) and cy's 11:00 Login, open (the source's latest event is 11:00).
const ANN_AND_CY: [Row; 3] = [
    ("node1", "ann", Some("09:00"), Some("10:00"), "logout"),
    ("node1", "cy", None, Some("08:00"), "logout"),
    ("node1", "cy", Some("11:00"), None, "open"),
];

/// bob's session after the first run (policy `same`, 4 h): open, as its deadline lies
/// after the source's latest event.
const BOB_OPEN: Row = ("node2", "former.bob", Some("09:30"), None, "open");

/// bob's session once his 12:00 Logout is in.
const BOB_CLOSED: Row = (
    "node2",
    "former.bob",
    Some("09:30"),
    Some("12:00"),
    "logout",
);

fn current_users(lake: &LakeFixture, at: &str) -> String {
    let pipeline = lake.pipeline.to_str().unwrap();
    let out = usagelake(&["report", "current-users", pipeline, "--at", at], &[], &[]);
    assert_success(&out);
    String::from_utf8(out.stdout).unwrap()
}

/// (event type, user, site) of every auth event, sorted.
fn auth_events(lake: &LakeFixture) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for file in parquet_files(&lake.dataset_dir("auth_events")) {
        for batch in read_batches(&file) {
            let (kind, user) = (texts(&batch, "event_type"), texts(&batch, "user"));
            let site = texts(&batch, "site");
            for ((kind, user), site) in kind.into_iter().zip(user).zip(site) {
                out.push((kind.unwrap(), user.unwrap(), site));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn login_logout_events_become_sessions_and_a_later_logout_closes_an_open_one() {
    let (db, lake) = repository_lake("").await;

    lake.run_ok(&[]);
    let pair = |kind: &str, user: &str, site: Option<&str>| {
        (kind.to_string(), user.to_string(), site.map(str::to_string))
    };
    assert_eq!(
        auth_events(&lake),
        vec![
            pair("login", "ann", Some("Default")),
            pair("login", "cy", Some("Default")),
            pair("login", "former.bob", Some("Finance")),
            pair("logout", "ann", Some("Default")),
            pair("logout", "cy", Some("Default")),
        ],
        "Access View and the Login without an actor are not auth events"
    );
    let first = expected(&[BOB_OPEN]);
    assert_eq!(sessions(&lake), first);
    assert_eq!(
        current_users(&lake, "2026-01-10T09:45:00Z"),
        "node1: ann\nnode2: former.bob\n"
    );
    assert_eq!(
        current_users(&lake, "2026-01-10T10:00:00Z"),
        "node2: former.bob\n",
        "not logged in at the instant of the logout"
    );

    // A rerun with nothing new adds nothing.
    lake.run_ok(&[]);
    assert_eq!(sessions(&lake), first);
    assert_eq!(total_rows(&lake.dataset_dir("auth_events")), 5);

    // bob's Logout arrives later: his open session is closed, cy's stays open.
    db.exec(
        "INSERT INTO historical_events
           (id, historical_event_type_id, worker, created_at, hist_actor_user_id, hist_actor_site_id)
         VALUES (8, 302, 'node2', '2026-01-10 12:00', 2002, 11);",
    )
    .await;
    lake.run_ok(&[]);
    assert_eq!(sessions(&lake), expected(&[BOB_CLOSED]));
    assert_eq!(
        current_users(&lake, "2026-01-10T11:30:00Z"),
        "node1: cy\nnode2: former.bob\n"
    );
    assert_eq!(current_users(&lake, "2026-01-10T12:30:00Z"), "node1: cy\n");
}

#[tokio::test]
async fn tableau_session_keys_change_the_policy_and_the_timeout() {
    let (_db, lake) = repository_lake("login_policy = \"parallel\"\nmax_session_hours = 1\n").await;

    lake.run_ok(&[]);
    // One hour: bob's 09:30 Login times out at 10:30, before the latest event (11:00).
    let bob_timed_out = (
        "node2",
        "former.bob",
        Some("09:30"),
        Some("10:30"),
        "timeout",
    );
    assert_eq!(sessions(&lake), expected(&[bob_timed_out]));
    assert_eq!(current_users(&lake, "2026-01-10T10:45:00Z"), "");
}

#[tokio::test]
async fn status_lists_the_derived_auth_events_and_sessions() {
    let (_db, lake) = repository_lake("").await;
    lake.run_ok(&[]);
    let pipeline = lake.pipeline.to_str().unwrap();

    let out = usagelake(&["status", pipeline, "--format", "json"], &[], &[]);
    assert_success(&out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let datasets = status["sources"][0]["datasets"].as_array().unwrap();
    let dataset = |name: &str| {
        datasets
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {datasets:#?}"))
    };
    // 5 sign-in events and 4 sessions (see the first test), all on 2026-01-10.
    for (name, rows) in [("auth_events", 5), ("sessions", 4)] {
        let d = dataset(name);
        assert_eq!(d["kind"], "event", "{d:#}");
        assert_eq!(d["lake_rows"].as_u64(), Some(rows), "{d:#}");
        assert_eq!(d["lake_partitions"].as_u64(), Some(1), "{d:#}");
        assert_eq!(d["first_partition"], "event_date=2026-01-10", "{d:#}");
        assert_eq!(d["empty_days"], serde_json::json!([]), "{d:#}");
    }
    assert_eq!(dataset("historical_events")["lake_rows"].as_u64(), Some(7));

    let out = usagelake(&["status", pipeline], &[], &[]);
    assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    for (name, rows) in [("tab/auth_events", "5"), ("tab/sessions", "4")] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns[1..3], [rows, "1"], "rows and partitions: {line}");
        assert!(
            line.ends_with("event_date=2026-01-10 .. event_date=2026-01-10"),
            "{line}"
        );
    }
    assert!(text.contains("coverage: no gaps found"), "{text}");
}

/// `rebuild_pending` of `auth_events` in the source's state file.
fn days_waiting_for_lookups(lake: &LakeFixture) -> serde_json::Value {
    let state = std::fs::read(lake.root().join("_usagelake/state/tab.json")).unwrap();
    let state: serde_json::Value = serde_json::from_slice(&state).unwrap();
    state["datasets"]["auth_events"]["rebuild_pending"].clone()
}

#[tokio::test]
async fn a_historical_events_run_rebuilds_sessions_and_days_with_newer_actors_wait_for_hist_users()
{
    let (db, lake) = repository_lake("").await;
    lake.run_ok(&[]);
    let pipeline = lake.pipeline.to_str().unwrap();

    // bob's Logout (his hist_users row is in the lake's snapshot) and a Login of dee,
    // whose hist_users row is newer than that snapshot.
    db.exec(
        "INSERT INTO hist_users (id, user_id, name) VALUES (2004, 7, 'dee');
         INSERT INTO historical_events
           (id, historical_event_type_id, worker, created_at, hist_actor_user_id, hist_actor_site_id)
         VALUES (8, 302, 'node2', '2026-01-10 12:00', 2002, 11),
                (9, 301, 'node3', '2026-01-10 12:30', 2004, 10);",
    )
    .await;
    let out = usagelake(
        &["run", pipeline, "--dataset", "historical_events"],
        &[],
        &[],
    );
    assert_success(&out);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(
            "WARNING tab/auth_events: 1 Login/Logout event(s) on 1 day(s) name hist_users rows \
             newer than the lake's hist_users snapshot"
        ) && summary.contains("the next run that archives hist_users rebuilds those days"),
        "{summary}"
    );
    assert_eq!(
        sessions(&lake),
        expected(&[BOB_CLOSED]),
        "bob's session is closed at once; dee is not named yet"
    );
    assert_eq!(
        days_waiting_for_lookups(&lake),
        serde_json::json!(["event_date=2026-01-10"])
    );
    let status = usagelake(&["status", pipeline], &[], &[]);
    let status = String::from_utf8(status.stdout).unwrap();
    assert!(
        status.contains("note tab/auth_events: 1 day(s) lack Login/Logout events whose actors"),
        "{status}"
    );

    // The next full run reads no new event but a newer hist_users: the day is rebuilt.
    lake.run_ok(&[]);
    let dee = ("node3", "dee", Some("12:30"), None, "open");
    assert_eq!(sessions(&lake), expected(&[BOB_CLOSED, dee]));
    assert_eq!(total_rows(&lake.dataset_dir("auth_events")), 7);
    assert!(
        days_waiting_for_lookups(&lake).is_null(),
        "nothing waits any more"
    );
    let status = usagelake(&["status", pipeline], &[], &[]);
    assert!(!String::from_utf8(status.stdout)
        .unwrap()
        .contains("note tab/auth_events"));
}
