//! The lake's own small files under `_usagelake/`: the run ledger (Parquet, so admins
//! query it like the data) and the JSON run summaries. Each is written once, atomically
//! (temporary name, fsync, rename, fsync of the folder), like every data file.

use std::path::PathBuf;

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;

use super::{fsutil, LakeLayout};

/// Writes `<ledger>/run_date=<run_date>/<run_id>.parquet` holding `batch` (or
/// `<run_id>.<n>.parquet` if that name is taken: a ledger file is never overwritten).
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
    let dir = layout.ledger_dir().join(format!("run_date={run_date}"));
    fsutil::create_dir_all_durable(&dir)?;
    // Never over another entry: run ids are unique, but a ledger is history, so even a
    // clash (a clock set back, a copied lake) keeps both records.
    for n in 0u32.. {
        let name = match n {
            0 => format!("{run_id}.parquet"),
            n => format!("{run_id}.{n}.parquet"),
        };
        let path = dir.join(name);
        match fsutil::write_new(&path, &bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            other => return other.map(|()| path),
        }
    }
    unreachable!("some numbered ledger file name is free")
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
