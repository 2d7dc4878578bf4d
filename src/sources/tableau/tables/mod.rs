//! Tableau Server repository ("workgroup" database): one table spec per dataset.
//!
//! Columns follow the official data dictionary (2025.3; see
//! shared/reference/tableau-repository.md). Only core, long-lived columns are required;
//! everything that appeared in a later version is optional so older servers still
//! extract (missing optional columns become typed NULLs). Secret columns
//! (`hashed_password`, `salt`, `keychain`, `protected_password`, `embedded`,
//! `hashed_secret`) are never listed, and the extractor refuses them anyway.

use crate::postgres::{ColumnSpec, PgType, TableKind, TableSpec};

#[cfg(test)]
mod decode_bench;
mod events;
mod snapshots;

/// Every dataset the `tableau` source kind knows, in extraction order.
pub const DATASETS: &[&str] = &[
    "http_requests",
    "historical_events",
    "background_jobs",
    "users",
    "system_users",
    "sites",
    "views",
    "workbooks",
    "projects",
    "datasources",
    "extracts",
    "hist_users",
    "hist_views",
    "hist_workbooks",
    "hist_datasources",
    "hist_sites",
    "hist_projects",
    "historical_event_types",
    "site_roles",
    "projects_contents",
];

/// Text columns that are (nearly) unique per row in the request log, in `http_requests`
/// and the datasets derived from it: URIs (with ids and query strings in them) and VizQL
/// session ids. Written PLAIN (`load::WriterOptions::plain_columns`). Session ids and
/// client addresses repeat for every request of a session and keep the dictionary: on
/// the bench table it makes them 2–3× smaller.
pub const UNIQUE_TEXT_COLUMNS: &[&str] = &["http_request_uri", "http_referer", "vizql_session"];

/// [`UNIQUE_TEXT_COLUMNS`] as the writer takes them; names a dataset lacks are ignored.
pub fn plain_columns() -> Vec<String> {
    UNIQUE_TEXT_COLUMNS.iter().map(|c| c.to_string()).collect()
}

/// Required columns, then optional ones (typed NULLs when a server lacks them).
pub(super) struct Cols(
    &'static [(&'static str, PgType)],
    &'static [(&'static str, PgType)],
);

fn columns(cols: Cols) -> Vec<ColumnSpec> {
    let required = cols.0.iter().map(|&(name, pg_type)| (name, pg_type, true));
    let optional = cols.1.iter().map(|&(name, pg_type)| (name, pg_type, false));
    required
        .chain(optional)
        .map(|(name, pg_type, is_required)| ColumnSpec {
            name: name.to_string(),
            pg_type,
            is_required,
        })
        .collect()
}

/// `pending`: the SQL predicate of rows not final yet and the column that is NULL
/// exactly while a row is not final (see `TableKind::Event`).
pub(super) fn event(
    dataset: &str,
    cols: Cols,
    pending: Option<(&str, &str)>,
    row_filter: Option<&str>,
) -> TableSpec {
    TableSpec {
        dataset: dataset.to_string(),
        schema: "public".into(),
        table: dataset.to_string(),
        columns: columns(cols),
        kind: TableKind::Event {
            key: "id".to_string(),
            time: "created_at".to_string(),
            pending: pending.map(|(predicate, _)| predicate.to_string()),
            pending_column: pending.map(|(_, column)| column.to_string()),
        },
        is_optional: false,
        row_filter: row_filter.map(str::to_string),
    }
}

pub(super) fn snapshot(dataset: &str, cols: Cols, is_optional: bool) -> TableSpec {
    TableSpec {
        dataset: dataset.to_string(),
        schema: "public".into(),
        table: dataset.to_string(),
        columns: columns(cols),
        kind: TableKind::Snapshot,
        is_optional,
        row_filter: None,
    }
}

/// The spec of one dataset, or None for an unknown name (config validation rejects
/// those first). `include_incomplete_jobs` archives running jobs as they are now.
pub fn table_spec(dataset: &str, include_incomplete_jobs: bool) -> Option<TableSpec> {
    events::event_spec(dataset, include_incomplete_jobs)
        .or_else(|| snapshots::snapshot_spec(dataset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_a_spec_named_after_it() {
        for name in DATASETS {
            let spec = table_spec(name, false).expect("spec");
            assert_eq!(spec.dataset, *name);
            assert!(spec.columns.iter().any(|c| c.is_required));
        }
        assert!(table_spec("nope", false).is_none());
    }

    #[test]
    fn no_spec_lists_a_secret_column() {
        let secrets = crate::postgres::SECRET_COLUMNS;
        for name in DATASETS {
            let spec = table_spec(name, true).unwrap();
            for col in &spec.columns {
                assert!(!secrets.contains(&col.name.as_str()), "{name}.{}", col.name);
            }
        }
    }

    #[test]
    fn background_jobs_skip_running_jobs_unless_asked() {
        assert!(table_spec("background_jobs", false)
            .unwrap()
            .row_filter
            .is_some());
        assert!(table_spec("background_jobs", true)
            .unwrap()
            .row_filter
            .is_none());
    }
}
