//! The five datasets' Arrow schemas; `convert` turns API responses into them.
//!
//! Column names are the API's in snake case. Lists stay lists (DuckDB, polars, Spark
//! read them) and each gets a joined `_text` twin, and the snapshot's datasets get a
//! flat long table too, because many BI connectors drop nested columns (see
//! parquet-for-bi.md). Snapshot datasets carry `report_date` (the UTC day asked for):
//! the partition key lives only in folder names, which Power BI and Tableau ignore.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

mod convert;

pub use convert::{summary_batches, ChangelogBuilder, SnapshotBuilder};

pub const USER_SUMMARY: &str = "user_summary";
pub const USER_SUMMARY_ROLES: &str = "user_summary_roles";
pub const USER_SNAPSHOTS: &str = "user_snapshots";
pub const USER_SNAPSHOT_DATASETS: &str = "user_snapshot_datasets";
pub const USER_CHANGELOG: &str = "user_changelog";

/// Joins list values in the `_text` columns.
const TEXT_SEPARATOR: &str = ", ";

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn dataset_role_fields() -> Fields {
    Fields::from(vec![
        Field::new("dataset_id", DataType::Int32, true),
        Field::new("role", DataType::Utf8, true),
    ])
}

fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn dataset_role_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(dataset_role_fields()),
        true,
    )))
}

pub fn user_summary_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("report_date", DataType::Date32, false),
        Field::new("enabled", DataType::Int32, true),
        Field::new("disabled", DataType::Int32, true),
    ]))
}

pub fn user_summary_roles_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("report_date", DataType::Date32, false),
        Field::new("role", DataType::Utf8, true),
        Field::new("count", DataType::Int32, true),
    ]))
}

pub fn user_snapshots_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("report_date", DataType::Date32, false),
        Field::new("id", DataType::Int32, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("email", DataType::Utf8, true),
        Field::new("created_at", utc_micros(), true),
        Field::new("enabled", DataType::Boolean, true),
        Field::new("roles", text_list(), true),
        Field::new("roles_text", DataType::Utf8, true),
        Field::new("datasets", dataset_role_list(), true),
    ]))
}

pub fn user_snapshot_datasets_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("report_date", DataType::Date32, false),
        Field::new("user_id", DataType::Int32, true),
        Field::new("email", DataType::Utf8, true),
        Field::new("dataset_id", DataType::Int32, true),
        Field::new("role", DataType::Utf8, true),
    ]))
}

pub fn user_changelog_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("date", utc_micros(), true),
        Field::new("updated_at", utc_micros(), true),
        Field::new("user_id", DataType::Int32, true),
        Field::new("user_email", DataType::Utf8, true),
        Field::new("updated_by", DataType::Int32, true),
        Field::new("updater_email", DataType::Utf8, true),
        Field::new("previously_enabled", DataType::Boolean, true),
        Field::new("enabled", DataType::Boolean, true),
        Field::new("previous_roles", text_list(), true),
        Field::new("roles", text_list(), true),
        Field::new("previous_datasets", dataset_role_list(), true),
        Field::new("datasets", dataset_role_list(), true),
        Field::new("changes_made", text_list(), true),
        Field::new("previous_roles_text", DataType::Utf8, true),
        Field::new("roles_text", DataType::Utf8, true),
        Field::new("changes_made_text", DataType::Utf8, true),
    ]))
}
