//! Merge by key: reruns, overlapping windows and evicted partitions add no duplicates.

use super::*;

#[test]
fn rerun_adds_nothing_and_leaves_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let batches = [day_batch(DAY1, 1, 50), day_batch(DAY2, 51, 50)];
    write_all(&layout, options("run-a", 1000), &batches);
    let before = files_of(&layout);
    let summary = write_all(&layout, options("run-b", 1000), &batches);
    assert_eq!(
        (
            summary.rows_written,
            summary.rows_already_present,
            summary.files_published
        ),
        (0, 100, 0)
    );
    assert_eq!(files_of(&layout), before);
}

#[test]
fn overlapping_window_adds_only_new_keys() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    write_all(&layout, options("run-a", 1000), &[day_batch(DAY1, 1, 100)]);
    // Lookback re-reads ids 81..=100, plus 20 new ones, one of them repeated in the batch.
    let mut rows: Vec<(i64, String)> = (81..=120)
        .map(|id| (id, format!("{DAY1}T12:00:{:02}Z", id % 60)))
        .collect();
    rows.push((110, format!("{DAY1}T12:00:50Z")));
    let rows: Vec<(i64, &str)> = rows.iter().map(|(id, t)| (*id, t.as_str())).collect();
    let summary = write_all(&layout, options("run-b", 1000), &[batch(&rows)]);
    assert_eq!(
        (summary.rows_written, summary.rows_already_present),
        (20, 21)
    );
    let ids = all_ids(&layout);
    assert_eq!(ids, (1..=120).collect::<Vec<_>>());
}

#[test]
fn evicted_partitions_still_dedupe_what_this_writer_staged() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let opts = WriterOptions {
        max_open_partitions: 1,
        ..options("run-a", 1000)
    };
    // Alternating days force an eviction per batch; ids repeat across batches.
    let batches = [
        day_batch(DAY1, 1, 10),
        day_batch(DAY2, 100, 10),
        day_batch(DAY1, 5, 10),
        day_batch(DAY2, 105, 10),
    ];
    let summary = write_all(&layout, opts, &batches);
    assert_eq!(
        (summary.rows_written, summary.rows_already_present),
        (29, 11)
    );
    let ids = all_ids(&layout);
    assert_no_duplicates(&ids);
    assert_eq!(ids, (1..=14).chain(100..=114).collect::<Vec<_>>());
}
