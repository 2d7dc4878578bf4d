//! `requests_enriched`: every `http_requests` row with its user, site and content.
//!
//! Two passes per chunk of rows. The row pass (plain Rust over arrow-rs arrays) runs the
//! content resolver and the per-site lookup, and derives the columns that depend on one row
//! only (duration, view load, export type, local time). The join pass (polars, lazy left
//! joins that keep the request order) attaches the names from the dimension frames by the
//! row pass's keys. Only the key columns go to polars and only the joined columns come back;
//! the raw columns never leave arrow-rs.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use polars::prelude::*;

use super::bridge::{batch_to_frame, frame_to_batch};
use super::content::{export_type, is_view_like, resolve_content, ItemType, ResolutionMethod};
use super::dims::Dimensions;
use super::report::ReportBuilder;
use super::TransformError;

const DATASET: &str = "requests_enriched";

/// Columns added to the raw ones, in order: (name, type, comes from polars).
fn added_fields() -> Vec<Field> {
    use DataType::{Boolean, Date32, Int32, Int64, Utf8};
    let f = |name: &str, t: DataType| Field::new(name, t, true);
    vec![
        f("system_user_id", Int32),
        f("user_name", Utf8),
        f("friendly_name", Utf8),
        f("email", Utf8),
        f("site_role", Utf8),
        f("site_name", Utf8),
        f("url_namespace", Utf8),
        f("item_type", Utf8),
        f("view_id", Int32),
        f("view_name", Utf8),
        f("workbook_id", Int32),
        f("workbook_name", Utf8),
        f("datasource_id", Int32),
        f("datasource_name", Utf8),
        f("project_id", Int32),
        f("project_name", Utf8),
        f("owner_name", Utf8),
        f("resolution_method", Utf8),
        f("is_view_load", Boolean),
        f("duration_ms", Int64),
        f("export_type", Utf8),
        f(
            "local_time",
            DataType::Timestamp(TimeUnit::Microsecond, None),
        ),
        f("local_date", Date32),
    ]
}

/// Joined columns (the polars pass), a prefix-free subset of [`added_fields`].
const JOINED: &[&str] = &[
    "system_user_id",
    "user_name",
    "friendly_name",
    "email",
    "site_role",
    "site_name",
    "url_namespace",
    "view_id",
    "view_name",
    "workbook_id",
    "workbook_name",
    "datasource_id",
    "datasource_name",
    "project_id",
    "project_name",
    "owner_name",
];

/// The enriched schema for a raw `http_requests` schema.
pub fn enriched_schema(raw: &Schema) -> SchemaRef {
    let mut fields: Vec<Field> = raw.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend(added_fields());
    Arc::new(Schema::new(fields))
}

fn joined_schema() -> SchemaRef {
    let fields = added_fields()
        .into_iter()
        .filter(|f| JOINED.contains(&f.name().as_str()))
        .collect::<Vec<_>>();
    Arc::new(Schema::new(fields))
}

/// Enriches one chunk of raw rows (any size; the caller bounds it).
pub fn enrich(
    raw: &RecordBatch,
    dims: &Dimensions,
    tz: Tz,
    report: &mut ReportBuilder,
) -> Result<RecordBatch, TransformError> {
    let rows = row_pass(raw, dims, tz, report)?;
    let joined = join_pass(&rows.keys, dims)?;
    let schema = enriched_schema(&raw.schema());
    let mut columns: Vec<ArrayRef> = raw.columns().to_vec();
    for field in added_fields() {
        let name = field.name().as_str();
        let column = match name {
            "item_type" => rows.item_type.clone(),
            "resolution_method" => rows.method.clone(),
            "is_view_load" => rows.is_view_load.clone(),
            "duration_ms" => rows.duration_ms.clone(),
            "export_type" => rows.export_type.clone(),
            "local_time" => rows.local_time.clone(),
            "local_date" => rows.local_date.clone(),
            _ => joined.column_by_name(name).expect("joined column").clone(),
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema, columns)
        .map_err(TransformError::polars(DATASET, "assembling rows"))
}

struct RowPass {
    /// uid, site_id, view_ix, workbook_ix, datasource_ix: the polars join keys.
    keys: RecordBatch,
    item_type: ArrayRef,
    method: ArrayRef,
    is_view_load: ArrayRef,
    duration_ms: ArrayRef,
    export_type: ArrayRef,
    local_time: ArrayRef,
    local_date: ArrayRef,
}

fn opt_str(a: Option<&StringArray>, i: usize) -> Option<&str> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

fn opt_i32(a: Option<&Int32Array>, i: usize) -> Option<i32> {
    a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

fn row_pass(
    raw: &RecordBatch,
    dims: &Dimensions,
    tz: Tz,
    report: &mut ReportBuilder,
) -> Result<RowPass, TransformError> {
    let n = raw.num_rows();
    let text = |name: &str| {
        raw.column_by_name(name)
            .and_then(|a| a.as_string_opt::<i32>())
    };
    let int = |name: &str| {
        raw.column_by_name(name)
            .and_then(|a| a.as_primitive_opt::<Int32Type>())
    };
    let time = |name: &str| {
        raw.column_by_name(name)
            .and_then(|a| a.as_primitive_opt::<TimestampMicrosecondType>())
    };
    let (currentsheet, uri, action) = (
        text("currentsheet"),
        text("http_request_uri"),
        text("action"),
    );
    let (user_id, site_id, status) = (int("user_id"), int("site_id"), int("status"));
    let (created, completed) = (time("created_at"), time("completed_at"));

    let mut uid = Vec::with_capacity(n);
    let mut site = Vec::with_capacity(n);
    let (mut view_ix, mut workbook_ix, mut datasource_ix) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut item_type = StringBuilder::with_capacity(n, n * 4);
    let mut method = StringBuilder::with_capacity(n, n * 12);
    let mut is_view_load = BooleanBuilder::with_capacity(n);
    let mut export = StringBuilder::with_capacity(n, 0);
    let mut duration = Vec::with_capacity(n);
    let mut local_time = Vec::with_capacity(n);
    let mut offsets = OffsetCache::new(tz);
    for i in 0..n {
        let (cs, u, act) = (
            opt_str(currentsheet, i),
            opt_str(uri, i),
            opt_str(action, i),
        );
        let s = opt_i32(site_id, i);
        // Reference §6(b).1: NULL and 0 are "unknown user", never a user id.
        uid.push(opt_i32(user_id, i).filter(|&id| id != 0));
        site.push(s);
        let namespace = s
            .and_then(|s| dims.site_namespaces.get(&s))
            .map(String::as_str);
        let content = resolve_content(cs, u, namespace);
        let (mut v, mut w, mut d) = (None, None, None);
        if let Some(c) = &content {
            let key = c.lookup_key();
            match c.item_type() {
                ItemType::View => {
                    v = dims.views.lookup(s, key);
                    w = v
                        .and_then(|v| dims.views.get(v).parent_id)
                        .and_then(|id| dims.workbooks.ix_of_id(id))
                        .or_else(|| dims.workbooks.lookup(s, c.workbook_url()?));
                }
                ItemType::Workbook => w = dims.workbooks.lookup(s, key),
                ItemType::DataSource => d = dims.datasources.lookup(s, key),
            }
        }
        let is_resolved = match content.as_ref().map(|c| c.item_type()) {
            Some(ItemType::View) => v.is_some(),
            Some(ItemType::Workbook) => w.is_some(),
            Some(ItemType::DataSource) => d.is_some(),
            None => false,
        };
        let rule = content.as_ref().map(|c| c.method());
        let resolved_method = if is_resolved {
            ResolutionMethod::of(content.as_ref())
        } else {
            ResolutionMethod::Unresolved
        };
        if is_view_like(act, cs, u) {
            report.observe(rule, is_resolved, cs, u);
        }
        item_type.append_option(content.as_ref().map(|c| c.item_type().as_str()));
        method.append_value(resolved_method.as_str());
        view_ix.push(v);
        workbook_ix.push(w);
        datasource_ix.push(d);
        let code = opt_i32(status, i);
        is_view_load.append_value(
            act == Some("bootstrapSession") && code.is_some_and(|c| (200..300).contains(&c)),
        );
        export.append_option(export_type(u, act));
        let start = created.filter(|a| a.is_valid(i)).map(|a| a.value(i));
        let end = completed.filter(|a| a.is_valid(i)).map(|a| a.value(i));
        duration.push(start.zip(end).map(|(s, e)| (e - s).div_euclid(1000)));
        local_time.push(start.map(|us| us + offsets.offset_us(us)));
    }
    let local_date: Date32Array = local_time
        .iter()
        .map(|t| t.map(|us: i64| us.div_euclid(86_400_000_000) as i32))
        .collect();
    let keys: Vec<(&str, ArrayRef)> = vec![
        ("uid", Arc::new(Int32Array::from(uid))),
        ("site_id", Arc::new(Int32Array::from(site))),
        ("view_ix", Arc::new(UInt32Array::from(view_ix))),
        ("workbook_ix", Arc::new(UInt32Array::from(workbook_ix))),
        ("datasource_ix", Arc::new(UInt32Array::from(datasource_ix))),
    ];
    let keys = RecordBatch::try_from_iter(keys).map_err(TransformError::polars(DATASET, "keys"))?;
    Ok(RowPass {
        keys,
        item_type: Arc::new(item_type.finish()),
        method: Arc::new(method.finish()),
        is_view_load: Arc::new(is_view_load.finish()),
        duration_ms: Arc::new(Int64Array::from(duration)),
        export_type: Arc::new(export.finish()),
        local_time: Arc::new(TimestampMicrosecondArray::from(local_time)),
        local_date: Arc::new(local_date),
    })
}

/// UTC offset of `tz` by 15-minute bucket: every zone's transitions fall on a quarter hour,
/// and requests arrive in time order, so the last bucket almost always answers.
struct OffsetCache {
    tz: Tz,
    bucket: i64,
    offset_us: i64,
}

impl OffsetCache {
    const BUCKET_US: i64 = 15 * 60 * 1_000_000;

    fn new(tz: Tz) -> Self {
        Self {
            tz,
            bucket: i64::MIN,
            offset_us: 0,
        }
    }

    fn offset_us(&mut self, utc_us: i64) -> i64 {
        let bucket = utc_us.div_euclid(Self::BUCKET_US);
        if bucket != self.bucket {
            let instant = DateTime::from_timestamp_micros(bucket * Self::BUCKET_US)
                .unwrap_or_default()
                .naive_utc();
            let offset = self.tz.offset_from_utc_datetime(&instant).fix();
            self.offset_us = i64::from(offset.local_minus_utc()) * 1_000_000;
            self.bucket = bucket;
        }
        self.offset_us
    }
}

/// Left joins that keep the left (request) order: the joined columns are zipped back onto
/// the raw rows by position.
fn left_join(left: LazyFrame, right: LazyFrame, left_on: &str, right_on: &str) -> LazyFrame {
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    left.join(right, [col(left_on)], [col(right_on)], args)
}

fn join_pass(keys: &RecordBatch, dims: &Dimensions) -> Result<RecordBatch, TransformError> {
    let frame = batch_to_frame(keys).map_err(TransformError::bridge(DATASET))?;
    let joined = left_join(frame.lazy(), dims.users.clone(), "uid", "user_id");
    let joined = left_join(joined, dims.sites.clone(), "site_id", "site_id");
    let joined = left_join(joined, dims.view_frame.clone(), "view_ix", "view_ix");
    let joined = left_join(
        joined,
        dims.workbook_frame.clone(),
        "workbook_ix",
        "workbook_ix",
    );
    let joined = left_join(
        joined,
        dims.datasource_frame.clone(),
        "datasource_ix",
        "datasource_ix",
    );
    let result = joined
        .select([
            col("system_user_id"),
            col("user_name"),
            col("friendly_name"),
            col("email"),
            col("site_role"),
            col("site_name"),
            col("url_namespace"),
            col("view_id"),
            col("view_name"),
            col("workbook_id"),
            col("workbook_name"),
            col("datasource_id"),
            col("datasource_name"),
            // A view or workbook lives in its workbook's project; a data source in its own.
            col("workbook_project_id")
                .fill_null(col("datasource_project_id"))
                .alias("project_id"),
            col("workbook_project_name")
                .fill_null(col("datasource_project_name"))
                .alias("project_name"),
            // The content owner: the view's, else its workbook's, else the data source's.
            col("view_owner_name")
                .fill_null(col("workbook_owner_name"))
                .fill_null(col("datasource_owner_name"))
                .alias("owner_name"),
        ])
        .collect()
        .map_err(TransformError::polars(DATASET, "joining dimensions"))?;
    if result.height() != keys.num_rows() {
        return Err(TransformError::Polars {
            dataset: DATASET.into(),
            step: "joining dimensions",
            message: format!(
                "{} rows in, {} out: a dimension has duplicate keys",
                keys.num_rows(),
                result.height()
            ),
        });
    }
    frame_to_batch(&result, &joined_schema()).map_err(TransformError::bridge(DATASET))
}
