//! Reading the lake for reports: partitions pruned by folder name (`event_date=` /
//! `snapshot_date=`), files read with only the columns a report needs (a Parquet
//! projection), partitions processed in parallel. Never the sources.
//!
//! Aggregation is plain Rust over Arrow arrays rather than polars: the reports are
//! distinct counts and maxima keyed by a few integers, which a hash map does in one pass
//! without converting batches, and polars here has no Parquet reader (its `parquet`
//! feature would rebuild polars for every build of this project).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::DataType;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rustc_hash::FxHashMap;

use super::ReportError;
use crate::pipeline::Pipeline;
use crate::sources::SourceConfig;

const READ_BATCH_ROWS: usize = 64 * 1024;

/// The platform a source belongs to (its `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    Tableau,
    Arcgis,
    /// User metrics only (roles, dataset access, enablement): no usage events, so the
    /// activity reports (adoption, logins, maintenance window) skip it.
    Indico,
}

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::Tableau => "tableau",
            Platform::Arcgis => "arcgis",
            Platform::Indico => "indico",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LakeSource {
    pub name: String,
    pub platform: Platform,
}

/// One partition folder: its date and its data files.
#[derive(Debug, Clone)]
pub struct Partition {
    pub date: NaiveDate,
    pub files: Vec<PathBuf>,
}

/// The lake of one pipeline, as reports see it.
#[derive(Debug, Clone)]
pub struct Lake {
    pub root: PathBuf,
    pub tz: chrono_tz::Tz,
    pub sources: Vec<LakeSource>,
}

impl Lake {
    pub fn new(pipeline: &Pipeline) -> Self {
        let sources = pipeline
            .sources
            .iter()
            // Platforms with accounts; an events source (login files) has sessions, which
            // the session reports read.
            .filter_map(|s| {
                let platform = match s {
                    SourceConfig::Tableau(_) => Platform::Tableau,
                    SourceConfig::Arcgis(_) => Platform::Arcgis,
                    SourceConfig::Indico(_) => Platform::Indico,
                    _ => return None,
                };
                Some(LakeSource {
                    name: s.name().to_string(),
                    platform,
                })
            })
            .collect();
        Lake {
            root: pipeline.output.root.clone(),
            tz: pipeline.time_zone,
            sources,
        }
    }

    pub fn sources_of(&self, platform: Platform) -> impl Iterator<Item = &LakeSource> {
        self.sources.iter().filter(move |s| s.platform == platform)
    }

    /// Only the sources named `name` (all when `None`); an unknown name is an error.
    pub fn select_sources(&self, name: Option<&str>) -> Result<Vec<&LakeSource>, ReportError> {
        let Some(name) = name else {
            return Ok(self.sources.iter().collect());
        };
        let chosen: Vec<&LakeSource> = self
            .sources
            .iter()
            .filter(|s| s.name == name || s.platform.label() == name)
            .collect();
        if chosen.is_empty() {
            let known: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
            return Err(ReportError::NoSource {
                kind: format!("`{name}`"),
                hint: format!(
                    " (sources: {}; or a platform: tableau, arcgis, indico)",
                    known.join(", ")
                ),
            });
        }
        Ok(chosen)
    }

    pub fn dataset_dir(&self, source: &str, dataset: &str) -> PathBuf {
        self.root.join(source).join(dataset)
    }

    /// Fails with a clear message when the dataset's folder does not exist at all.
    pub fn require(
        &self,
        source: &str,
        dataset: &str,
        hint: &'static str,
    ) -> Result<(), ReportError> {
        let path = self.dataset_dir(source, dataset);
        if path.is_dir() {
            Ok(())
        } else {
            Err(ReportError::MissingDataset {
                source_name: source.to_string(),
                dataset: dataset.to_string(),
                path,
                hint,
            })
        }
    }

    /// Every dated partition of a dataset (`key=YYYY-MM-DD` folders with data files),
    /// oldest first; a missing dataset has none.
    pub fn partitions(
        &self,
        source: &str,
        dataset: &str,
        key: &str,
    ) -> Result<Vec<Partition>, ReportError> {
        let dir = self.dataset_dir(source, dataset);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ReportError::read(&dir)(e.to_string())),
        };
        let mut partitions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ReportError::read(&dir)(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(date) = partition_date(&name, key) else {
                continue;
            };
            let files = data_files(&entry.path())?;
            if !files.is_empty() {
                partitions.push(Partition { date, files });
            }
        }
        partitions.sort_by_key(|p| p.date);
        Ok(partitions)
    }

    /// Event partitions with `from <= date <= to` (folder names only: pruning).
    pub fn event_partitions(
        &self,
        source: &str,
        dataset: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Partition>, ReportError> {
        let mut all = self.partitions(source, dataset, "event_date")?;
        all.retain(|p| p.date >= from && p.date <= to);
        Ok(all)
    }

    /// The snapshot in force on `date`: the latest `snapshot_date <= date`, else the
    /// earliest (the rule the enrichment uses, README "Point in time").
    pub fn snapshot_in_force(
        &self,
        source: &str,
        dataset: &str,
        date: NaiveDate,
    ) -> Result<Option<Partition>, ReportError> {
        let all = self.partitions(source, dataset, "snapshot_date")?;
        let dates: Vec<NaiveDate> = all.iter().map(|p| p.date).collect();
        let chosen = crate::sources::tableau::enrich::snapshot_in_force(&dates, date);
        Ok(all.into_iter().find(|p| Some(p.date) == chosen))
    }

    /// The span of event dates a dataset holds, for "the lake holds … instead" messages.
    pub fn held_span(&self, source: &str, dataset: &str) -> Option<(NaiveDate, NaiveDate)> {
        let all = self.partitions(source, dataset, "event_date").ok()?;
        Some((all.first()?.date, all.last()?.date))
    }
}

fn partition_date(name: &str, key: &str) -> Option<NaiveDate> {
    let value = name.strip_prefix(key)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// `*.parquet` files not starting with `.` or `_` (what every reader treats as data).
fn data_files(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReportError::read(dir)(e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| ReportError::read(dir)(e.to_string()))?
            .path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".parquet") && !name.starts_with(['.', '_']) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The rows of `files` with only `columns` decoded. Columns a file lacks (an optional
/// column an older server did not have) are simply absent from its batches: the
/// accessors below return `None` for them and callers treat that as NULL.
pub fn read_columns(files: &[PathBuf], columns: &[&str]) -> Result<Vec<RecordBatch>, ReportError> {
    read_columns_with_dictionaries(files, columns, &[])
}

/// [`read_columns`], with the string columns named in `dictionaries` read as
/// `Dictionary(Int32, Utf8)`: the lake's writers dictionary-encode strings, so the Parquet
/// reader hands over each page's dictionary once and a key per row instead of copying the
/// string of every row (pages that fell back to plain encoding are interned by the
/// reader). Read them with [`dict_col`], which also accepts a plain string column (a file
/// the hint does not fit is read as it is).
pub fn read_columns_with_dictionaries(
    files: &[PathBuf],
    columns: &[&str],
    dictionaries: &[&str],
) -> Result<Vec<RecordBatch>, ReportError> {
    let mut batches = Vec::new();
    for path in files {
        let err = ReportError::read(path);
        let file = File::open(path).map_err(|e| err(e.to_string()))?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| err(e.to_string()))?;
        let metadata = crate::load::dictionary_hint(metadata, dictionaries);
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata);
        let roots: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| columns.contains(&f.name().as_str()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| err(e.to_string()))?;
        for batch in reader {
            batches.push(batch.map_err(|e| err(e.to_string()))?);
        }
    }
    Ok(batches)
}

/// A string column as dictionary keys: per row an index into the column's distinct
/// values, so a caller resolves each value once per batch and then works on integers.
pub struct StrDict {
    keys: Int32Array,
    values: StringArray,
}

impl StrDict {
    /// The row's index into [`StrDict::values`]; `None` for NULL.
    pub fn key(&self, row: usize) -> Option<usize> {
        self.keys
            .is_valid(row)
            .then(|| self.keys.value(row) as usize)
    }

    /// The value of `key` (a dictionary may hold a NULL value: `None`).
    pub fn value(&self, key: usize) -> Option<&str> {
        self.values.is_valid(key).then(|| self.values.value(key))
    }

    /// The row's value; `None` for NULL.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.key(row).and_then(|k| self.value(k))
    }

    /// Every value by key (some may be unused by the batch's rows).
    pub fn values(&self) -> impl Iterator<Item = Option<&str>> {
        self.values.iter()
    }
}

/// A string column of a batch read by [`read_columns_with_dictionaries`] as a [`StrDict`]:
/// its dictionary as is, or, when the file's column was read as plain strings, the
/// distinct values interned here. `None` when the column is absent or not a string.
pub fn dict_col(batch: &RecordBatch, name: &str) -> Option<StrDict> {
    let column = batch.column_by_name(name)?;
    if let Some(dict) = column.as_dictionary_opt::<Int32Type>() {
        let values = dict.values().as_string_opt::<i32>()?.clone();
        return Some(StrDict {
            keys: dict.keys().clone(),
            values,
        });
    }
    let strings = column.as_string_opt::<i32>()?;
    let mut index: FxHashMap<&str, i32> = FxHashMap::default();
    let mut distinct: Vec<&str> = Vec::new();
    let keys: Int32Array = strings
        .iter()
        .map(|value| {
            value.map(|v| {
                *index.entry(v).or_insert_with(|| {
                    distinct.push(v);
                    distinct.len() as i32 - 1
                })
            })
        })
        .collect();
    Some(StrDict {
        keys,
        values: StringArray::from(distinct),
    })
}

/// `f` over every item on up to `available_parallelism` threads; results in item order.
pub fn par_map<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T, ReportError> + Sync,
) -> Result<Vec<T>, ReportError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, ReportError>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().expect("no worker panics while holding it")[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// `fold` over every item on up to `available_parallelism` threads, each thread into an
/// accumulator of its own; the accumulators come back (one per thread that did any work,
/// in no particular order) for the caller to merge. Cheaper than [`par_map`] when the
/// per-item results are large and merging them costs as much as making them (the distinct
/// user sets of `content`). On failure, the error of the first failing item.
pub fn par_fold<I: Sync, A: Default + Send>(
    items: &[I],
    fold: impl Fn(&mut A, &I) -> Result<(), ReportError> + Sync,
) -> Result<Vec<A>, ReportError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut acc = A::default();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return Ok(acc);
            };
            // Items are claimed in order and a failed thread claims no more, so every item
            // before the lowest failing one was folded by someone: that error is the first.
            fold(&mut acc, item).map_err(|e| (i, e))?;
        }
    };
    let results: Vec<Result<A, (usize, ReportError)>> = if workers <= 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no worker panics"))
                .collect()
        })
    };
    let mut accumulators = Vec::new();
    let mut first_error: Option<(usize, ReportError)> = None;
    for result in results {
        match result {
            Ok(acc) => accumulators.push(acc),
            Err((i, e)) => {
                if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_error = Some((i, e));
                }
            }
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(accumulators),
    }
}

/// Typed column accessors: `None` when the column is absent or has another type.
pub fn i32_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a Int32Array> {
    batch
        .column_by_name(name)
        .filter(|a| a.data_type() == &DataType::Int32)
        .map(|a| a.as_primitive::<Int32Type>())
}

pub fn i64_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a Int64Array> {
    batch
        .column_by_name(name)
        .filter(|a| a.data_type() == &DataType::Int64)
        .map(|a| a.as_primitive::<Int64Type>())
}

pub fn ts_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a TimestampMicrosecondArray> {
    batch
        .column_by_name(name)
        .and_then(|a| a.as_primitive_opt::<TimestampMicrosecondType>())
}

pub fn str_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch
        .column_by_name(name)
        .and_then(|a| a.as_string_opt::<i32>())
}

pub fn bool_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a BooleanArray> {
    batch.column_by_name(name).and_then(|a| a.as_boolean_opt())
}

/// The value at `row`, NULL (or an absent column) as `None`.
pub fn get<A: ArrayValue>(array: Option<&A>, row: usize) -> Option<A::Value<'_>> {
    let array = array?;
    array.is_valid(row).then(|| array.value_at(row))
}

pub trait ArrayValue: Array {
    type Value<'a>
    where
        Self: 'a;
    fn value_at(&self, row: usize) -> Self::Value<'_>;
}

impl ArrayValue for Int32Array {
    type Value<'a> = i32;
    fn value_at(&self, row: usize) -> i32 {
        self.value(row)
    }
}

impl ArrayValue for Int64Array {
    type Value<'a> = i64;
    fn value_at(&self, row: usize) -> i64 {
        self.value(row)
    }
}

impl ArrayValue for TimestampMicrosecondArray {
    type Value<'a> = i64;
    fn value_at(&self, row: usize) -> i64 {
        self.value(row)
    }
}

impl ArrayValue for StringArray {
    type Value<'a> = &'a str;
    fn value_at(&self, row: usize) -> &str {
        self.value(row)
    }
}

impl ArrayValue for BooleanArray {
    type Value<'a> = bool;
    fn value_at(&self, row: usize) -> bool {
        self.value(row)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn lake_with(folders: &[(&str, &[&str])]) -> (tempfile::TempDir, Lake) {
        let dir = tempfile::tempdir().unwrap();
        for (folder, files) in folders {
            let path = dir.path().join("src/ds").join(folder);
            std::fs::create_dir_all(&path).unwrap();
            for file in *files {
                std::fs::write(path.join(file), b"").unwrap();
            }
        }
        let lake = Lake {
            root: dir.path().to_path_buf(),
            tz: chrono_tz::UTC,
            sources: vec![LakeSource {
                name: "src".into(),
                platform: Platform::Tableau,
            }],
        };
        (dir, lake)
    }

    #[test]
    fn partitions_are_pruned_by_folder_name_and_hidden_files_skipped() {
        let (_dir, lake) = lake_with(&[
            ("event_date=2026-11-01", &["part-0.parquet"]),
            (
                "event_date=2026-11-02",
                &["part-0.parquet", ".part-1.parquet", "_tmp.parquet"],
            ),
            ("event_date=2026-11-03", &["part-0.parquet.staged"]),
            ("event_date=2026-11-04", &["b.parquet", "a.parquet"]),
            ("event_date=garbage", &["part-0.parquet"]),
            ("_usagelake", &["x.parquet"]),
        ]);
        let found = lake.event_partitions("src", "ds", d(2), d(30)).unwrap();
        let dates: Vec<NaiveDate> = found.iter().map(|p| p.date).collect();
        assert_eq!(dates, [d(2), d(4)], "11-03 has no data file");
        assert_eq!(found[0].files.len(), 1);
        let names: Vec<_> = found[1]
            .files
            .iter()
            .map(|f| f.file_name().unwrap())
            .collect();
        assert_eq!(names, ["a.parquet", "b.parquet"]);
        assert!(lake
            .event_partitions("src", "missing", d(1), d(30))
            .unwrap()
            .is_empty());
        assert_eq!(lake.held_span("src", "ds"), Some((d(1), d(4))));
    }

    #[test]
    fn the_snapshot_in_force_is_the_latest_on_or_before_else_the_first() {
        let (_dir, lake) = lake_with(&[
            ("snapshot_date=2026-11-03", &["part-0.parquet"]),
            ("snapshot_date=2026-11-07", &["part-0.parquet"]),
        ]);
        let date = |day| {
            lake.snapshot_in_force("src", "ds", d(day))
                .unwrap()
                .map(|p| p.date)
        };
        assert_eq!(date(1), Some(d(3)));
        assert_eq!(date(6), Some(d(3)));
        assert_eq!(date(30), Some(d(7)));
    }

    #[test]
    fn string_columns_come_as_dictionaries_and_plain_ones_are_interned() {
        use parquet::arrow::ArrowWriter;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let names = StringArray::from(vec![Some("b"), None, Some("a"), Some("b")]);
        let ids = Int32Array::from(vec![1, 2, 3, 4]);
        let batch = RecordBatch::try_from_iter([
            ("name", Arc::new(names.clone()) as _),
            ("id", Arc::new(ids) as _),
        ])
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        fn rows(dict: &StrDict) -> Vec<Option<&str>> {
            (0..4).map(|r| dict.get(r)).collect()
        }
        let want = vec![Some("b"), None, Some("a"), Some("b")];

        let read =
            read_columns_with_dictionaries(std::slice::from_ref(&path), &["name", "id"], &["name"])
                .unwrap();
        let column = read[0].column_by_name("name").unwrap();
        assert!(matches!(column.data_type(), DataType::Dictionary(..)));
        let dict = dict_col(&read[0], "name").unwrap();
        assert_eq!(rows(&dict), want);
        assert_eq!(dict.key(0), dict.key(3), "one key per distinct value");
        assert_eq!(get(i32_col(&read[0], "id"), 2), Some(3));

        // Without the hint: plain strings, interned by `dict_col` to the same answer.
        let plain = read_columns(&[path], &["name"]).unwrap();
        assert_eq!(plain[0].column(0).data_type(), &DataType::Utf8);
        let interned = dict_col(&plain[0], "name").unwrap();
        assert_eq!(rows(&interned), want);
        let values: Vec<Option<&str>> = interned.values().collect();
        assert_eq!(values, [Some("b"), Some("a")]);
        assert!(dict_col(&plain[0], "missing").is_none());
    }

    #[test]
    fn par_fold_folds_every_item_once_and_reports_the_first_error() {
        let items: Vec<u64> = (1..=200).collect();
        let sums = par_fold(&items, |acc: &mut (u64, u64), i| {
            acc.0 += i;
            acc.1 += 1;
            Ok(())
        })
        .unwrap();
        assert!(!sums.is_empty());
        let total = sums.iter().fold((0, 0), |t, s| (t.0 + s.0, t.1 + s.1));
        assert_eq!(total, (200 * 201 / 2, 200));
        let failed = par_fold(&items, |_: &mut (), i| {
            if *i == 30 || *i == 150 {
                Err(ReportError::BadArgument(format!("item {i}")))
            } else {
                Ok(())
            }
        });
        assert!(matches!(failed, Err(ReportError::BadArgument(m)) if m == "item 30"));
    }

    #[test]
    fn par_map_keeps_item_order_and_the_first_error() {
        let items: Vec<u32> = (0..50).collect();
        let doubled = par_map(&items, |i| Ok(i * 2)).unwrap();
        assert_eq!(doubled, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        let failed = par_map(&items, |i| {
            if *i == 7 {
                Err(ReportError::BadArgument("seven".into()))
            } else {
                Ok(*i)
            }
        });
        assert!(matches!(failed, Err(ReportError::BadArgument(m)) if m == "seven"));
    }
}
