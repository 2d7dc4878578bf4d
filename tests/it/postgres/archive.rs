//! Application tables archived incrementally: by id (with a view next to it) and by a
//! naive timestamp in a configured zone; reruns add nothing; rows committed late are
//! caught by the lookback; NULL partition times are kept and reported; the types users
//! have come out as documented; an unsupported type is a clear error.

use super::{column_text, PgLake};

const AUDIT: &str = r#"
CREATE SCHEMA app;
CREATE TABLE app.audit (
    id bigserial PRIMARY KEY,
    created_at timestamptz,
    actor text,
    action varchar(20),
    amount numeric(10, 2),
    ok boolean,
    n integer,
    big bigint,
    ref uuid,
    day date,
    local_at timestamp,
    payload jsonb,
    ratio double precision
);
CREATE VIEW app.audit_logins AS
    SELECT id, created_at, actor FROM app.audit WHERE action = 'login';
-- id 6 is missing: its transaction took the id and commits later (see the test).
INSERT INTO app.audit VALUES
 (1, '2026-01-10 08:00:00+00', 'ann', 'login', 12.50, true, 7, 9000000000,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2026-01-10', '2026-01-10 09:00:00',
  '{"b": 1, "a": [true, null]}', 0.25),
 (2, '2026-01-10 23:30:00+00', 'bob', 'login', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, '2026-01-11 10:00:00+00', 'ann', 'export', -0.01, false, -1, -1,
  NULL, '1999-12-31', '2026-07-01 12:00:00', '"text"', -1.5),
 (4, NULL, 'cy', 'login', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, '2026-01-11 11:00:00+00', 'di', 'logout', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, '2026-01-11 12:00:00+00', 'ed', 'login', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"#;

const TABLES: &str = r#"timestamp_time_zone = "Europe/Berlin"
[[sources.tables]]
relation = "app.audit"
dataset = "audit"
incremental_by = "id"
partition_by = "created_at"

[[sources.tables]]
relation = "app.audit_logins"
dataset = "logins"
incremental_by = "id"
partition_by = "created_at"
"#;

fn counts(lake: &PgLake, dataset: &str) -> Vec<(String, usize)> {
    lake.counts(dataset)
}

fn partitions(list: &[(&str, usize)]) -> Vec<(String, usize)> {
    list.iter()
        .map(|(d, n)| (format!("event_date={d}"), *n))
        .collect()
}

#[tokio::test]
async fn an_audit_table_by_id_and_a_view_rerun_add_nothing_and_late_rows_arrive() {
    let lake = PgLake::new(AUDIT, TABLES).await;
    let summary = lake.run();
    // 23:30Z on the 10th is 00:30 on the 11th in Berlin; the NULL time is kept apart.
    let first = partitions(&[("1970-01-01", 1), ("2026-01-10", 1), ("2026-01-11", 4)]);
    assert_eq!(counts(&lake, "audit"), first);
    assert!(
        summary.contains("1 row(s) read have NULL `created_at` (partition_by)"),
        "{summary}"
    );
    assert_eq!(
        counts(&lake, "logins"),
        partitions(&[("1970-01-01", 1), ("2026-01-10", 1), ("2026-01-11", 2)])
    );

    lake.run();
    assert_eq!(counts(&lake, "audit"), first, "a rerun adds nothing");

    // The transaction holding id 6 commits now, with a time inside the lookback, and a
    // new row arrives: both are archived once.
    lake.db
        .exec(
            "INSERT INTO app.audit (id, created_at, actor, action) VALUES \
             (6, '2026-01-11 11:30:00+00', 'fay', 'login'), \
             (8, '2026-01-12 09:00:00+00', 'gus', 'login');",
        )
        .await;
    lake.run();
    lake.run();
    assert_eq!(
        counts(&lake, "audit"),
        partitions(&[
            ("1970-01-01", 1),
            ("2026-01-10", 1),
            ("2026-01-11", 5),
            ("2026-01-12", 1)
        ])
    );
    let mut ids = column_text(&lake.rows("audit"), "id");
    ids.sort();
    assert_eq!(
        ids,
        ["1", "2", "3", "4", "5", "6", "7", "8"],
        "each id once"
    );
    let mut view_ids = column_text(&lake.rows("logins"), "id");
    view_ids.sort();
    assert_eq!(view_ids, ["1", "2", "4", "6", "7", "8"]);
}

#[tokio::test]
async fn the_types_users_have_are_archived_as_documented() {
    let lake = PgLake::new(AUDIT, TABLES).await;
    lake.run();
    let rows = lake.rows("audit");
    let day10: Vec<_> = rows
        .iter()
        .filter(|(p, _)| p == "event_date=2026-01-10")
        .cloned()
        .collect();
    let schema = day10[0].1.schema();
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}:{}", f.name(), f.data_type()))
        .collect();
    assert_eq!(
        types,
        [
            "id:Int64",
            "created_at:Timestamp(µs, \"UTC\")",
            "actor:Utf8",
            "action:Utf8",
            "amount:Utf8",
            "ok:Boolean",
            "n:Int32",
            "big:Int64",
            "ref:Utf8",
            "day:Date32",
            "local_at:Timestamp(µs, \"UTC\")",
            "payload:Utf8",
            "ratio:Float64",
        ]
    );
    let values: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| column_text(&day10, f.name())[0].clone())
        .collect();
    assert_eq!(
        values,
        [
            "1",
            "2026-01-10 08:00:00Z",
            "ann",
            "login",
            "12.50",
            "true",
            "7",
            "9000000000",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "2026-01-10",
            // Naive 09:00 Berlin wall-clock time is 08:00 UTC.
            "2026-01-10 08:00:00Z",
            r#"{"a": [true, null], "b": 1}"#,
            "0.25",
        ]
    );
    // NULLs stay NULL; summer time in the naive column is UTC+2.
    let day11 = rows
        .iter()
        .filter(|(p, _)| p == "event_date=2026-01-11")
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(column_text(&day11, "amount")[..2], ["NULL", "-0.01"]);
    assert_eq!(column_text(&day11, "local_at")[1], "2026-07-01 10:00:00Z");
    assert_eq!(column_text(&day11, "day")[1], "1999-12-31");
}

#[tokio::test]
async fn a_log_by_naive_timestamp_rereads_the_lookback_and_keeps_nulls() {
    let setup = r#"
CREATE TABLE login_log (event_uuid uuid PRIMARY KEY, logged_at timestamp, who text);
INSERT INTO login_log VALUES
 ('00000000-0000-0000-0000-000000000001', '2026-01-10 00:30:00', 'ann'),
 ('00000000-0000-0000-0000-000000000002', '2026-01-10 10:00:00', 'bob'),
 ('00000000-0000-0000-0000-000000000003', NULL, 'cy');
"#;
    let tables = r#"[[sources.tables]]
relation = "login_log"
incremental_by = "logged_at"
partition_by = "logged_at"
key = "event_uuid"
timestamp_time_zone = "Europe/Berlin"
lookback_minutes = 60
"#;
    let lake = PgLake::new(setup, tables).await;
    lake.run();
    let first = partitions(&[("1970-01-01", 1), ("2026-01-10", 2)]);
    assert_eq!(counts(&lake, "login_log"), first);
    // 00:30 Berlin is 23:30 UTC the day before, and stays on its local day.
    let times = column_text(&lake.rows("login_log"), "logged_at");
    assert!(
        times.contains(&"2026-01-09 23:30:00Z".to_string()),
        "{times:?}"
    );

    lake.run();
    assert_eq!(counts(&lake, "login_log"), first, "a rerun adds nothing");

    // Committed late: 30 minutes older than the newest row (inside the lookback), a
    // NULL time, and a new day.
    lake.db
        .exec(
            "INSERT INTO login_log VALUES \
             ('00000000-0000-0000-0000-000000000004', '2026-01-10 09:30:00', 'di'), \
             ('00000000-0000-0000-0000-000000000005', NULL, 'ed'), \
             ('00000000-0000-0000-0000-000000000006', '2026-01-11 08:00:00', 'fay');",
        )
        .await;
    lake.run();
    lake.run();
    assert_eq!(
        counts(&lake, "login_log"),
        partitions(&[("1970-01-01", 2), ("2026-01-10", 3), ("2026-01-11", 1)])
    );
}

#[tokio::test]
async fn an_unsupported_type_is_an_error_naming_the_column_and_type() {
    let setup = "CREATE TABLE jobs (id int PRIMARY KEY, at timestamptz, took interval); \
                 INSERT INTO jobs VALUES (1, '2026-01-10 10:00+00', '5 minutes');";
    let tables =
        "[[sources.tables]]\nrelation = \"jobs\"\nincremental_by = \"id\"\npartition_by = \"at\"\n";
    let lake = PgLake::new(setup, tables).await;
    let out = lake.cmd("run", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("public.jobs column \"took\" has type interval"),
        "{text}"
    );
    assert!(text.contains("`columns`"), "says what to do: {text}");
    // Listing the other columns archives the table.
    lake.write_pipeline(&format!("{tables}columns = [\"id\", \"at\"]\n"));
    lake.run();
    assert_eq!(counts(&lake, "jobs"), partitions(&[("2026-01-10", 1)]));
}

#[tokio::test]
async fn an_infinite_partition_time_fails_the_table_alone_with_row_and_column() {
    let setup = "CREATE TABLE a (id int PRIMARY KEY, at timestamptz); \
                 INSERT INTO a VALUES (1, '2026-01-10 10:00+00'), (2, 'infinity'); \
                 CREATE TABLE b (id int PRIMARY KEY, at timestamptz); \
                 INSERT INTO b VALUES (1, '2026-01-10 10:00+00');";
    let tables = "[[sources.tables]]\nrelation = \"a\"\nincremental_by = \"id\"\npartition_by = \"at\"\n\
                  [[sources.tables]]\nrelation = \"b\"\nincremental_by = \"id\"\npartition_by = \"at\"\n";
    let lake = PgLake::new(setup, tables).await;
    let out = lake.cmd("run", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("column \"at\" at row 2") && text.contains("infinity"),
        "{text}"
    );
    assert!(
        counts(&lake, "a").is_empty(),
        "nothing of the failed table is published"
    );
    assert_eq!(
        counts(&lake, "b"),
        partitions(&[("2026-01-10", 1)]),
        "the other table ran"
    );
}
