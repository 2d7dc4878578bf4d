//! One file per partition, merging into it, and recovery of an interrupted merge or run.

use super::*;

#[test]
fn every_run_leaves_one_sorted_file_per_partition() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let mut rewrites = 0;
    for run in 0..4i64 {
        let opts = WriterOptions {
            max_open_partitions: 1,
            ..options(&format!("run-{run}"), 7)
        };
        // Each run overlaps the previous one by 5 ids; DAY2 in between forces an
        // eviction, so DAY1 gets two staged files in one run.
        let batches = [
            day_batch(DAY1, run * 15, 10),
            day_batch(DAY2, 1000 + run, 1),
            day_batch(DAY1, run * 15 + 10, 10),
        ];
        let summary = write_all(&layout, opts, &batches);
        rewrites += summary.partitions_rewritten;
        for partition in list_partitions(&layout, "repo", "http_requests").unwrap() {
            assert_eq!(
                partition.files,
                vec![partition.path.join("part-0.parquet")],
                "run {run}"
            );
        }
    }
    // Run 0 writes DAY1 in two staged pieces (a merge); every later run merges both days.
    assert_eq!(rewrites, 1 + 3 * 2);
    let partitions = list_partitions(&layout, "repo", "http_requests").unwrap();
    let day1 = &partitions[0];
    let ids = all_ids(&layout);
    assert_no_duplicates(&ids);
    assert_eq!(ids.len() as u64, day1.rows + partitions[1].rows);
    let groups = read_row_groups(&day1.files[0]);
    assert!(groups.iter().all(|(ids, _)| ids.len() <= 7));
    let day1_ids: Vec<i64> = groups.iter().flat_map(|(ids, _)| ids.clone()).collect();
    let mut sorted = day1_ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..65).collect::<Vec<_>>());
    // Sorted by time across row groups, not just within each.
    let times: Vec<i64> = groups.into_iter().flat_map(|(_, t)| t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        std::fs::read_dir(layout.journal_dir()).map_or(true, |mut d| d.next().is_none()),
        "no journal for a partition that already had one file"
    );
}

/// A partition as lakes from before one-file-per-partition left it: one file per run.
fn legacy_partition(layout: &LakeLayout) -> Vec<PathBuf> {
    let dir = layout
        .dataset_dir("repo", "http_requests")
        .join(format!("event_date={DAY1}"));
    (0..3)
        .map(|run| {
            let path = dir.join(format!("part-old{run}-00001.parquet"));
            write_plain_file(&path, &[day_batch(DAY1, run * 10, 10)]);
            path
        })
        .collect()
}

#[test]
fn a_legacy_partition_with_several_files_becomes_one() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    legacy_partition(&layout);
    let summary = write_all(&layout, options("run-a", 1000), &[day_batch(DAY1, 25, 10)]);
    assert_eq!((summary.rows_written, summary.rows_already_present), (5, 5));
    let files = files_of(&layout);
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("part-0.parquet"));
    assert_eq!(all_ids(&layout), (0..35).collect::<Vec<_>>());
    assert!(std::fs::read_dir(layout.journal_dir())
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn recover_completes_an_interrupted_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let old = legacy_partition(&layout);
    // Simulate a crash right after the merged file was renamed in: it holds every row
    // and sits next to the files it replaces; the journal still exists.
    let new_file = old[0].with_file_name("part-0.parquet");
    write_plain_file(&new_file, &[day_batch(DAY1, 0, 30)]);
    let rel = |p: &Path| p.strip_prefix(dir.path()).unwrap().to_path_buf();
    let journal = compact::Journal {
        new_file: rel(&new_file),
        staged: rel(&layout.staging_dir("run-c").join("x.staged")),
        replaces: old.iter().map(|p| rel(p)).collect(),
    };
    write_journal(&layout, &journal);

    let report = recover(&layout).unwrap();
    assert_eq!((report.compactions_completed, report.files_deleted), (1, 3));
    assert_eq!(files_of(&layout), vec![new_file]);
    assert_eq!(
        all_ids(&layout),
        (0..30).collect::<Vec<_>>(),
        "exactly one copy of each row"
    );
    assert!(std::fs::read_dir(layout.journal_dir())
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn recover_rolls_back_a_compaction_that_was_not_published() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let old = legacy_partition(&layout);
    let staged = layout
        .staging_dir("run-c")
        .join("repo.http_requests.00001.staged");
    write_plain_file(&staged, &[day_batch(DAY1, 0, 30)]);
    let rel = |p: &Path| p.strip_prefix(dir.path()).unwrap().to_path_buf();
    let journal = compact::Journal {
        new_file: rel(&old[0].with_file_name("part-0.parquet")),
        staged: rel(&staged),
        replaces: old.iter().map(|p| rel(p)).collect(),
    };
    write_journal(&layout, &journal);
    let report = recover(&layout).unwrap();
    assert_eq!(report.compactions_rolled_back, 1);
    assert!(!staged.exists());
    assert_eq!(files_of(&layout), old);
    assert_eq!(all_ids(&layout), (0..30).collect::<Vec<_>>());
}

#[test]
fn replace_while_null_keeps_only_the_newest_version_of_an_unfinished_row() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let replacing = |run: &str| WriterOptions {
        replace_while_null: Some("controller".into()),
        ..options(run, 1000)
    };
    // Keys 0..10; 8 and 9 are not final yet (NULL `controller`, like a running job's
    // `completed_at`).
    let with_controller = |b: RecordBatch, value: &dyn Fn(i64) -> Option<&'static str>| {
        let ids = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        let text: StringArray = ids.values().iter().map(|&id| value(id)).collect();
        RecordBatch::try_new(
            schema(),
            vec![b.column(0).clone(), b.column(1).clone(), Arc::new(text)],
        )
        .unwrap()
    };
    let first = with_controller(day_batch(DAY1, 0, 10), &|id| (id < 8).then_some("old"));
    write_all(&layout, replacing("run-a"), &[first]);
    // Keys 5..15 again, all final now: 8 and 9 replace their running versions, 5..8
    // were final and stay as they were, 10..15 are new.
    let newer = with_controller(day_batch(DAY1, 5, 10), &|_| Some("finished"));
    let summary = write_all(&layout, replacing("run-b"), &[newer]);
    assert_eq!(
        (
            summary.rows_written,
            summary.rows_replaced,
            summary.rows_already_present
        ),
        (5, 2, 3)
    );
    let files = files_of(&layout);
    assert_eq!(files.len(), 1);
    let mut rows: Vec<(i64, String)> = read_batches_of(&files[0])
        .iter()
        .flat_map(|b| {
            let ids = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            let text = b.column(2).as_any().downcast_ref::<StringArray>().unwrap();
            (0..b.num_rows())
                .map(|i| (ids.value(i), text.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    rows.sort();
    let expected: Vec<(i64, String)> = (0..15)
        .map(|id| (id, if id < 8 { "old" } else { "finished" }.to_string()))
        .collect();
    assert_eq!(rows, expected, "each key once, unfinished rows replaced");
    // A third delivery of final rows changes nothing, not even the file.
    let before = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    let again = with_controller(day_batch(DAY1, 5, 10), &|_| Some("other"));
    let summary = write_all(&layout, replacing("run-c"), &[again]);
    assert_eq!((summary.rows_written, summary.rows_replaced), (0, 0));
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        before
    );
}

fn read_batches_of(file: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

#[test]
fn recover_removes_dead_runs_staging_but_keeps_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let live = layout.staging_dir("run-live");
    let dead = layout.staging_dir("run-dead");
    recover::write_owner_for_test(&live, std::process::id() as i32);
    // Above Linux's maximum pid_max (2^22): no process can have it.
    recover::write_owner_for_test(&dead, 0x3fff_fff0);
    std::fs::write(dead.join("repo.http_requests.00001.staged"), b"half a file").unwrap();
    let report = recover(&layout).unwrap();
    assert_eq!(report.staging_removed, vec![dead.clone()]);
    assert_eq!(report.staging_kept, vec![live.clone()]);
    assert!(!dead.exists() && live.exists());
}

/// Leaves `journal` where a compaction interrupted after writing it would have.
fn write_journal(layout: &LakeLayout, journal: &compact::Journal) {
    std::fs::create_dir_all(layout.journal_dir()).unwrap();
    std::fs::write(
        layout.journal_dir().join("run-c-1.json"),
        serde_json::to_vec(journal).unwrap(),
    )
    .unwrap();
}
