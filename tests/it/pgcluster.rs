//! The private PostgreSQL cluster and the demo repository it serves to other tests.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use usagelake::pgcluster::{ClusterOptions, PgCluster};

use crate::support::pg::{connect, TestDb};
use crate::support::wait::{is_port_open, wait_for};

fn demo_first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

#[tokio::test]
async fn cluster_runs_in_a_non_utc_zone_and_cleans_up_on_stop() {
    let started = Instant::now();
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(ClusterOptions::ephemeral()))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("cluster start took {:?}", started.elapsed());

    let client = cluster.connect("postgres").await.unwrap();
    let zone: String = client.query_one("SHOW timezone", &[]).await.unwrap().get(0);
    assert_eq!(
        zone, "America/Los_Angeles",
        "a UTC server would hide naive-timestamp shifts"
    );
    let listen: String = client
        .query_one("SHOW listen_addresses", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(listen, "127.0.0.1");

    cluster.create_database("made_here").await.unwrap();
    cluster
        .execute_sql(
            "made_here",
            "CREATE TABLE t (x int); INSERT INTO t VALUES (1)",
        )
        .await
        .unwrap();
    let via_url = connect(&cluster.url("made_here")).await;
    let x: i32 = via_url
        .query_one("SELECT x FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(x, 1);
    let err = cluster
        .execute_sql("made_here", "SELECT * FROM no_such_table")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no_such_table"),
        "SQL errors carry the server message: {err}"
    );
    drop((client, via_url));

    let (port, data_dir) = (cluster.port(), cluster.data_dir().to_path_buf());
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap()
        .unwrap();
    assert!(
        !is_port_open(port),
        "server still listening on {port} after stop()"
    );
    assert!(
        !data_dir.exists(),
        "temporary data dir {} survived stop()",
        data_dir.display()
    );
}

#[test]
fn startup_failure_reports_the_server_log() {
    let opts = ClusterOptions {
        server_time_zone: "Mars/Olympus_Mons".to_string(),
        ..ClusterOptions::ephemeral()
    };
    let err = PgCluster::start(opts).expect_err("an unknown time zone must stop the server");
    let text = err.to_string();
    assert!(
        text.contains("exited during startup") && text.contains("Mars/Olympus_Mons"),
        "{text}"
    );
}

/// The demo keeps its cluster in a directory the user names: a restart must find the data.
#[tokio::test]
async fn kept_data_dir_survives_a_restart() {
    let parent = tempfile::Builder::new()
        .prefix("usagelake-kept-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(
        parent.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let opts = ClusterOptions {
        data_dir: Some(parent.path().join("pgdata")),
        ..ClusterOptions::ephemeral()
    };
    for round in 0..2 {
        let opts = opts.clone();
        let cluster = tokio::task::spawn_blocking(move || PgCluster::start(opts))
            .await
            .unwrap()
            .unwrap();
        if round == 0 {
            cluster.create_database("kept").await.unwrap();
            cluster
                .execute_sql("kept", "CREATE TABLE t AS SELECT 42 AS x")
                .await
                .unwrap();
        } else {
            let x: i32 = cluster
                .connect("kept")
                .await
                .unwrap()
                .query_one("SELECT x FROM t", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(x, 42);
        }
        tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .unwrap()
            .unwrap();
        assert!(
            parent.path().join("pgdata/PG_VERSION").is_file(),
            "kept data dir was removed"
        );
    }
}

/// Each check is a SQL predicate the demo repository must satisfy: the oddities of
/// reference §6(b) that the extractor and the enrichment have to survive.
const DEMO_CHECKS: &[(&str, &str)] = &[
    ("exactly n requests", "SELECT count(*) = 100000 FROM http_requests"),
    ("the 7-day window, naive UTC", "SELECT min(created_at) >= '2026-11-01' AND max(created_at) < '2026-11-08' FROM http_requests"),
    ("~5% NULL user_id", "SELECT avg((user_id IS NULL)::int) BETWEEN 0.03 AND 0.08 FROM http_requests"),
    ("some user_id 0", "SELECT count(*) > 500 FROM http_requests WHERE user_id = 0"),
    ("ids beyond int4", "SELECT max(id) > 2147483647 AND min(id) < 2147483647 FROM http_requests"),
    ("unfinished requests", "SELECT count(*) > 0 FROM http_requests WHERE completed_at IS NULL"),
    ("late-committed rows", "SELECT count(*) > 10 FROM (SELECT created_at > lead(created_at) OVER (ORDER BY id) AS late FROM http_requests) s WHERE late"),
    ("URIs of 40-150 chars", "SELECT min(length(http_request_uri)) >= 40 AND max(length(http_request_uri)) <= 150 FROM http_requests"),
    ("NULL currentsheet", "SELECT count(*) > 0 FROM http_requests WHERE currentsheet IS NULL"),
    ("empty currentsheet", "SELECT count(*) > 0 FROM http_requests WHERE currentsheet = ''"),
    ("ds: currentsheet", "SELECT count(*) > 0 FROM http_requests WHERE currentsheet LIKE 'ds:%'"),
    ("currentsheet with a space", "SELECT count(*) > 0 FROM http_requests WHERE currentsheet LIKE '% %'"),
    ("currentsheet ending /null", "SELECT count(*) > 0 FROM http_requests WHERE currentsheet LIKE '%/null'"),
    ("customized view", "SELECT count(*) > 0 FROM http_requests WHERE split_part(currentsheet, '/', 4) <> '' AND currentsheet NOT LIKE 'ds:%'"),
    ("site-prefixed vizql URI", "SELECT count(*) > 0 FROM http_requests WHERE http_request_uri LIKE '/vizql/t/%'"),
    ("comma-list user_ip", "SELECT count(*) > 0 FROM http_requests WHERE user_ip LIKE '%,%'"),
    ("pdf/png exports", "SELECT count(*) > 0 FROM http_requests WHERE http_request_uri ~ '\\.(pdf|png)'"),
    ("row at the DST fall-back", "SELECT count(*) > 0 FROM http_requests WHERE created_at = '2026-11-01 06:30'"),
    ("three sites, Default has ''", "SELECT count(*) = 3 AND bool_or(url_namespace = '' AND name = 'Default') FROM sites"),
    ("a view URL in two sites", "SELECT count(*) > 0 FROM (SELECT repository_url FROM views GROUP BY 1 HAVING count(DISTINCT site_id) > 1) s"),
    ("a deleted view in hist_views only", "SELECT count(*) > 0 FROM hist_views h WHERE h.view_id IS NULL AND NOT EXISTS (SELECT 1 FROM views v WHERE v.repository_url = h.repository_url)"),
    ("one renamed view", "SELECT count(*) = 1 FROM views v JOIN hist_views h ON h.view_id = v.id WHERE h.name <> v.name"),
    ("~150 views", "SELECT count(*) BETWEEN 100 AND 200 FROM views"),
    ("site roles 10 and 11", "SELECT count(DISTINCT site_role_id) = 2 FROM users WHERE site_role_id IN (10, 11)"),
    ("published and embedded sources", "SELECT bool_or(parent_workbook_id IS NULL) AND bool_or(parent_workbook_id IS NOT NULL) FROM datasources"),
    ("unfinished background jobs", "SELECT count(*) > 0 FROM background_jobs WHERE completed_at IS NULL"),
    ("5-10k events", "SELECT count(*) BETWEEN 5000 AND 10000 FROM historical_events"),
    ("actors resolve in hist_users", "SELECT count(*) = 0 FROM historical_events e WHERE hist_actor_user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hist_users h WHERE h.id = e.hist_actor_user_id)"),
    ("the real event-name typo", "SELECT name = 'Change Workbook Ownerhsip To' FROM historical_event_types WHERE type_id = 104"),
    ("every password is a marked fake", "SELECT bool_and(hashed_password LIKE 'usagelake-fake-secret%') FROM system_users"),
];

#[tokio::test]
async fn demo_repository_has_the_documented_oddities() {
    let db = TestDb::new().await;
    let started = Instant::now();
    db.load_demo(100_000, demo_first_day(), 7).await;
    eprintln!("demo load (100k requests) took {:?}", started.elapsed());
    let mut failed = Vec::new();
    for (what, sql) in DEMO_CHECKS {
        if !db.scalar::<bool>(sql).await {
            failed.push(*what);
        }
    }
    assert!(failed.is_empty(), "demo repository lacks: {failed:?}");
}

#[tokio::test]
async fn demo_repository_is_deterministic() {
    const FINGERPRINT: &str =
        "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM http_requests t";
    const EVENTS: &str =
        "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM historical_events t";
    let (a, b) = (TestDb::new().await, TestDb::new().await);
    a.load_demo(20_000, demo_first_day(), 3).await;
    b.load_demo(20_000, demo_first_day(), 3).await;
    assert_eq!(
        a.scalar::<String>(FINGERPRINT).await,
        b.scalar::<String>(FINGERPRINT).await
    );
    assert_eq!(
        a.scalar::<String>(EVENTS).await,
        b.scalar::<String>(EVENTS).await
    );
    // Regenerating in place gives the same rows again.
    a.exec("SELECT usagelake_demo_generate(20000, DATE '2026-11-01', 3)")
        .await;
    assert_eq!(
        a.scalar::<String>(FINGERPRINT).await,
        b.scalar::<String>(FINGERPRINT).await
    );
}

#[tokio::test]
async fn bench_generator_fills_and_appends_http_requests() {
    let db = TestDb::new().await;
    db.exec(crate::support::pg::DEMO_SCHEMA_SQL).await;
    db.exec(crate::support::pg::BENCH_SQL).await;
    db.exec("SELECT usagelake_bench_generate(150000, DATE '2026-11-01', 7)")
        .await;
    db.exec("SELECT usagelake_bench_append(1000)").await;
    let row = db
        .client
        .query_one(
            "SELECT count(*), min(id), max(id), avg((user_id IS NULL)::int)::float8,
                min(length(http_request_uri)), max(length(http_request_uri)),
                avg(length(http_user_agent))::float8, max(created_at)::text
             FROM http_requests",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (151_000, 1, 151_000)
    );
    let null_share: f64 = row.get(3);
    assert!(
        (0.03..0.07).contains(&null_share),
        "NULL user_id share {null_share}"
    );
    let (min_len, max_len): (i32, i32) = (row.get(4), row.get(5));
    assert!(
        min_len >= 40 && max_len <= 150,
        "URI lengths {min_len}..{max_len}"
    );
    let agent_len: f64 = row.get(6);
    assert!(
        (100.0..130.0).contains(&agent_len),
        "user agent length {agent_len}"
    );
    let last: String = row.get(7);
    assert!(
        last.as_str() > "2026-11-08",
        "appended rows continue after the window: {last}"
    );
    let out_of_order = db
        .scalar::<i64>("SELECT count(*) FROM (SELECT created_at > lead(created_at) OVER (ORDER BY id) AS x FROM http_requests) s WHERE x")
        .await;
    assert_eq!(out_of_order, 0, "bench ids follow time");
    assert!(
        db.scalar::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'http_requests_pkey')"
        )
        .await
    );
}

const REAPER_CHILD_ENV: &str = "USAGELAKE_TEST_REAPER_CHILD";

/// Not a test: the body of the child process of `reaper_stops_server_when_owner_is_killed`.
#[test]
#[ignore = "helper process for reaper_stops_server_when_owner_is_killed"]
fn reaper_child_process() {
    if std::env::var_os(REAPER_CHILD_ENV).is_none() {
        return;
    }
    let cluster = PgCluster::start(ClusterOptions::ephemeral()).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "USAGELAKE_PG_PORT={} USAGELAKE_PG_DATA={}",
        cluster.port(),
        cluster.data_dir().display()
    );
    loop {
        std::thread::park(); // until SIGKILL
    }
}

#[test]
fn reaper_stops_server_when_owner_is_killed() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pgcluster::reaper_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(REAPER_CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let announced = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_once("USAGELAKE_PG_PORT=")
                .map(|(_, rest)| rest.to_string())
        })
        .expect("child exited without starting a cluster");
    let (port, data_dir) = announced.split_once(" USAGELAKE_PG_DATA=").unwrap();
    let port: u16 = port.parse().unwrap();
    assert!(is_port_open(port), "child's server not listening on {port}");

    let killed_at = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    assert!(
        wait_for(Duration::from_secs(15), || !is_port_open(port)),
        "server on {port} outlived its killed owner"
    );
    assert!(
        wait_for(Duration::from_secs(15), || !std::path::Path::new(data_dir)
            .exists()),
        "reaper left {data_dir} behind"
    );
    eprintln!(
        "server gone {:?} after its owner was killed",
        killed_at.elapsed()
    );
}
