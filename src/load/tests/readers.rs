//! What a reader sees while runs write: a tool that lists a partition's files and reads
//! them (as DuckDB's `read_parquet('…/*/*.parquet')` does) must count every row exactly
//! once at any instant, whatever the writer is doing (appending, merging, replacing).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::*;

/// Ids in one partition folder, read the way an analyst's tool does: list, then open
/// each file. A listed file that vanished before it was opened is a reader error
/// (DuckDB fails the query), so it counts as a failure here too.
fn read_partition_ids(dir: &Path) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    for file in parquet_files(dir).map_err(|e| e.to_string())? {
        let handle = std::fs::File::open(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(handle)
            .map_err(|e| format!("{}: {e}", file.display()))?
            .build()
            .map_err(|e| e.to_string())?;
        for b in reader {
            let b = b.map_err(|e| e.to_string())?;
            ids.extend(
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .values(),
            );
        }
    }
    Ok(ids)
}

#[test]
fn reader_counts_each_row_once_while_runs_write() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let partition = layout
        .dataset_dir("repo", "http_requests")
        .join(format!("event_date={DAY1}"));
    // Rows in the partition once the current run has committed (set before it starts)
    // and once the previous one had (set after it returned).
    let committing = AtomicUsize::new(0);
    let committed = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            // At least one read after the last commit, so the final state is checked too.
            loop {
                let is_last = done.load(Ordering::SeqCst);
                let at_least = committed.load(Ordering::SeqCst);
                let mut ids = read_partition_ids(&partition).unwrap_or_else(|e| panic!("{e}"));
                let at_most = committing.load(Ordering::SeqCst);
                ids.sort_unstable();
                let n = ids.len();
                ids.dedup();
                assert_eq!(ids.len(), n, "a reader saw a row twice");
                assert!(
                    (at_least..=at_most).contains(&n),
                    "a reader saw {n} rows; between {at_least} and {at_most} were committed"
                );
                reads.fetch_add(1, Ordering::SeqCst);
                if is_last {
                    break;
                }
            }
        });
        // Runs that overlap the previous one (merge by key), reruns that add nothing,
        // and enough of them that the partition is rewritten many times.
        for run in 0..40i64 {
            let opts = WriterOptions {
                max_open_partitions: 1,
                ..options(&format!("run-{run}"), 4)
            };
            let batches = [day_batch(DAY1, run * 10, 15), day_batch(DAY2, run * 10, 5)];
            committing.store((run as usize) * 10 + 15, Ordering::SeqCst);
            write_all(&layout, opts, &batches);
            committed.store((run as usize) * 10 + 15, Ordering::SeqCst);
        }
        done.store(true, Ordering::SeqCst);
        reader.join().unwrap();
    });
    assert!(reads.load(Ordering::SeqCst) > 0);
    assert_eq!(all_ids_in(&partition), (0..405).collect::<Vec<_>>());
}

fn all_ids_in(dir: &Path) -> Vec<i64> {
    let mut ids = read_partition_ids(dir).unwrap();
    ids.sort_unstable();
    ids
}
