//! Seed datasets for BI, as the old usage scripts produced them, but correct:
//! - `logins` (per user per local day): first and last request, request count, distinct web
//!   sessions. The old "logins" file kept only the last action.
//! - `usage_daily` (per day, site, content and user): view loads, distinct vizql sessions,
//!   median and p95 load time of the view loads. Small enough for a dashboard to read fast.
//! - `extracts_workbooks` (per snapshot): extracts with their workbook or data source,
//!   project, owner and site.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;
use polars::prelude::*;

use super::bridge::{batch_to_frame, frame_to_batch};
use super::columns::project;
use super::dims::read_in_force;
use super::snapshots::SnapshotCatalog;
use super::TransformError;

/// The enriched columns the daily seeds need (a narrow, zero-copy projection per chunk).
pub const DAILY_INPUT: &[&str] = &[
    "user_id",
    "system_user_id",
    "user_name",
    "friendly_name",
    "site_id",
    "site_name",
    "created_at",
    "local_time",
    "session_id",
    "vizql_session",
    "item_type",
    "resolution_method",
    "view_id",
    "view_name",
    "workbook_id",
    "workbook_name",
    "datasource_id",
    "datasource_name",
    "project_name",
    "is_view_load",
    "duration_ms",
];

fn field(name: &str, t: DataType) -> Field {
    Field::new(name, t, true)
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn local() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

pub fn logins_schema() -> SchemaRef {
    use DataType::{Int32, Int64, Utf8};
    Arc::new(Schema::new(vec![
        field("user_id", Int32),
        field("system_user_id", Int32),
        field("user_name", Utf8),
        field("friendly_name", Utf8),
        field("site_id", Int32),
        field("site_name", Utf8),
        field("first_request_at", utc()),
        field("last_request_at", utc()),
        field("first_request_local", local()),
        field("last_request_local", local()),
        field("requests", Int64),
        field("sessions", Int64),
    ]))
}

pub fn usage_daily_schema() -> SchemaRef {
    use DataType::{Float64, Int32, Int64, Utf8};
    Arc::new(Schema::new(vec![
        field("site_id", Int32),
        field("site_name", Utf8),
        field("item_type", Utf8),
        field("project_name", Utf8),
        field("workbook_id", Int32),
        field("workbook_name", Utf8),
        field("view_id", Int32),
        field("view_name", Utf8),
        field("datasource_id", Int32),
        field("datasource_name", Utf8),
        field("user_id", Int32),
        field("user_name", Utf8),
        field("requests", Int64),
        field("view_loads", Int64),
        field("sessions", Int64),
        field("median_load_ms", Float64),
        field("p95_load_ms", Float64),
    ]))
}

fn day_frame(dataset: &str, day: &[RecordBatch]) -> Result<LazyFrame, TransformError> {
    let mut frames = Vec::with_capacity(day.len());
    for batch in day {
        frames.push(
            batch_to_frame(batch)
                .map_err(TransformError::bridge(dataset))?
                .lazy(),
        );
    }
    concat(frames, UnionArgs::default()).map_err(TransformError::polars(dataset, "concat"))
}

fn count(e: Expr) -> Expr {
    e.cast(polars::prelude::DataType::Int64)
}

/// One row per known user (NULL and 0 user ids are not a user) active that day.
pub fn logins(day: &[RecordBatch]) -> Result<RecordBatch, TransformError> {
    let frame = day_frame("logins", day)?
        .filter(col("user_id").is_not_null().and(col("user_id").neq(lit(0))))
        .group_by([col("user_id")])
        .agg([
            col("system_user_id").first(),
            col("user_name").first(),
            col("friendly_name").first(),
            col("site_id").first(),
            col("site_name").first(),
            col("created_at").min().alias("first_request_at"),
            col("created_at").max().alias("last_request_at"),
            col("local_time").min().alias("first_request_local"),
            col("local_time").max().alias("last_request_local"),
            count(len()).alias("requests"),
            count(col("session_id").drop_nulls().n_unique()).alias("sessions"),
        ])
        .sort(["user_id"], SortMultipleOptions::default())
        .collect()
        .map_err(TransformError::polars("logins", "group by user"))?;
    frame_to_batch(&frame, &logins_schema()).map_err(TransformError::bridge("logins"))
}

/// One row per (site, content, user) with resolved content that day.
pub fn usage_daily(day: &[RecordBatch]) -> Result<RecordBatch, TransformError> {
    let keys = [
        "site_id",
        "item_type",
        "workbook_id",
        "workbook_name",
        "view_id",
        "view_name",
        "datasource_id",
        "datasource_name",
        "user_id",
    ];
    let load_ms = || {
        col("duration_ms")
            .filter(col("is_view_load"))
            .cast(polars::prelude::DataType::Float64)
    };
    let frame = day_frame("usage_daily", day)?
        .filter(col("resolution_method").neq(lit("unresolved")))
        .group_by(keys.map(col))
        .agg([
            col("site_name").first(),
            col("project_name").first(),
            col("user_name").first(),
            count(len()).alias("requests"),
            count(col("is_view_load").sum()).alias("view_loads"),
            count(col("vizql_session").drop_nulls().n_unique()).alias("sessions"),
            load_ms().median().alias("median_load_ms"),
            load_ms()
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95_load_ms"),
        ])
        .sort(keys, SortMultipleOptions::default().with_nulls_last(true))
        .collect()
        .map_err(TransformError::polars(
            "usage_daily",
            "group by content and user",
        ))?;
    frame_to_batch(&frame, &usage_daily_schema()).map_err(TransformError::bridge("usage_daily"))
}

pub fn extracts_workbooks_schema() -> SchemaRef {
    use DataType::{Int32, Int64, Utf8};
    Arc::new(Schema::new(vec![
        field("extract_id", Int32),
        field("site_id", Int32),
        field("site_name", Utf8),
        field("item_type", Utf8),
        field("workbook_id", Int32),
        field("workbook_name", Utf8),
        field("datasource_id", Int32),
        field("datasource_name", Utf8),
        field("project_id", Int32),
        field("project_name", Utf8),
        field("owner_id", Int32),
        field("owner_name", Utf8),
        field("extract_size", Int64),
        field("extract_created_at", utc()),
        field("extract_updated_at", utc()),
    ]))
}

/// Extracts ⋈ workbooks / data sources ⋈ projects ⋈ owners ⋈ sites, from the snapshots in
/// force on `date` (normally all taken that day).
pub fn extracts_workbooks(
    catalog: &SnapshotCatalog,
    date: NaiveDate,
) -> Result<RecordBatch, TransformError> {
    use DataType::{Int32, Int64, Utf8};
    let ds = "extracts_workbooks";
    let read = |dataset: &str, columns: &[(&str, DataType)]| -> Result<LazyFrame, TransformError> {
        let batch = read_in_force(catalog, dataset, date)?;
        let batch = project(dataset, batch.as_ref(), columns)?;
        Ok(batch_to_frame(&batch)
            .map_err(TransformError::bridge(ds))?
            .lazy())
    };
    let extracts = read(
        "extracts",
        &[
            ("id", Int32),
            ("workbook_id", Int32),
            ("datasource_id", Int32),
            ("site_id", Int32),
            ("size", Int64),
            ("created_at", utc()),
            ("updated_at", utc()),
        ],
    )?;
    let content = |prefix: &str, dataset: &str| -> Result<LazyFrame, TransformError> {
        let p = |c: &str| format!("{prefix}_{c}");
        Ok(read(
            dataset,
            &[
                ("id", Int32),
                ("name", Utf8),
                ("project_id", Int32),
                ("owner_id", Int32),
                ("site_id", Int32),
            ],
        )?
        .select([
            col("id").alias(p("id")),
            col("name").alias(p("name")),
            col("project_id").alias(p("project_id")),
            col("owner_id").alias(p("owner_id")),
            col("site_id").alias(p("site_id")),
        ]))
    };
    let users = read("users", &[("id", Int32), ("system_user_id", Int32)])?;
    let system_users = read("system_users", &[("id", Int32), ("name", Utf8)])?;
    let owners = users
        .left_join(system_users, col("system_user_id"), col("id"))
        .select([col("id").alias("owner_id"), col("name").alias("owner_name")]);
    let projects = read("projects", &[("id", Int32), ("name", Utf8)])?.select([
        col("id").alias("project_id"),
        col("name").alias("project_name"),
    ]);
    let sites = read("sites", &[("id", Int32), ("name", Utf8)])?
        .select([col("id").alias("site_key"), col("name").alias("site_name")]);
    let frame = extracts
        .left_join(
            content("wb", "workbooks")?,
            col("workbook_id"),
            col("wb_id"),
        )
        .left_join(
            content("ds", "datasources")?,
            col("datasource_id"),
            col("ds_id"),
        )
        .with_columns([
            col("wb_project_id")
                .fill_null(col("ds_project_id"))
                .alias("project_id"),
            col("wb_owner_id")
                .fill_null(col("ds_owner_id"))
                .alias("owner_id"),
            col("site_id")
                .fill_null(col("wb_site_id"))
                .fill_null(col("ds_site_id"))
                .alias("site_key"),
            when(col("workbook_id").is_not_null())
                .then(lit("Workbook"))
                .otherwise(lit("Data Source"))
                .alias("item_type"),
        ])
        .left_join(projects, col("project_id"), col("project_id"))
        .left_join(owners, col("owner_id"), col("owner_id"))
        .left_join(sites, col("site_key"), col("site_key"))
        .select([
            col("id").alias("extract_id"),
            col("site_key").alias("site_id"),
            col("site_name"),
            col("item_type"),
            col("workbook_id"),
            col("wb_name").alias("workbook_name"),
            col("datasource_id"),
            col("ds_name").alias("datasource_name"),
            col("project_id"),
            col("project_name"),
            col("owner_id"),
            col("owner_name"),
            col("size").alias("extract_size"),
            col("created_at").alias("extract_created_at"),
            col("updated_at").alias("extract_updated_at"),
        ])
        .sort(["extract_id"], SortMultipleOptions::default())
        .collect()
        .map_err(TransformError::polars(ds, "joining extracts"))?;
    frame_to_batch(&frame, &extracts_workbooks_schema()).map_err(TransformError::bridge(ds))
}
