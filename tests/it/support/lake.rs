//! Reading a lake back the way an analyst's tool would: Parquet files under Hive folders.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Every `.parquet` file under `dir`, sorted.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// File path → (size, mtime): equal fingerprints mean a run did not touch the lake.
pub fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    parquet_files(dir)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).unwrap();
            (p, (meta.len(), meta.modified().unwrap()))
        })
        .collect()
}

pub fn read_batches(file: &Path) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file).unwrap())
        .unwrap()
        .build()
        .unwrap();
    reader.map(|b| b.unwrap()).collect()
}

/// The partition folder a lake file is in, e.g. `event_date=2026-11-01`.
pub fn partition_of(file: &Path) -> String {
    file.parent()
        .and_then(Path::file_name)
        .expect("a lake file sits in a partition folder")
        .to_string_lossy()
        .into_owned()
}

/// Partition folder value (e.g. `2026-11-01`) → ids in it, for an event dataset.
pub fn ids_by_partition(dataset_dir: &Path, key: &str) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for file in parquet_files(dataset_dir) {
        let partition = partition_of(&file);
        let value = partition
            .split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or(partition);
        for batch in read_batches(&file) {
            let ids = batch
                .column_by_name(key)
                .unwrap()
                .as_primitive::<Int64Type>();
            out.entry(value.clone())
                .or_default()
                .extend(ids.values().iter().copied());
        }
    }
    out
}

/// Asserts no id appears twice anywhere in the dataset; returns the id set.
pub fn unique_ids(dataset_dir: &Path, key: &str) -> BTreeSet<i64> {
    let mut seen = BTreeSet::new();
    for (partition, ids) in ids_by_partition(dataset_dir, key) {
        for id in ids {
            assert!(
                seen.insert(id),
                "id {id} is duplicated (seen again in {partition})"
            );
        }
    }
    seen
}

/// Per partition value → row count.
pub fn counts_by_partition(dataset_dir: &Path, key: &str) -> BTreeMap<String, i64> {
    ids_by_partition(dataset_dir, key)
        .into_iter()
        .map(|(k, v)| (k, v.len() as i64))
        .collect()
}

/// Rows in every data file under `dir` (not the run ledger in `_usagelake/`), from
/// footers only.
pub fn total_rows(dir: &Path) -> i64 {
    parquet_files(dir)
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "_usagelake"))
        .map(|f| {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(f).unwrap()).unwrap();
            reader.metadata().file_metadata().num_rows()
        })
        .sum()
}

/// The values of a text column, NULL as None.
pub fn texts(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let array = batch
        .column_by_name(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .as_string::<i32>();
    array.iter().map(|v| v.map(str::to_string)).collect()
}
