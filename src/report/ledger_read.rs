//! Reads the run ledger back (see `pipeline::ledger`): the latest run and the latest
//! successful one, newest files first, so the cost does not grow with history.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;

use crate::days::format_us;
use crate::load::LakeLayout;

/// Newest ledger files looked at before giving up on finding a successful run.
const MAX_FILES: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub run_id: String,
    pub command: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: String,
    pub error: Option<String>,
}

impl RunRecord {
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} {} {} (started {}, finished {})",
            self.command, self.run_id, self.status, self.started_at, self.finished_at
        );
        if let Some(error) = &self.error {
            text.push_str(&format!(": {error}"));
        }
        text
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LastRuns {
    pub last: RunRecord,
    pub last_ok: Option<RunRecord>,
}

/// None when the ledger is empty or unreadable (status must still report the lake).
pub fn last_runs(layout: &LakeLayout) -> Option<LastRuns> {
    let mut last: Option<RunRecord> = None;
    for file in newest_files(&layout.ledger_dir())
        .into_iter()
        .take(MAX_FILES)
    {
        let Some(record) = read_record(&file) else {
            tracing::warn!(file = %file.display(), "unreadable ledger file skipped");
            continue;
        };
        let is_ok = record.status == "ok";
        let last = last.get_or_insert_with(|| record.clone());
        if is_ok {
            return Some(LastRuns {
                last: last.clone(),
                last_ok: Some(record),
            });
        }
    }
    last.map(|last| LastRuns {
        last,
        last_ok: None,
    })
}

/// Ledger files, newest first (run ids start with the UTC start time).
fn newest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(days) = std::fs::read_dir(dir) else {
        return files;
    };
    for day in days.flatten() {
        let Ok(entries) = std::fs::read_dir(day.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".parquet") && !name.starts_with('.') {
                files.push(path);
            }
        }
    }
    files.sort_by(|a, b| b.file_name().cmp(&a.file_name()));
    files
}

fn read_record(path: &Path) -> Option<RunRecord> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).ok()?)
        .ok()?
        .build()
        .ok()?;
    let batch: RecordBatch = reader.into_iter().next()?.ok()?;
    let text = |name: &str| -> Option<String> {
        let column = batch.column_by_name(name)?.as_string_opt::<i32>()?;
        (!column.is_null(0)).then(|| column.value(0).to_string())
    };
    let time = |name: &str| -> Option<String> {
        let column = batch
            .column_by_name(name)?
            .as_primitive_opt::<TimestampMicrosecondType>()?;
        Some(format_us(Some(column.value(0))))
    };
    Some(RunRecord {
        run_id: text("run_id")?,
        command: text("command")?,
        status: text("status")?,
        started_at: time("started_at")?,
        finished_at: time("finished_at")?,
        error: text("error"),
    })
}
