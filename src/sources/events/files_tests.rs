//! Growth, rotation by rename, copy-and-truncate and in-place rewrites, through `scan`.

use std::io::Write;

use crate::sources::events::{scan, EventsSource, FileFormat, FilesState};

const HEADER: &str = "time,type,machine,user\n";

fn line(minute: u32, kind: &str, user: &str) -> String {
    format!("2026-01-10 09:{minute:02}:00,{kind},ws1,{user}\n")
}

fn source(dir: &tempfile::TempDir) -> EventsSource {
    let pattern = dir
        .path()
        .join("logons.csv*")
        .to_string_lossy()
        .into_owned();
    EventsSource::new("logons", FileFormat::Csv, vec![pattern], chrono_tz::UTC)
}

fn append(path: &std::path::Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Users of the events a scan found, and the state after it.
fn users(source: &EventsSource, state: &FilesState) -> (Vec<String>, Vec<u64>, FilesState) {
    let scan = scan(source, state).unwrap();
    let mut users: Vec<String> = scan.events.iter().map(|e| e.user.clone()).collect();
    users.sort();
    let rejected = scan.rejected.iter().map(|r| r.line).collect();
    (users, rejected, scan.state)
}

#[test]
fn files_already_read_are_not_read_again_and_grown_ones_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logons.csv");
    append(&path, &(HEADER.to_string() + &line(0, "login", "a")));
    let source = source(&dir);
    let (first, _, state) = users(&source, &FilesState::default());
    assert_eq!(first, ["a"]);
    let (again, _, state) = users(&source, &state);
    assert!(again.is_empty());
    append(&path, &line(1, "login", "b"));
    let (grown, _, _) = users(&source, &state);
    assert_eq!(grown, ["b"]);
}

#[test]
fn rotation_by_rename_reads_the_rest_of_the_old_file_and_all_of_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logons.csv");
    append(
        &path,
        &(HEADER.to_string() + &line(0, "login", "a") + "bad row\n"),
    );
    let source = source(&dir);
    let (_, rejected, state) = users(&source, &FilesState::default());
    assert_eq!(rejected, [3]);
    // Written after the run, then rotated: logons.csv → logons.csv.1, a new logons.csv.
    append(&path, &line(1, "login", "b"));
    std::fs::rename(&path, dir.path().join("logons.csv.1")).unwrap();
    append(&path, &(HEADER.to_string() + &line(2, "login", "c")));
    let (found, rejected, state) = users(&source, &state);
    assert_eq!(found, ["b", "c"]);
    assert!(
        rejected.is_empty(),
        "the bad row is reported once: {rejected:?}"
    );
    let (again, _, _) = users(&source, &state);
    assert!(again.is_empty());
}

#[test]
fn copy_and_truncate_reads_the_tail_from_the_copy_and_the_new_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logons.csv");
    append(&path, &(HEADER.to_string() + &line(0, "login", "a")));
    let source = source(&dir);
    let (_, _, state) = users(&source, &FilesState::default());
    append(&path, &line(1, "login", "b"));
    std::fs::copy(&path, dir.path().join("logons.csv.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    append(&path, &(HEADER.to_string() + &line(2, "login", "c")));
    let (found, _, state) = users(&source, &state);
    assert_eq!(found, ["b", "c"]);
    let (again, _, _) = users(&source, &state);
    assert!(again.is_empty());
}

#[test]
fn a_file_rewritten_in_place_is_read_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logons.csv");
    append(
        &path,
        &(HEADER.to_string() + &line(0, "login", "a") + &line(1, "logout", "a")),
    );
    let source = source(&dir);
    let (_, _, state) = users(&source, &FilesState::default());
    // Same inode, new content, longer than before: not a grown file.
    let rewritten = HEADER.to_string()
        + &line(5, "login", "x")
        + &line(6, "login", "y")
        + &line(7, "login", "z");
    std::fs::write(&path, rewritten).unwrap();
    let (found, _, _) = users(&source, &state);
    assert_eq!(found, ["x", "y", "z"]);
}

#[test]
fn the_same_event_twice_in_one_scan_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    append(
        &dir.path().join("logons.csv"),
        &(HEADER.to_string() + &line(0, "login", "a") + &line(0, "logon", "a")),
    );
    append(
        &dir.path().join("logons.csv.1"),
        &(HEADER.to_string() + &line(0, "login", "a") + &line(0, "login", "A")),
    );
    let scan = scan(&source(&dir), &FilesState::default()).unwrap();
    let users: Vec<&str> = scan.events.iter().map(|e| e.user.as_str()).collect();
    // Strings compare exactly: `A` is another user.
    assert_eq!(users, ["a", "A"]);
    assert_eq!(scan.duplicates, 2);
}
