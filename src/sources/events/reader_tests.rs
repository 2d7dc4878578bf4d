//! Real-world file shapes, read whole and in increments.

use std::io::Write;

use super::*;
use crate::sources::events::time::format_instant;

fn source(format: FileFormat) -> EventsSource {
    EventsSource::new("logons", format, vec![], "Europe/Berlin".parse().unwrap())
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_all(source: &EventsSource, path: &std::path::Path) -> (ReadResult, Resume) {
    let mut file = File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    read_from(source, &mut file, "f", &Resume::start(), size).unwrap()
}

/// (line, instant, type, machine, user, extra) of each event.
fn events(result: &ReadResult) -> Vec<(u64, String, &'static str, String, String, String)> {
    result
        .events
        .iter()
        .map(|e| {
            (
                e.line,
                format_instant(e.event_at),
                e.event_type.as_str(),
                e.machine.clone(),
                e.user.clone(),
                e.extra.clone(),
            )
        })
        .collect()
}

#[test]
fn csv_with_bom_crlf_quotes_and_no_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}time,type,machine,user,note\r\n\
                2026-01-10 09:00:00,logon,ws1,ann,\"late, again\"\r\n\
                2026-01-10T10:00:00.123456Z,4634,ws1,ann,\"say \"\"hi\"\"\"";
    let path = write(&dir, "a.csv", text.as_bytes());
    let (result, resume) = read_all(&source(FileFormat::Csv), &path);
    assert!(result.rejected.is_empty(), "{:?}", result.rejected);
    assert_eq!(
        events(&result),
        vec![
            (
                2,
                "2026-01-10T08:00:00.000000Z".into(),
                "login",
                "ws1".into(),
                "ann".into(),
                r#"{"note":"late, again"}"#.into()
            ),
            (
                3,
                "2026-01-10T10:00:00.123456Z".into(),
                "logout",
                "ws1".into(),
                "ann".into(),
                r#"{"note":"say \"hi\""}"#.into()
            ),
        ]
    );
    assert_eq!(resume.offset, text.len() as u64);
    assert!(resume.ends_mid_line);
    assert_eq!(resume.next_line, 3);
}

#[test]
fn csv_files_may_order_columns_differently() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        &dir,
        "a.csv",
        b"user,machine,type,time\nann,ws1,login,2026-01-10 09:00:00\n",
    );
    let b = write(
        &dir,
        "b.csv",
        b"time,user,type,machine\n2026-01-10 09:00:00,ann,login,ws1\n",
    );
    let source = source(FileFormat::Csv);
    let (ra, _) = read_all(&source, &a);
    let (rb, _) = read_all(&source, &b);
    assert_eq!(events(&ra), events(&rb));
    assert_eq!(ra.events.len(), 1);
}

#[test]
fn every_bad_csv_row_is_reported_with_its_physical_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "time,type,machine,user\n\
                2026-01-10 09:00:00,login,ws1,ann\n\
                yesterday,login,ws1,ann\n\
                2026-01-10 09:05:00,reboot,ws1,ann\n\
                2026-01-10 09:06:00,login,ws1,\n\
                2026-03-29 02:30:00,login,ws1,ann\n\
                2026-01-10 09:07:00,login,ws1\n\
                \"2026-01-10 09:08:00\",\"log\nin\",ws1,ann\n\
                2026-01-10 09:09:00,logout,ws1,ann\n";
    let path = write(&dir, "bad.csv", text.as_bytes());
    let (result, _) = read_all(&source(FileFormat::Csv), &path);
    let rejected: Vec<(u64, &str)> = result
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(rejected.len(), 6, "{rejected:?}");
    assert_eq!(rejected[0].0, 3);
    assert!(rejected[0].1.contains("not a timestamp"));
    assert_eq!(rejected[1], (4, "unknown type `reboot`"));
    assert_eq!(rejected[2], (5, "missing user (`user`)"));
    assert_eq!(rejected[3].0, 6);
    assert!(rejected[3].1.contains("does not exist"));
    assert_eq!(rejected[4], (7, "3 fields, the header has 4"));
    // A quoted newline: the row starts on line 8 and the next row is on line 10.
    assert_eq!(rejected[5].0, 8);
    let lines: Vec<u64> = result.events.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 10]);
}

#[test]
fn json_lines_with_keys_in_any_order_escapes_and_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"user\":\"j\\u00fcrgen\",\"type\":\"logon\",\"machine\":\"ws2\",\"time\":\"2026-01-10T09:00:00.5+01:00\",\"port\":3389}\r\n\
                \r\n\
                {\"time\":\"2026-01-10 11:00:00\",\"machine\":\"ws2\",\"type\":\"logoff\",\"user\":\"jürgen\",\"ok\":true}\n\
                {not json}\n\
                [1,2]\n\
                {\"time\":\"2026-01-10 12:00:00\",\"machine\":\"ws2\",\"type\":\"logoff\"}";
    let path = write(&dir, "a.jsonl", text.as_bytes());
    let (result, resume) = read_all(&source(FileFormat::JsonLines), &path);
    assert_eq!(
        events(&result),
        vec![
            (
                1,
                "2026-01-10T08:00:00.500000Z".into(),
                "login",
                "ws2".into(),
                "jürgen".into(),
                r#"{"port":"3389"}"#.into()
            ),
            (
                3,
                "2026-01-10T10:00:00.000000Z".into(),
                "logout",
                "ws2".into(),
                "jürgen".into(),
                r#"{"ok":"true"}"#.into()
            ),
        ]
    );
    let rejected: Vec<u64> = result.rejected.iter().map(|r| r.line).collect();
    assert_eq!(rejected, vec![4, 5, 6]);
    assert!(result.rejected[0].reason.starts_with("invalid JSON"));
    assert_eq!(result.rejected[2].reason, "missing user (`user`)");
    assert_eq!(resume.next_line, 6);
}

#[test]
fn a_grown_file_is_read_from_where_the_last_read_ended() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(FileFormat::Csv);
    let path = write(
        &dir,
        "a.csv",
        b"time,type,machine,user\n2026-01-10 09:00:00,login,ws1,ann",
    );
    let (first, resume) = read_all(&source, &path);
    assert_eq!(first.events.len(), 1);
    // The writer finishes the last line and appends two more.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"\r\n2026-01-10 10:00:00,logout,ws1,ann\n2026-01-10 10:00:00,login,ws2,bob\n")
        .unwrap();
    let mut file = File::open(&path).unwrap();
    let size = file.metadata().unwrap().len();
    let (second, resume) = read_from(&source, &mut file, "f", &resume, size).unwrap();
    assert!(second.rejected.is_empty(), "{:?}", second.rejected);
    let lines: Vec<(u64, &str)> = second
        .events
        .iter()
        .map(|e| (e.line, e.user.as_str()))
        .collect();
    assert_eq!(lines, vec![(3, "ann"), (4, "bob")]);
    assert_eq!(resume.next_line, 5);
    assert!(!resume.ends_mid_line);
    // Nothing new: nothing read.
    let (third, _) = read_from(&source, &mut file, "f", &resume, size).unwrap();
    assert!(third.events.is_empty() && third.rejected.is_empty());
}
