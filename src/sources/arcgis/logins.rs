//! `users` (a snapshot per day) and `logins` (one row per change of a user's lastLogin).
//!
//! The previous lastLogin of each user comes from the lake, not from the state file:
//! the highest `last_login` per `username` over every `logins` partition. The lake is
//! what is durable, so this stays right after a crash between commit and state save,
//! after missed nights (the next run compares with the last value stored, whatever day
//! that was) and after many runs a day (an unchanged value matches and adds nothing).
//! Correctness does not even depend on it: rows are keyed by `login_key = hash(username,
//! lastLogin)` and merged by key, so a value already stored is never stored twice. The
//! lookup only keeps unchanged users out of the writer, so a run rewrites no partition
//! for them. It reads two columns of a dataset that grows by one row per sign-in change.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use chrono::Utc;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use super::{add_written, ArcgisRun};
use crate::load::state::SourceState;
use crate::load::{list_partitions, LakeLayout, LoadError, Partitioning};
use crate::sources::arcgis::api::logins_from_users;
use crate::sources::{DatasetSummary, RunError};

/// Today's snapshot of every member; a second run the same day replaces it.
pub(super) async fn archive_users(
    ctx: &ArcgisRun<'_>,
    users: &RecordBatch,
    state: &mut SourceState,
) -> Result<DatasetSummary, RunError> {
    let bar = ctx.progress.dataset(ctx.name(), "users");
    let partitioning = Partitioning::SnapshotDate { date: ctx.run_date };
    let written = ctx.write("users", users.clone(), partitioning).await?;
    bar.add_rows(users.num_rows() as u64);
    bar.finish("done");
    let entry = state.datasets.entry("users".into()).or_default();
    entry.last_snapshot_date = Some(ctx.run_date.to_string());
    entry.updated_at = Utc::now().to_rfc3339();
    entry.run_id = ctx.run_id.to_string();
    ctx.save_state(state)?;
    Ok(DatasetSummary::written("users".into(), written))
}

/// New rows for users whose lastLogin differs from the last one the lake holds,
/// partitioned by the local date of that sign-in.
pub(super) async fn archive_logins(
    ctx: &ArcgisRun<'_>,
    users: &RecordBatch,
    state: &mut SourceState,
) -> Result<DatasetSummary, RunError> {
    let bar = ctx.progress.dataset(ctx.name(), "logins");
    let layout = ctx.layout.clone();
    let source_name = ctx.name().to_string();
    let previous = tokio::task::spawn_blocking(move || stored_last_logins(&layout, &source_name))
        .await
        .map_err(|_| RunError::WriterLost {
            source_name: ctx.name().to_string(),
            dataset: "logins".into(),
        })?
        .map_err(|source| RunError::Load {
            source_name: ctx.name().to_string(),
            dataset: "logins".into(),
            source,
        })?;
    let changed = logins_from_users(users, &previous, &ctx.source.portal.log_fields)
        .map_err(ctx.extract_error("logins"))?;
    let mut summary = DatasetSummary {
        name: "logins".into(),
        rows_read: changed.num_rows() as u64,
        ..Default::default()
    };
    bar.add_rows(changed.num_rows() as u64);
    if changed.num_rows() > 0 {
        let max_login_us = changed
            .column_by_name("last_login")
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .and_then(|c| c.values().iter().copied().max());
        let partitioning = Partitioning::EventDate {
            time_column: "last_login".into(),
            key_column: "login_key".into(),
            tz: ctx.time_zone,
        };
        let written = ctx.write("logins", changed, partitioning).await?;
        add_written(&mut summary, &written);
        let entry = state.datasets.entry("logins".into()).or_default();
        entry.max_event_time_us = entry.max_event_time_us.max(max_login_us);
        entry.rows_total = Some(entry.rows_total.unwrap_or(0) + written.rows_written);
        entry.updated_at = Utc::now().to_rfc3339();
        entry.run_id = ctx.run_id.to_string();
        ctx.save_state(state)?;
    }
    bar.finish("done");
    Ok(summary)
}

/// username → highest `last_login` (epoch ms) stored in the `logins` dataset.
fn stored_last_logins(
    layout: &LakeLayout,
    source: &str,
) -> Result<HashMap<String, i64>, LoadError> {
    let mut latest: HashMap<String, i64> = HashMap::new();
    for partition in list_partitions(layout, source, "logins")? {
        for file in &partition.files {
            read_last_logins(file, &mut latest)?;
        }
    }
    Ok(latest)
}

fn read_last_logins(path: &Path, latest: &mut HashMap<String, i64>) -> Result<(), LoadError> {
    let parquet_error = |source| LoadError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let columns: Vec<usize> = ["username", "last_login"]
        .iter()
        .filter_map(|name| builder.schema().index_of(name).ok())
        .collect();
    let schema_problem = || LoadError::Schema {
        dataset: "logins".into(),
        message: format!("{} lacks username or last_login", path.display()),
    };
    if columns.len() != 2 {
        return Err(schema_problem());
    }
    // Top-level primitive columns: leaf index = column index.
    let mask = ProjectionMask::leaves(builder.parquet_schema(), columns);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(parquet_error)?;
    for batch in reader {
        let batch = batch.map_err(|source| LoadError::Arrow {
            dataset: "logins".into(),
            source,
        })?;
        let (Some(names), Some(times)) = (
            batch
                .column_by_name("username")
                .and_then(|c| c.as_string_opt::<i32>()),
            batch
                .column_by_name("last_login")
                .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>()),
        ) else {
            return Err(schema_problem());
        };
        for row in 0..batch.num_rows() {
            if names.is_null(row) || times.is_null(row) {
                continue;
            }
            let ms = times.value(row) / 1000;
            let entry = latest.entry(names.value(row).to_string()).or_insert(ms);
            *entry = (*entry).max(ms);
        }
    }
    Ok(())
}
