//! `kind = "postgres"`: typed values, defaults, and every problem with its line.

use super::*;
use crate::config::SslMode;
use crate::pipeline::file::load_pipeline;
use crate::pipeline::file::test_support::{errors, only_problem, parse, places};

fn postgres(source: &SourceConfig) -> &PostgresSource {
    match source {
        SourceConfig::Postgres(source) => source,
        other => panic!("expected a postgres source, got {}", other.kind()),
    }
}

/// Line 4 is the `[[sources]]` header, line 10 the first `[[sources.tables]]`.
const BASE: &str = r#"[output]
root = "lake"

[[sources]]
name = "app"
kind = "postgres"
host = "db"
database = "app"
user = "reader"
[[sources.tables]]
relation = "audit.events"
incremental_by = "id"
partition_by = "created_at"
"#;

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn the_example_file_parses_with_both_tables_and_the_auth_mapping() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let pipeline =
        load_pipeline(&dir.join("postgres.example.toml")).unwrap_or_else(|e| panic!("{e}"));
    let source = postgres(&pipeline.sources[0]);
    assert_eq!(source.connection.sslmode, SslMode::VerifyFull);
    assert_eq!(source.tables.len(), 2);
    let audit = &source.tables[0];
    assert_eq!(
        (audit.schema.as_str(), audit.relation.as_str()),
        ("audit", "events")
    );
    assert_eq!(audit.key_column(), "id");
    assert_eq!(audit.timestamp_zone, chrono_tz::Europe::Berlin);
    let logins = &source.tables[1];
    assert_eq!(logins.key_column(), "event_uuid");
    let auth = logins.auth.as_ref().unwrap();
    assert_eq!(auth.machine, Machine::Column("client_host".into()));
    assert_eq!(auth.max_session_hours, 12);
    assert_eq!(
        source.datasets(),
        [
            "audit_events",
            "login_log",
            "auth_events",
            "auth_rejected",
            "sessions"
        ]
    );
}

#[test]
fn defaults_fill_port_dataset_lookback_zone_and_batch_size() {
    let pipeline = parse(BASE);
    let source = postgres(&pipeline.sources[0]);
    assert_eq!(source.connection.port, DEFAULT_PORT);
    assert_eq!(source.connection.sslmode, SslMode::Prefer);
    let table = &source.tables[0];
    assert_eq!(table.dataset, "events", "the relation's own name");
    assert_eq!(table.lookback, Duration::from_secs(3600));
    assert_eq!(table.timestamp_zone, chrono_tz::UTC);
    assert_eq!(table.batch_rows, DEFAULT_BATCH_ROWS);
    assert!(table.auth.is_none());
    assert_eq!(
        source.datasets(),
        ["events"],
        "no auth: no derived datasets"
    );
}

#[test]
fn relation_names_follow_postgres_quoting() {
    assert_eq!(
        split_relation("login_log"),
        Some(("public".into(), "login_log".into()))
    );
    assert_eq!(
        split_relation("Audit.Events"),
        Some(("audit".into(), "events".into()))
    );
    assert_eq!(
        split_relation(r#""Audit"."Login ""Log""""#),
        Some(("Audit".into(), "Login \"Log\"".into()))
    );
    for bad in ["", "a.b.c", "a.", ".b", "a b", "a;drop", "\"open"] {
        assert_eq!(split_relation(bad), None, "{bad:?}");
    }
}

#[test]
fn every_problem_of_a_table_is_reported_with_its_line() {
    let text = r#"[output]
root = "lake"

[[sources]]
name = "app"
kind = "postgres"
host = "db"
user = "reader"
password = "hunter2"
[[sources.tables]]
relation = "a b"
incremental_by = "id"
partiton_by = "created_at"
lookback_minutes = -5
timestamp_time_zone = "Mars/Olympus"
[[sources.tables]]
relation = "x"
dataset = "sessions"
incremental_by = "id"
partition_by = "t"
columns = ["id"]
"#;
    assert_eq!(
        places(text),
        vec![
            (4, "sources[0].database".to_string()),
            (9, "sources[0].password".into()),
            (10, "sources[0].tables[0].partition_by".into()),
            (11, "sources[0].tables[0].relation".into()),
            (13, "sources[0].tables[0].partiton_by".into()),
            (14, "sources[0].tables[0].lookback_minutes".into()),
            (15, "sources[0].tables[0].timestamp_time_zone".into()),
            (18, "sources[0].tables[1].dataset".into()),
            (20, "sources[0].tables[1].partition_by".into()),
        ]
    );
    let typo = errors(text)
        .problems
        .into_iter()
        .find(|p| p.key.ends_with("partiton_by"))
        .unwrap();
    assert!(typo.hint.unwrap().contains("partition_by"));
}

#[test]
fn a_source_without_tables_says_how_to_add_one() {
    let text = "[output]\nroot = \"lake\"\n[[sources]]\nname = \"app\"\nkind = \"postgres\"\n\
                host = \"db\"\ndatabase = \"app\"\nuser = \"u\"\n";
    let problem = only_problem(text);
    assert_eq!(
        (problem.line, problem.key.as_str()),
        (3, "sources[0].tables")
    );
    assert!(problem.hint.unwrap().contains("[[sources.tables]]"));
}

#[test]
fn auth_mapping_problems() {
    let text = with(
        r#"[sources.tables.auth]
type_column = "action"
machine = "crm"
machine_column = "host"
login_values = ["in"]
logout_values = ["IN"]
login_policy = "paralel"
max_session_hours = 99999
colour = "red"
"#,
    );
    assert_eq!(
        places(&text),
        vec![
            (14, "sources[0].tables[0].auth.user_column".to_string()),
            (16, "sources[0].tables[0].auth.machine".into()),
            (19, "sources[0].tables[0].auth.logout_values".into()),
            (20, "sources[0].tables[0].auth.login_policy".into()),
            (21, "sources[0].tables[0].auth.max_session_hours".into()),
            (22, "sources[0].tables[0].auth.colour".into()),
        ]
    );
}

#[test]
fn only_one_table_feeds_auth_events_and_datasets_are_unique() {
    let auth = "[sources.tables.auth]\ntype_column = \"a\"\nuser_column = \"u\"\nmachine = \"m\"\n";
    let text = with(&format!(
        "{auth}[[sources.tables]]\nrelation = \"other.events\"\nincremental_by = \"id\"\n\
         partition_by = \"t\"\n{auth}"
    ));
    assert_eq!(
        places(&text),
        vec![
            (19, "sources[0].tables[1].dataset".to_string()),
            (22, "sources[0].tables[1].auth".into()),
        ]
    );
}

#[test]
fn listed_columns_must_include_the_columns_the_run_needs() {
    let text = with(
        "key = \"uuid\"\ncolumns = [\"id\", \"created\"]\n[sources.tables.auth]\n\
         type_column = \"action\"\nuser_column = \"id\"\nmachine = \"m\"\n",
    );
    let found = errors(&text);
    let keys: Vec<&str> = found.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sources[0].tables[0].partition_by",
            "sources[0].tables[0].key",
            "sources[0].tables[0].auth.type_column",
        ],
        "{found}"
    );
    assert!(
        found.problems[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("created"),
        "did you mean"
    );
}
