//! The dimension tables one event date is enriched with, built from the snapshots in force
//! on it (see `snapshots.rs`): content lookup tables for the resolver, and polars frames for
//! the joins (users → system_users → site_roles, sites, content → projects and owners).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use polars::prelude::*;

use super::bridge::batch_to_frame;
use super::columns::{int32, opt_i32, opt_str, project, utf8};
use super::content::view_key_from_repository_url;
use super::content_index::{ContentTable, HistRow, LiveRow};
use super::lake::read_concat;
use super::snapshots::SnapshotCatalog;
use super::TransformError;

const DATASET: &str = "requests_enriched";

/// Everything needed to enrich the requests of one event date.
pub struct Dimensions {
    /// `sites.url_namespace` by site id, for the resolver's `/t/<ns>` check.
    pub site_namespaces: HashMap<i32, String>,
    pub views: ContentTable,
    pub workbooks: ContentTable,
    pub datasources: ContentTable,
    /// user_id, system_user_id, user_name, friendly_name, email, site_role
    pub users: LazyFrame,
    /// site_id, site_name, url_namespace
    pub sites: LazyFrame,
    /// view_ix, view_id, view_name, view_owner_name
    pub view_frame: LazyFrame,
    /// workbook_ix, workbook_id, workbook_name, workbook_project_id, workbook_project_name,
    /// workbook_owner_name
    pub workbook_frame: LazyFrame,
    /// datasource_ix, datasource_id, datasource_name, datasource_project_id,
    /// datasource_project_name, datasource_owner_name
    pub datasource_frame: LazyFrame,
}

use DataType::{Int32, Utf8};

/// Reads the snapshot of `dataset` in force on `date` (all rows), if there is one.
pub fn read_in_force(
    catalog: &SnapshotCatalog,
    dataset: &str,
    date: NaiveDate,
) -> Result<Option<RecordBatch>, TransformError> {
    match catalog.in_force(dataset, date) {
        Some(snapshot) => read_concat(catalog.files(dataset, snapshot)),
        None => Ok(None),
    }
}

fn frame(batch: &RecordBatch) -> Result<LazyFrame, TransformError> {
    Ok(batch_to_frame(batch)
        .map_err(TransformError::bridge(DATASET))?
        .lazy())
}

impl Dimensions {
    pub fn load(catalog: &SnapshotCatalog, date: NaiveDate) -> Result<Self, TransformError> {
        let read = |dataset: &str, columns: &[(&str, DataType)]| {
            let batch = read_in_force(catalog, dataset, date)?;
            project(dataset, batch.as_ref(), columns)
        };
        let content_cols = |parent: &'static str| {
            vec![
                ("id", Int32),
                ("name", Utf8),
                ("repository_url", Utf8),
                ("site_id", Int32),
                ("owner_id", Int32),
                (parent, Int32),
            ]
        };
        let hist_cols = |id: &'static str| {
            vec![
                ("id", Int32),
                (id, Int32),
                ("name", Utf8),
                ("repository_url", Utf8),
            ]
        };
        let sites = read(
            "sites",
            &[("id", Int32), ("name", Utf8), ("url_namespace", Utf8)],
        )?;
        let views = content_table(
            &read("views", &content_cols("workbook_id"))?,
            &read("hist_views", &hist_cols("view_id"))?,
            "workbook_id",
            "view_id",
            true,
        );
        let workbooks = content_table(
            &read("workbooks", &content_cols("project_id"))?,
            &read("hist_workbooks", &hist_cols("workbook_id"))?,
            "project_id",
            "workbook_id",
            false,
        );
        let datasources = content_table(
            &read("datasources", &content_cols("project_id"))?,
            &read("hist_datasources", &hist_cols("datasource_id"))?,
            "project_id",
            "datasource_id",
            false,
        );
        let users = frame(&read(
            "users",
            &[
                ("id", Int32),
                ("system_user_id", Int32),
                ("site_role_id", Int32),
            ],
        )?)?;
        let system_users = frame(&read(
            "system_users",
            &[
                ("id", Int32),
                ("name", Utf8),
                ("friendly_name", Utf8),
                ("email", Utf8),
            ],
        )?)?;
        let site_roles = frame(&read("site_roles", &[("id", Int32), ("name", Utf8)])?)?;
        let projects = frame(&read("projects", &[("id", Int32), ("name", Utf8)])?)?;
        let contents = frame(&read(
            "projects_contents",
            &[
                ("project_id", Int32),
                ("content_id", Int32),
                ("content_type", Utf8),
            ],
        )?)?;

        let user_frame = users
            .clone()
            .left_join(system_users.clone(), col("system_user_id"), col("id"))
            .left_join(site_roles, col("site_role_id"), col("id"))
            .select([
                col("id").alias("user_id"),
                col("system_user_id"),
                col("name").alias("user_name"),
                col("friendly_name"),
                col("email"),
                col("name_right").alias("site_role"),
            ]);
        // Content owners are users.id (site-scoped), named through system_users.
        let owners = users
            .left_join(system_users, col("system_user_id"), col("id"))
            .select([col("id").alias("owner_id"), col("name").alias("owner_name")]);
        let project_of = |content_type: &str| {
            contents
                .clone()
                .filter(col("content_type").eq(lit(content_type)))
                .group_by([col("content_id")])
                .agg([col("project_id").max().alias("listed_project_id")])
        };
        let view_frame = frame(&entity_batch("view", &views)?)?
            .left_join(owners.clone(), col("view_owner_id"), col("owner_id"))
            .select([
                col("view_ix"),
                col("view_id"),
                col("view_name"),
                col("owner_name").alias("view_owner_name"),
            ]);
        let with_project =
            |prefix: &'static str, table: &ContentTable| -> Result<LazyFrame, TransformError> {
                let p = |c: &str| format!("{prefix}_{c}");
                Ok(frame(&entity_batch(prefix, table)?)?
                    .left_join(project_of(prefix), col(p("id")), col("content_id"))
                    // TSI resolves the project through projects_contents; the item's own
                    // project_id is the fallback for servers or rows without it.
                    .with_column(
                        col("listed_project_id")
                            .fill_null(col(p("parent_id")))
                            .alias(p("project_id")),
                    )
                    .left_join(projects.clone(), col(p("project_id")), col("id"))
                    .left_join(owners.clone(), col(p("owner_id")), col("owner_id"))
                    .select([
                        col(p("ix")),
                        col(p("id")),
                        col(p("name")),
                        col(p("project_id")),
                        col("name").alias(p("project_name")),
                        col("owner_name").alias(p("owner_name")),
                    ]))
            };
        let workbook_frame = with_project("workbook", &workbooks)?;
        let datasource_frame = with_project("datasource", &datasources)?;

        let site_namespaces = {
            let (ids, ns) = (int32(&sites, "id"), utf8(&sites, "url_namespace"));
            (0..sites.num_rows())
                .filter_map(|i| Some((opt_i32(ids, i)?, opt_str(ns, i).unwrap_or("").to_string())))
                .collect()
        };
        let sites = frame(&sites)?.select([
            col("id").alias("site_id"),
            col("name").alias("site_name"),
            col("url_namespace"),
        ]);
        Ok(Dimensions {
            site_namespaces,
            views,
            workbooks,
            datasources,
            users: user_frame,
            sites,
            view_frame,
            workbook_frame,
            datasource_frame,
        })
    }
}

fn content_table(
    live: &RecordBatch,
    hist: &RecordBatch,
    parent: &str,
    hist_id: &str,
    is_view: bool,
) -> ContentTable {
    let (id, name, url, site, owner, parent) = (
        int32(live, "id"),
        utf8(live, "name"),
        utf8(live, "repository_url"),
        int32(live, "site_id"),
        int32(live, "owner_id"),
        int32(live, parent),
    );
    let live_rows = (0..live.num_rows()).filter_map(|i| {
        Some(LiveRow {
            id: opt_i32(id, i)?,
            name: opt_str(name, i),
            repository_url: opt_str(url, i),
            site_id: opt_i32(site, i),
            owner_id: opt_i32(owner, i),
            parent_id: opt_i32(parent, i),
        })
    });
    let (h_id, h_entity, h_name, h_url) = (
        int32(hist, "id"),
        int32(hist, hist_id),
        utf8(hist, "name"),
        utf8(hist, "repository_url"),
    );
    let hist_rows = (0..hist.num_rows()).filter_map(|i| {
        Some(HistRow {
            hist_id: opt_i32(h_id, i)?,
            entity_id: opt_i32(h_entity, i),
            name: opt_str(h_name, i),
            repository_url: opt_str(h_url, i),
        })
    });
    if is_view {
        ContentTable::build(live_rows, hist_rows, view_key_from_repository_url)
    } else {
        ContentTable::build(live_rows, hist_rows, |url| std::borrow::Cow::Borrowed(url))
    }
}

/// `<prefix>_ix, _id, _name, _owner_id, _parent_id` of every entity, for the polars joins.
fn entity_batch(prefix: &str, table: &ContentTable) -> Result<RecordBatch, TransformError> {
    let n = u32::try_from(table.entities.len()).expect("fewer than 2^32 content items");
    let e = &table.entities;
    let columns: Vec<(String, ArrayRef)> = vec![
        (
            format!("{prefix}_ix"),
            Arc::new(UInt32Array::from_iter_values(0..n)),
        ),
        (
            format!("{prefix}_id"),
            Arc::new(e.iter().map(|x| x.id).collect::<Int32Array>()),
        ),
        (
            format!("{prefix}_name"),
            Arc::new(e.iter().map(|x| x.name.as_deref()).collect::<StringArray>()),
        ),
        (
            format!("{prefix}_owner_id"),
            Arc::new(e.iter().map(|x| x.owner_id).collect::<Int32Array>()),
        ),
        (
            format!("{prefix}_parent_id"),
            Arc::new(e.iter().map(|x| x.parent_id).collect::<Int32Array>()),
        ),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, a)| Field::new(name, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .map_err(|e| TransformError::Polars {
        dataset: DATASET.into(),
        step: "building content tables",
        message: e.to_string(),
    })
}
