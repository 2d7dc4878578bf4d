//! The peak-concurrency sweep on hand-made sessions.

use super::*;

const MIN: i64 = 60_000_000;

/// Sessions as (login, end) minutes → hour index → peak.
fn peaks(sessions: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut points: Vec<(i64, i32)> = sessions
        .iter()
        .flat_map(|&(login, end)| [(login * MIN, 1), (end * MIN, -1)])
        .collect();
    hour_peaks(&mut points)
        .into_iter()
        .map(|(hour, peak)| (hour / HOUR_US, peak))
        .collect()
}

#[test]
fn overlapping_sessions_peak_in_the_hour_they_overlap() {
    // 00:10–00:50 and 00:40–02:30: two at once in hour 0, one through hours 1 and 2.
    assert_eq!(peaks(&[(10, 50), (40, 150)]), vec![(0, 2), (1, 1), (2, 1)]);
}

#[test]
fn a_logout_and_a_login_at_one_instant_do_not_overlap() {
    assert_eq!(peaks(&[(10, 30), (30, 50)]), vec![(0, 1)]);
}

#[test]
fn a_session_ending_on_the_hour_is_not_open_in_the_next_hour() {
    assert_eq!(peaks(&[(10, 60)]), vec![(0, 1), (1, 0)]);
}

#[test]
fn an_hour_without_changes_carries_the_open_count() {
    assert_eq!(
        peaks(&[(10, 200), (20, 30)]),
        vec![(0, 2), (1, 1), (2, 1), (3, 1)]
    );
}
