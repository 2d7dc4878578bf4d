//! Merge by key: a partition never holds the same key twice.
//!
//! Reruns, overlapping lookback windows and backfills re-deliver rows that are already
//! in the lake. Per partition we know every file's key range from its footer (cheap);
//! only files whose range overlaps the incoming keys have their key column read
//! (projection, nothing else), into a sorted `Vec<i64>`. Usage logs are append-only
//! with increasing ids, so an incremental run typically reads one or two footers and
//! at most the key column of the newest file.
//!
//! Memory: the loaded keys live only while the partition is open in the writer (the
//! LRU in `writer.rs`); the per-file ranges (a few bytes per file) live for the
//! writer's lifetime. Evicting a partition therefore never forgets what was staged:
//! its closed staged file joins the file list with its key range.
//!
//! Text keys (Utf8: some APIs' changelog ids are strings) take a simpler path: no footer
//! ranges (string statistics may be truncated), every file's key column is read once
//! into a hash set when the partition opens. The datasets with text keys are small per
//! day (a changelog day is thousands of rows, not millions), so this costs little.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_schema::DataType;

use super::error::{arrow_err, LoadError};
use super::generation::{drop_older_events, files_of_generation, generation_of, older_events};
use super::parquet_io::{
    append_keys, key_range, read_footer, read_keys, read_keys_where_null, read_text_keys,
};

/// A file (published, or staged earlier by this writer) and its key range.
#[derive(Debug, Clone)]
struct KeyedFile {
    path: PathBuf,
    /// Inclusive; `(i64::MIN, i64::MAX)` when the footer had no statistics.
    range: (i64, i64),
    /// Published before this writer opened (not one of its own staged files).
    is_published: bool,
}

/// Keys loaded from overlapping files plus keys accepted since the partition opened.
#[derive(Debug, Default)]
struct KeyCache {
    loaded_files: HashSet<usize>,
    /// Sorted, deduplicated.
    existing: Vec<i64>,
    /// Keys of published rows that are not final yet (see `replace_while_null`).
    replaceable: HashSet<i64>,
    /// Keys accepted into the partition's currently open staged file. Not a HashSet:
    /// append logs deliver increasing keys, so almost every key is above the last one
    /// and is just pushed (hashing and rehashing every row showed up at ~5% of a first
    /// run in `perf`); only a key that arrives out of order needs a lookup.
    fresh: FreshKeys,
    fresh_range: Option<(i64, i64)>,
}

/// Keys accepted since the partition opened: 8 bytes a row, no hashing in order.
#[derive(Debug, Default)]
struct FreshKeys {
    /// Keys that arrived in increasing order: sorted, so a lookup is a binary search.
    in_order: Vec<i64>,
    /// Keys that arrived below the largest one so far (heap pages are filled slightly
    /// out of id order, a scan may restart): few, hashed. Keeping one sorted Vec
    /// instead would cost an insert in the middle or a re-sort per such key, which
    /// `usagelake bench` showed going quadratic (a 1M-row run took minutes).
    late: HashSet<i64>,
}

impl FreshKeys {
    /// Adds `k` unless present; returns whether it was new.
    fn insert(&mut self, k: i64) -> bool {
        match self.in_order.last() {
            Some(&last) if k <= last => {
                self.in_order.binary_search(&k).is_err() && self.late.insert(k)
            }
            _ => {
                self.in_order.push(k);
                true
            }
        }
    }
}

/// Text keys of the partition's files (all read at once) and those accepted since.
#[derive(Debug, Default)]
struct TextKeyCache {
    existing: HashSet<Box<str>>,
    fresh: HashSet<Box<str>>,
}

#[derive(Debug)]
pub(crate) struct PartitionKeys {
    files: Vec<KeyedFile>,
    cache: Option<KeyCache>,
    /// Files of other key generations (none in generation 0) and, while the partition
    /// is open, the (key, time) of their rows; dropped with the key cache.
    older_files: Vec<PathBuf>,
    older_events: Option<HashSet<(i64, i64)>>,
    time_column: String,
    text: Option<TextKeyCache>,
}

/// Outcome of filtering one incoming batch.
pub(crate) struct Filtered {
    pub new_rows: Option<RecordBatch>,
    pub already_present: u64,
}

impl PartitionKeys {
    /// Reads the footers of the partition's published files of `generation` (none if
    /// the folder is new), and in a generation above 0 the events of the others.
    pub fn load(
        partition_dir: &Path,
        key_column: &str,
        time_column: &str,
        generation: u32,
    ) -> Result<Self, LoadError> {
        let all = super::parquet_files(partition_dir)?;
        let older_files: Vec<PathBuf> = all
            .iter()
            .filter(|f| generation_of(f) != generation)
            .cloned()
            .collect();
        let mut files = Vec::new();
        for path in files_of_generation(all, generation) {
            let meta = read_footer(&path)?;
            let range = key_range(&meta, key_column).unwrap_or((i64::MIN, i64::MAX));
            files.push(KeyedFile {
                path,
                range,
                is_published: true,
            });
        }
        Ok(Self {
            files,
            cache: None,
            older_files,
            older_events: None,
            time_column: time_column.to_string(),
            text: None,
        })
    }

    /// Keeps only rows whose key is in no file of the partition, not staged earlier by
    /// this writer, and not repeated earlier in the same batch. With `replace_while_null`,
    /// a row whose published version has NULL in that column (not final) is kept too:
    /// it is the newer version.
    pub fn filter_new(
        &mut self,
        dataset: &str,
        partition: &str,
        key_column: &str,
        batch: &RecordBatch,
        replace_while_null: Option<&str>,
    ) -> Result<Filtered, LoadError> {
        if self.older_events.is_none() && !self.older_files.is_empty() {
            self.older_events = Some(older_events(
                &self.older_files,
                key_column,
                &self.time_column,
            )?);
        }
        let empty = HashSet::new();
        let (batch, older) = drop_older_events(
            dataset,
            batch,
            key_column,
            &self.time_column,
            self.older_events.as_ref().unwrap_or(&empty),
        )?;
        let Some(batch) = batch else {
            return Ok(Filtered {
                new_rows: None,
                already_present: older,
            });
        };
        let mut filtered =
            self.filter_keys(dataset, partition, key_column, &batch, replace_while_null)?;
        filtered.already_present += older;
        Ok(filtered)
    }

    fn filter_keys(
        &mut self,
        dataset: &str,
        partition: &str,
        key_column: &str,
        batch: &RecordBatch,
        replace_while_null: Option<&str>,
    ) -> Result<Filtered, LoadError> {
        let column = batch
            .column_by_name(key_column)
            .ok_or_else(|| LoadError::Schema {
                dataset: dataset.to_string(),
                message: format!("key column {key_column} is missing"),
            })?;
        if column.null_count() > 0 {
            return Err(LoadError::NullKey {
                dataset: dataset.to_string(),
                partition: partition.to_string(),
                column: key_column.to_string(),
            });
        }
        if column.data_type() == &DataType::Utf8 {
            return self.filter_new_text(dataset, key_column, batch, column.as_ref());
        }
        let mut keys = Vec::with_capacity(batch.num_rows());
        append_keys(column.as_ref(), &mut keys).ok_or_else(|| LoadError::Schema {
            dataset: dataset.to_string(),
            message: format!("key column {key_column} must be Int64 or Int32"),
        })?;
        let Some(lo) = keys.iter().min().copied() else {
            return Ok(Filtered {
                new_rows: None,
                already_present: 0,
            });
        };
        let hi = keys.iter().max().copied().unwrap_or(lo);

        let cache = self.cache.get_or_insert_with(KeyCache::default);
        let mut grew = false;
        for (i, file) in self.files.iter().enumerate() {
            let (flo, fhi) = file.range;
            if flo <= hi && lo <= fhi && cache.loaded_files.insert(i) {
                read_keys(&file.path, key_column, &mut cache.existing)?;
                if let (Some(column), true) = (replace_while_null, file.is_published) {
                    let mut open = Vec::new();
                    read_keys_where_null(&file.path, key_column, column, &mut open)?;
                    cache.replaceable.extend(open);
                }
                grew = true;
            }
        }
        if grew {
            cache.existing.sort_unstable();
            cache.existing.dedup();
        }
        let existing_max = cache.existing.last().copied();
        let mut keep = Vec::with_capacity(keys.len());
        let mut kept = 0usize;
        for &k in &keys {
            let in_lake = match existing_max {
                Some(max) if k <= max => cache.existing.binary_search(&k).is_ok(),
                _ => false,
            };
            let is_new = (!in_lake || cache.replaceable.contains(&k)) && cache.fresh.insert(k);
            kept += usize::from(is_new);
            keep.push(is_new);
        }
        if kept > 0 {
            let (flo, fhi) = cache.fresh_range.unwrap_or((lo, hi));
            cache.fresh_range = Some((flo.min(lo), fhi.max(hi)));
        }
        let already_present = (keys.len() - kept) as u64;
        let new_rows = match kept {
            0 => None,
            n if n == keys.len() => Some(batch.clone()),
            _ => Some(
                arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))
                    .map_err(arrow_err(dataset))?,
            ),
        };
        Ok(Filtered {
            new_rows,
            already_present,
        })
    }

    fn filter_new_text(
        &mut self,
        dataset: &str,
        key_column: &str,
        batch: &RecordBatch,
        column: &dyn Array,
    ) -> Result<Filtered, LoadError> {
        let cache = match &mut self.text {
            Some(cache) => cache,
            None => {
                let mut cache = TextKeyCache::default();
                for file in &self.files {
                    read_text_keys(&file.path, key_column, &mut cache.existing)?;
                }
                self.text.insert(cache)
            }
        };
        let keys = column.as_string::<i32>();
        let keep: Vec<bool> = keys
            .iter()
            .map(|k| {
                let k = k.unwrap_or_default();
                !cache.existing.contains(k) && cache.fresh.insert(k.into())
            })
            .collect();
        let kept = keep.iter().filter(|k| **k).count();
        let new_rows = match kept {
            0 => None,
            n if n == keep.len() => Some(batch.clone()),
            _ => Some(
                arrow_select::filter::filter_record_batch(batch, &BooleanArray::from(keep))
                    .map_err(arrow_err(dataset))?,
            ),
        };
        Ok(Filtered {
            new_rows,
            already_present: (keys.len() - kept) as u64,
        })
    }

    /// The partition's open staged file was closed: remember it by key range and drop
    /// the in-memory keys (memory stays bounded by the open partitions).
    pub fn close_staged(&mut self, staged: Option<&Path>) {
        if let Some(text) = self.text.take() {
            // Text keys have no range: the file is read whole when the partition reopens.
            if let (Some(path), false) = (staged, text.fresh.is_empty()) {
                self.files.push(KeyedFile {
                    path: path.to_path_buf(),
                    range: (i64::MIN, i64::MAX),
                    is_published: false,
                });
            }
            return;
        }
        if let (Some(path), Some(cache)) = (staged, self.cache.as_ref()) {
            if let Some(range) = cache.fresh_range {
                self.files.push(KeyedFile {
                    path: path.to_path_buf(),
                    range,
                    is_published: false,
                });
            }
        }
        self.cache = None;
        self.older_events = None;
    }
}

#[cfg(test)]
mod tests {
    use super::FreshKeys;

    #[test]
    fn fresh_keys_reject_repeats_in_and_out_of_order() {
        let mut fresh = FreshKeys::default();
        for k in [1, 2, 5, 9] {
            assert!(fresh.insert(k));
        }
        assert!(!fresh.insert(5), "a repeat below the max is found");
        assert!(fresh.insert(3), "a new key below the max is accepted");
        assert!(!fresh.insert(3), "and found again while unsorted");
        assert!(fresh.insert(10));
        assert!(!fresh.insert(10));
        assert!(!fresh.insert(1));
        assert_eq!(fresh.in_order.len() + fresh.late.len(), 6);
    }
}
