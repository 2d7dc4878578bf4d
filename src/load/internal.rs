//! The lake's own small files under `_usagelake/`: the run ledger (Parquet, so admins
//! query it like the data) and the JSON run summaries. Each is written once, atomically
//! (temporary name, fsync, rename, fsync of the folder), like every data file.

use std::path::PathBuf;

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;

use super::{fsutil, LakeLayout};

/// Writes `<ledger>/run_date=<run_date>/<run_id>.parquet` holding `batch`.
pub fn write_ledger_file(
    layout: &LakeLayout,
    run_date: NaiveDate,
    run_id: &str,
    batch: &RecordBatch,
) -> std::io::Result<PathBuf> {
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, batch.schema(), None).map_err(std::io::Error::other)?;
    writer.write(batch).map_err(std::io::Error::other)?;
    writer.close().map_err(std::io::Error::other)?;
    let path = layout
        .ledger_dir()
        .join(format!("run_date={run_date}"))
        .join(format!("{run_id}.parquet"));
    fsutil::create_dir_all_durable(path.parent().expect("has parent"))?;
    fsutil::atomic_write(&path, &bytes)?;
    Ok(path)
}

/// Writes `<runs>/<run_id>.json`.
pub fn write_run_summary(
    layout: &LakeLayout,
    run_id: &str,
    json: &[u8],
) -> std::io::Result<PathBuf> {
    let path = layout.runs_dir().join(format!("{run_id}.json"));
    std::fs::create_dir_all(path.parent().expect("has parent"))?;
    fsutil::atomic_write(&path, json)?;
    Ok(path)
}
