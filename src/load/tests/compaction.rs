//! Compaction of small files and recovery of an interrupted compaction or run.

use super::*;

#[test]
fn many_small_runs_are_compacted_into_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let mut compactions = 0;
    for run in 0..4i64 {
        let opts = WriterOptions {
            max_files_per_partition: 3,
            ..options(&format!("run-{run}"), 7)
        };
        // Each run overlaps the previous one by 5 ids.
        let summary = write_all(&layout, opts, &[day_batch(DAY1, run * 15, 20)]);
        compactions += summary.partitions_compacted;
    }
    assert_eq!(compactions, 1);
    let partitions = list_partitions(&layout, "repo", "http_requests").unwrap();
    assert_eq!(partitions.len(), 1);
    assert_eq!(partitions[0].files.len(), 1, "{:?}", partitions[0].files);
    let ids = all_ids(&layout);
    assert_no_duplicates(&ids);
    assert_eq!(ids.len() as u64, partitions[0].rows);
    assert_eq!(ids, (0..65).collect::<Vec<_>>());
    // The compacted file is sorted across row groups, each row group ≤ 7 rows.
    let groups = read_row_groups(&partitions[0].files[0]);
    assert!(groups.iter().all(|(ids, _)| ids.len() <= 7));
    let times: Vec<i64> = groups.into_iter().flat_map(|(_, t)| t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        std::fs::read_dir(layout.journal_dir())
            .unwrap()
            .next()
            .is_none(),
        "journal removed"
    );
}

#[test]
fn recover_completes_an_interrupted_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    for run in 0..3 {
        write_all(
            &layout,
            options(&format!("run-{run}"), 1000),
            &[day_batch(DAY1, run * 10, 10)],
        );
    }
    let old = files_of(&layout);
    assert_eq!(old.len(), 3);
    // Simulate a crash after `compaction_published`: the new file holds every row and
    // sits next to the files it replaces; the journal still exists.
    let partition_dir = old[0].parent().unwrap().to_path_buf();
    let new_file = partition_dir.join("part-run-c-c0000.parquet");
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
    write_all(&layout, options("run-a", 1000), &[day_batch(DAY1, 0, 10)]);
    let old = files_of(&layout);
    let staged = layout
        .staging_dir("run-c")
        .join("repo.http_requests.00001.staged");
    write_plain_file(&staged, &[day_batch(DAY1, 0, 10)]);
    let rel = |p: &Path| p.strip_prefix(dir.path()).unwrap().to_path_buf();
    let journal = compact::Journal {
        new_file: rel(&old[0].with_file_name("part-run-c-c0000.parquet")),
        staged: rel(&staged),
        replaces: old.iter().map(|p| rel(p)).collect(),
    };
    write_journal(&layout, &journal);
    let report = recover(&layout).unwrap();
    assert_eq!(report.compactions_rolled_back, 1);
    assert!(!staged.exists());
    assert_eq!(files_of(&layout), old);
    assert_eq!(all_ids(&layout), (0..10).collect::<Vec<_>>());
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
