//! Files: reruns, growth, rotation, malformed rows, JSON Lines.

use super::*;
use crate::support::lake::fingerprint;

#[test]
fn a_rerun_adds_nothing_and_touches_no_file() {
    let lake = EventsLake::csv("");
    lake.append(
        "a.csv",
        &(HEADER.to_string()
            + &at("09:00", "login", "ws1", "ann")
            + &at("10:00", "logout", "ws1", "ann")),
    );
    lake.run();
    let before = fingerprint(&lake.dir.path().join("lake").join("logons"));
    let sessions = lake.sessions();
    lake.run();
    assert_eq!(
        fingerprint(&lake.dir.path().join("lake").join("logons")),
        before
    );
    assert_eq!(lake.sessions(), sessions);
}

#[test]
fn the_same_export_read_twice_adds_nothing() {
    let lake = EventsLake::csv("");
    let text = HEADER.to_string() + &at("09:00", "login", "ws1", "ann");
    lake.append("a.csv", &text);
    lake.run();
    // The same export saved again under another name, and one more event in it.
    lake.append("b.csv", &(text + &at("09:05", "login", "ws1", "Ann")));
    lake.run();
    assert_eq!(
        lake.event_counts(),
        BTreeMap::from([("event_date=2026-01-10".to_string(), 2)])
    );
}

#[test]
fn a_grown_and_a_rotated_file_are_read_once_each() {
    let lake = EventsLake::csv("max_session_hours = 12");
    lake.append(
        "a.csv",
        &(HEADER.to_string() + &at("09:00", "login", "ws1", "ann")),
    );
    lake.run();
    lake.append("a.csv", &at("09:10", "login", "ws2", "bob"));
    lake.run();
    // Written after the last run, then rotated by rename; the new file starts over.
    lake.append("a.csv", &at("10:00", "logout", "ws1", "ann"));
    std::fs::rename(lake.log("a.csv"), lake.log("a.csv.1")).unwrap();
    lake.append(
        "a.csv",
        &(HEADER.to_string() + &at("11:00", "logout", "ws2", "bob")),
    );
    lake.run();
    // Copy-and-truncate rotation of the new file, after one more line.
    lake.append("a.csv", &at("11:30", "login", "ws1", "cy"));
    std::fs::copy(lake.log("a.csv"), lake.log("a.csv.2")).unwrap();
    std::fs::write(
        lake.log("a.csv"),
        HEADER.to_string() + &at("12:00", "logout", "ws1", "cy"),
    )
    .unwrap();
    lake.run();
    lake.run();
    assert_eq!(
        lake.event_counts(),
        BTreeMap::from([("event_date=2026-01-10".to_string(), 6)])
    );
    let sessions: Vec<(String, Option<String>, Option<String>)> = lake
        .sessions()
        .into_iter()
        .map(|s| (s.user, s.login, s.logout))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        sessions,
        vec![
            ("ann".into(), some("09:00:00"), some("10:00:00")),
            ("cy".into(), some("11:30:00"), some("12:00:00")),
            ("bob".into(), some("09:10:00"), some("11:00:00")),
        ]
    );
    assert!(lake.rejected().is_empty());
}

#[test]
fn a_malformed_file_reports_every_bad_row_with_its_line_and_archives_the_good_ones() {
    let lake = EventsLake::csv("");
    let text = "\u{feff}time,type,machine,user,ip\r\n\
        2026-01-10 10:00:00,logon,ws1,ann,\"10.0.0.1, 10.0.0.2\"\r\n\
        not a time,logon,ws1,ann,x\r\n\
        2026-01-10 10:05:00,shutdown,ws1,ann,x\r\n\
        2026-01-10 10:06:00,logon,ws1,,x\r\n\
        2026-03-29 02:30:00,logon,ws1,ann,x\r\n\
        2026-01-10 10:07:00,logon\r\n\
        2026-01-10 11:00:00,4634,ws1,ann,x";
    lake.append("bad.csv", text);
    let out = lake.run();
    let _ = out;
    let rejected = lake.rejected();
    let lines: Vec<i64> = rejected.iter().map(|r| r.1).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7], "{rejected:?}");
    assert!(rejected[0].2.contains("not a timestamp"));
    assert_eq!(rejected[1].2, "unknown type `shutdown`");
    assert_eq!(rejected[2].2, "missing user (`user`)");
    assert!(rejected[3].2.contains("does not exist in Europe/Berlin"));
    assert_eq!(rejected[4].2, "2 fields, the header has 5");
    assert_eq!(
        lake.event_counts(),
        BTreeMap::from([("event_date=2026-01-10".to_string(), 2)])
    );
    // Extra columns kept exactly, quoted comma included.
    let (_, batch) = &lake.rows("events")[0];
    let extra = batch.column_by_name("extra").unwrap().as_string::<i32>();
    let extras: Vec<&str> = (0..batch.num_rows()).map(|i| extra.value(i)).collect();
    assert!(
        extras.contains(&r#"{"ip":"10.0.0.1, 10.0.0.2"}"#),
        "{extras:?}"
    );
    // Reported once: more rows and a rerun do not repeat them.
    lake.append("bad.csv", "\r\n2026-01-10 12:00:00,logon,ws1,ann,x\r\n");
    lake.run();
    assert_eq!(lake.rejected().len(), 5);
    assert_eq!(
        lake.event_counts(),
        BTreeMap::from([("event_date=2026-01-10".to_string(), 3)])
    );
    // `status` counts them.
    let out = usagelake(&["status", lake.pipeline.to_str().unwrap()], &[], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5 bad row(s) rejected"), "{text}");
}

#[test]
fn json_lines_with_any_key_order_and_escapes() {
    let lake = EventsLake::new("jsonl", "*.jsonl", "user_column = \"account\"");
    lake.append(
        "a.jsonl",
        "{\"account\":\"j\\u00fcrgen\",\"type\":\"4624\",\"machine\":\"ws1\",\"time\":\"2026-01-10T09:00:00.123456Z\"}\n\
         {\"time\":\"2026-01-10T10:00:00Z\",\"machine\":\"ws1\",\"account\":\"jürgen\",\"type\":\"4647\"}\n\
         {\"time\": 12}\n",
    );
    lake.run();
    let sessions = lake.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].user, "jürgen");
    assert_eq!(sessions[0].login.as_deref(), Some("09:00:00"));
    assert_eq!(lake.rejected().len(), 1);
    assert_eq!(lake.rejected()[0].1, 3);
}

#[test]
fn a_config_mistake_names_the_file_and_line() {
    let lake = EventsLake::csv("login_policy = \"paralel\"\nmax_session_hours = -1");
    let out = usagelake(&["check", lake.pipeline.to_str().unwrap()], &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("pipeline.toml:11"), "{text}");
    assert!(text.contains("did you mean"), "{text}");
    assert!(text.contains("pipeline.toml:12"), "{text}");
}

/// More rows than one write batch (64k), days out of order, duplicates far apart (in
/// other batches) and bad rows among them: the streamed run keeps every rule of the
/// in-memory one, and a rerun over the grown file adds only the new lines.
#[test]
fn a_file_larger_than_a_batch_is_streamed_with_dedup_across_batches() {
    let lake = EventsLake::csv("");
    let mut text = HEADER.to_string();
    let (rows, days) = (150_000usize, 5usize);
    let line_of = |i: usize| {
        let day = 10 + (i * 7) % days;
        let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
        format!(
            "2026-01-{day:02}T{h:02}:{m:02}:{s:02}Z,logon,ws{},u{}\n",
            i % 13,
            i % 1000
        )
    };
    for i in 0..rows {
        text.push_str(&line_of(i));
        if i % 50_000 == 49_999 {
            text.push_str("yesterday,logon,ws1,ann\n");
        }
    }
    // The first 1,000 lines again at the end: 100k+ rows after their first copy.
    for i in 0..1_000 {
        text.push_str(&line_of(i));
    }
    lake.append("a.csv", &text);
    lake.run();
    let total = |counts: BTreeMap<String, usize>| counts.values().sum::<usize>();
    assert_eq!(total(lake.event_counts()), rows);
    // UTC days 10..14; late hours fall on the next day in the pipeline's Europe/Berlin.
    assert_eq!(lake.event_counts().len(), days + 1);
    let bad: Vec<i64> = lake.rejected().iter().map(|r| r.1).collect();
    // Header is line 1; a bad line follows every 50,000th event.
    assert_eq!(bad, vec![50_002, 100_003, 150_004]);

    lake.append("a.csv", &(line_of(rows) + &line_of(5)));
    lake.run();
    assert_eq!(total(lake.event_counts()), rows + 1);
    assert_eq!(lake.rejected().len(), 3, "bad rows are reported once");
}
