//! Key generations: keeping events apart whose source ids collide.
//!
//! Event partitions merge by key, which assumes a key names one event forever. A
//! database restored from a backup, rebuilt, or truncated with `RESTART
//! IDENTITY` hands out ids again that the lake already holds for other events. The
//! pipeline stops when it sees that (see `sources::pg_tables::coverage::key_restart`); the
//! operator then starts a new key generation for the dataset. Generation `g > 0` lives
//! in its own file of each partition, `part-g<g>.parquet`, next to `part-0.parquet`:
//! readers still see one set of rows per partition (both files), merge by key happens
//! within a generation only, and a row whose (key, time) is already in an older
//! generation is the same event re-read (a restore brings back old rows) and dropped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, BooleanArray, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use super::error::{arrow_err, IoContext, LoadError};
use super::parquet_io::append_keys;

/// The file of generation `generation` in an event partition.
pub(crate) fn partition_file_name(generation: u32) -> String {
    match generation {
        0 => "part-0.parquet".to_string(),
        g => format!("part-g{g}.parquet"),
    }
}

/// The generation a partition file belongs to: `part-g<N>.parquet` is N, anything else
/// (`part-0.parquet`, files of lakes from before one file per partition) is 0.
pub(crate) fn generation_of(path: &Path) -> u32 {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| {
            n.strip_prefix("part-g")?
                .strip_suffix(".parquet")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// A partition's files of one generation.
pub(crate) fn files_of_generation(files: Vec<PathBuf>, generation: u32) -> Vec<PathBuf> {
    files
        .into_iter()
        .filter(|f| generation_of(f) == generation)
        .collect()
}

/// (key, time µs) of every row in `files`: the events older generations hold.
pub(crate) fn older_events(
    files: &[PathBuf],
    key_column: &str,
    time_column: &str,
) -> Result<HashSet<(i64, i64)>, LoadError> {
    let mut events = HashSet::new();
    for path in files {
        let file = std::fs::File::open(path).at(path)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).at(path)?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), [key_column, time_column]);
        for batch in builder.with_projection(mask).build().at(path)? {
            let batch = batch.map_err(|e| LoadError::Parquet {
                path: path.clone(),
                source: e.into(),
            })?;
            let (keys, times) = key_and_time(path, &batch, key_column, time_column)?;
            events.extend(
                keys.into_iter()
                    .zip(times)
                    .filter_map(|(k, t)| Some((k?, t?))),
            );
        }
    }
    Ok(events)
}

/// Drops rows of `batch` whose (key, time) is in `older`; returns the rest and how many
/// were dropped.
pub(crate) fn drop_older_events(
    dataset: &str,
    batch: &RecordBatch,
    key_column: &str,
    time_column: &str,
    older: &HashSet<(i64, i64)>,
) -> Result<(Option<RecordBatch>, u64), LoadError> {
    if older.is_empty() {
        return Ok((Some(batch.clone()), 0));
    }
    let (keys, times) = key_and_time(Path::new(dataset), batch, key_column, time_column)?;
    let keep: BooleanArray = keys
        .iter()
        .zip(&times)
        .map(|(k, t)| Some(!matches!((k, t), (Some(k), Some(t)) if older.contains(&(*k, *t)))))
        .collect();
    let dropped = keep.false_count() as u64;
    if dropped == 0 {
        return Ok((Some(batch.clone()), 0));
    }
    if dropped as usize == batch.num_rows() {
        return Ok((None, dropped));
    }
    let kept =
        arrow_select::filter::filter_record_batch(batch, &keep).map_err(arrow_err(dataset))?;
    Ok((Some(kept), dropped))
}

type KeysAndTimes = (Vec<Option<i64>>, Vec<Option<i64>>);

fn key_and_time(
    path: &Path,
    batch: &RecordBatch,
    key_column: &str,
    time_column: &str,
) -> Result<KeysAndTimes, LoadError> {
    let schema_err = |message: String| LoadError::Schema {
        dataset: path.display().to_string(),
        message,
    };
    let key = batch
        .column_by_name(key_column)
        .ok_or_else(|| schema_err(format!("key column {key_column} is missing")))?;
    let mut values = Vec::with_capacity(key.len());
    append_keys(key.as_ref(), &mut values)
        .ok_or_else(|| schema_err(format!("key column {key_column} must be Int64 or Int32")))?;
    let mut non_null = values.into_iter();
    let keys = (0..key.len())
        .map(|i| key.is_valid(i).then(|| non_null.next()).flatten())
        .collect();
    let time = batch
        .column_by_name(time_column)
        .ok_or_else(|| schema_err(format!("time column {time_column} is missing")))?
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or_else(|| schema_err(format!("time column {time_column} is not a timestamp")))?;
    let times = time.iter().collect();
    Ok((keys, times))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_map_to_generations() {
        assert_eq!(partition_file_name(0), "part-0.parquet");
        assert_eq!(partition_file_name(3), "part-g3.parquet");
        assert_eq!(generation_of(Path::new("x/part-g3.parquet")), 3);
        assert_eq!(generation_of(Path::new("x/part-0.parquet")), 0);
        assert_eq!(generation_of(Path::new("x/part-2026-1-00001.parquet")), 0);
    }
}
