//! Tableau Server repository ("workgroup" database): one table spec per dataset.
//!
//! Columns follow the official data dictionary (2025.3; see
//! shared/reference/tableau-repository.md). Only core, long-lived columns are required;
//! everything that appeared in a later version is optional so older servers still
//! extract (missing optional columns become typed NULLs). Secret columns
//! (`hashed_password`, `salt`, `keychain`, `protected_password`, `embedded`,
//! `hashed_secret`) are never listed, and the extractor refuses them anyway.

use crate::extract::postgres::{ColumnSpec, PgType, TableKind, TableSpec};

use PgType::{Bool, Int4, Int8, Text, Timestamp, Uuid};

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

/// `name` columns before `|` are required, after it optional.
struct Cols(
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

fn event(dataset: &str, cols: Cols, pending: Option<&str>, row_filter: Option<&str>) -> TableSpec {
    TableSpec {
        dataset: dataset.to_string(),
        table: dataset.to_string(),
        columns: columns(cols),
        kind: TableKind::Event {
            key: "id".to_string(),
            time: "created_at".to_string(),
            pending: pending.map(str::to_string),
        },
        is_optional: false,
        row_filter: row_filter.map(str::to_string),
    }
}

fn snapshot(dataset: &str, cols: Cols, is_optional: bool) -> TableSpec {
    TableSpec {
        dataset: dataset.to_string(),
        table: dataset.to_string(),
        columns: columns(cols),
        kind: TableKind::Snapshot,
        is_optional,
        row_filter: None,
    }
}

/// Predicate for background jobs that are not finished yet: `completed_at` stays NULL
/// until the job ends (reference §6(b).7), so such rows are re-read on later runs.
const JOB_PENDING: &str = include_str!("../../sql/extract/background_jobs_pending.sql");
const JOB_COMPLETED: &str = include_str!("../../sql/extract/background_jobs_completed.sql");

/// The spec of one dataset, or None for an unknown name (config validation rejects
/// those first). `include_incomplete_jobs` archives running jobs as they are now.
pub fn table_spec(dataset: &str, include_incomplete_jobs: bool) -> Option<TableSpec> {
    let spec = match dataset {
        "http_requests" => event(
            dataset,
            Cols(
                &[("id", Int8), ("created_at", Timestamp)],
                &[
                    ("controller", Text),
                    ("action", Text),
                    ("http_referer", Text),
                    ("http_user_agent", Text),
                    ("http_request_uri", Text),
                    ("remote_ip", Text),
                    ("session_id", Text),
                    ("completed_at", Timestamp),
                    ("port", Int4),
                    ("user_id", Int4),
                    ("worker", Text),
                    ("status", Int4),
                    ("user_cookie", Text),
                    ("user_ip", Text),
                    ("vizql_session", Text),
                    ("site_id", Int4),
                    ("currentsheet", Text),
                    ("flags_used", Int8),
                ],
            ),
            None,
            None,
        ),
        "historical_events" => event(
            dataset,
            Cols(
                &[
                    ("id", Int8),
                    ("created_at", Timestamp),
                    ("historical_event_type_id", Int4),
                ],
                &[
                    ("worker", Text),
                    ("is_failure", Bool),
                    ("details", Text),
                    ("hist_actor_user_id", Int4),
                    ("hist_target_user_id", Int4),
                    ("hist_actor_site_id", Int4),
                    ("hist_target_site_id", Int4),
                    ("hist_project_id", Int4),
                    ("hist_workbook_id", Int4),
                    ("hist_view_id", Int4),
                    ("hist_datasource_id", Int4),
                    ("hist_comment_id", Int4),
                    ("hist_tag_id", Int4),
                    ("hist_group_id", Int4),
                    ("hist_licensing_role_id", Int4),
                    ("hist_schedule_id", Int4),
                    ("hist_task_id", Int4),
                    ("hist_data_connection_id", Int4),
                    ("hist_config_id", Int4),
                    ("hist_capability_id", Int4),
                    ("hist_remote_agent_id", Int4),
                    ("hist_flow_id", Int4),
                    ("hist_data_role_id", Int4),
                    ("hist_database_id", Int4),
                    ("hist_table_id", Int4),
                    ("hist_column_id", Int4),
                    ("hist_metric_id", Int4),
                    ("hist_published_connection_id", Int4),
                    ("hist_collection_id", Int4),
                    ("hist_flow_draft_id", Int4),
                    ("hist_data_quality_indicator_id", Int4),
                ],
            ),
            None,
            None,
        ),
        "background_jobs" => event(
            dataset,
            Cols(
                &[("id", Int8), ("created_at", Timestamp)],
                &[
                    ("job_type", Text),
                    ("job_name", Text),
                    ("progress", Int4),
                    ("args", Text),
                    ("notes", Text),
                    ("updated_at", Timestamp),
                    ("started_at", Timestamp),
                    ("completed_at", Timestamp),
                    ("finish_code", Int4),
                    ("priority", Int4),
                    ("title", Text),
                    ("subtitle", Text),
                    ("created_on_worker", Text),
                    ("processed_on_worker", Text),
                    ("backgrounder_id", Text),
                    ("site_id", Int4),
                    ("correlation_id", Int4),
                    ("attempts_remaining", Int4),
                    ("luid", Uuid),
                    ("job_rank", Int8),
                    ("queue_id", Int4),
                    ("overflow", Bool),
                    ("promoted_at", Timestamp),
                    ("task_id", Int4),
                    ("run_now", Bool),
                    ("creator_id", Int4),
                    ("queue_type", Int4),
                    ("scheduled_start", Timestamp),
                ],
            ),
            Some(JOB_PENDING.trim()),
            (!include_incomplete_jobs).then_some(JOB_COMPLETED.trim()),
        ),
        "users" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("site_id", Int4), ("system_user_id", Int4)],
                &[
                    ("login_at", Timestamp),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("system_admin_auto", Bool),
                    ("luid", Uuid),
                    ("site_role_id", Int4),
                    ("lock_version", Int4),
                ],
            ),
            false,
        ),
        "system_users" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text)],
                &[
                    ("email", Text),
                    ("friendly_name", Text),
                    ("custom_display_name", Bool),
                    ("admin_level", Int4),
                    ("domain_id", Int4),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("auth_user_id", Text),
                    ("last_password_update", Timestamp),
                    ("force_password_update", Bool),
                    ("last_failed_login", Timestamp),
                    ("failed_login_attempts", Int4),
                ],
            ),
            false,
        ),
        // sites grew from 55 to 152 columns, almost all settings: keep the core ones.
        "sites" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text), ("url_namespace", Text)],
                &[
                    ("status", Text),
                    ("status_reason", Text),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("luid", Uuid),
                    ("content_admin_mode", Int4),
                    ("storage_quota", Int8),
                    ("time_zone", Text),
                    ("is_recycle_bin_enabled", Bool),
                    ("recycle_bin_content_lifespan", Int4),
                ],
            ),
            false,
        ),
        "views" => snapshot(
            dataset,
            Cols(
                &[
                    ("id", Int4),
                    ("name", Text),
                    ("repository_url", Text),
                    ("workbook_id", Int4),
                ],
                &[
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("index", Int4),
                    ("owner_id", Int4),
                    ("title", Text),
                    ("caption", Text),
                    ("sheet_id", Text),
                    ("state", Text),
                    ("sheettype", Text),
                    ("site_id", Int4),
                    ("first_published_at", Timestamp),
                    ("revision", Text),
                    ("luid", Uuid),
                    ("is_deleted", Bool),
                ],
            ),
            false,
        ),
        "workbooks" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text), ("repository_url", Text)],
                &[
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("owner_id", Int4),
                    ("project_id", Int4),
                    ("view_count", Int4),
                    ("size", Int8),
                    ("site_id", Int4),
                    ("revision", Text),
                    ("content_version", Int4),
                    ("first_published_at", Timestamp),
                    ("last_published_at", Timestamp),
                    ("luid", Uuid),
                    ("is_deleted", Bool),
                    ("is_private", Bool),
                    ("modified_by_user_id", Int4),
                    ("refreshable_extracts", Bool),
                    ("extracts_refreshed_at", Timestamp),
                ],
            ),
            false,
        ),
        "projects" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text)],
                &[
                    ("owner_id", Int4),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("state", Text),
                    ("description", Text),
                    ("site_id", Int4),
                    ("special", Int4),
                    ("luid", Uuid),
                    ("parent_project_id", Int4),
                    ("controlling_permissions_project_id", Int4),
                ],
            ),
            false,
        ),
        "datasources" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text), ("repository_url", Text)],
                &[
                    ("owner_id", Int4),
                    ("project_id", Int4),
                    ("site_id", Int4),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("first_published_at", Timestamp),
                    ("last_published_at", Timestamp),
                    ("size", Int8),
                    ("state", Text),
                    ("db_class", Text),
                    ("db_name", Text),
                    ("table_name", Text),
                    ("revision", Text),
                    ("content_version", Int4),
                    ("luid", Uuid),
                    ("connectable", Bool),
                    ("parent_workbook_id", Int4),
                    ("parent_type", Text),
                    ("is_certified", Bool),
                    ("certifier_user_id", Int4),
                    ("modified_by_user_id", Int4),
                    ("description", Text),
                ],
            ),
            false,
        ),
        "extracts" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[
                    ("workbook_id", Int4),
                    ("datasource_id", Int4),
                    ("descriptor", Text),
                    ("created_at", Timestamp),
                    ("updated_at", Timestamp),
                    ("site_id", Int4),
                    ("size", Int8),
                ],
            ),
            false,
        ),
        "hist_users" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[
                    ("user_id", Int4),
                    ("system_user_id", Int4),
                    ("name", Text),
                    ("domain_name", Text),
                    ("email", Text),
                    ("system_admin_level", Int4),
                    ("site_admin_level", Int4),
                    ("site_role_id", Int4),
                    ("hist_licensing_role_id", Int4),
                ],
            ),
            false,
        ),
        "hist_views" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[
                    ("view_id", Int4),
                    ("name", Text),
                    ("repository_url", Text),
                    ("revision", Text),
                ],
            ),
            false,
        ),
        "hist_workbooks" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[
                    ("workbook_id", Int4),
                    ("name", Text),
                    ("repository_url", Text),
                    ("size", Int8),
                    ("revision", Text),
                ],
            ),
            false,
        ),
        "hist_datasources" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[
                    ("datasource_id", Int4),
                    ("name", Text),
                    ("repository_url", Text),
                    ("size", Int8),
                    ("revision", Text),
                    ("is_certified", Bool),
                    ("certification_note", Text),
                    ("using_remote_query_agent", Bool),
                    ("remote_query_agent_name", Text),
                ],
            ),
            false,
        ),
        "hist_sites" => snapshot(
            dataset,
            Cols(
                &[("id", Int4)],
                &[("site_id", Int4), ("name", Text), ("url_namespace", Text)],
            ),
            true,
        ),
        "hist_projects" => snapshot(
            dataset,
            Cols(&[("id", Int4)], &[("project_id", Int4), ("name", Text)]),
            true,
        ),
        "historical_event_types" => snapshot(
            dataset,
            Cols(
                &[("type_id", Int4), ("name", Text)],
                &[("action_type", Text)],
            ),
            false,
        ),
        "site_roles" => snapshot(
            dataset,
            Cols(
                &[("id", Int4), ("name", Text)],
                &[("licensing_rank", Int4), ("display_name", Text)],
            ),
            true,
        ),
        "projects_contents" => snapshot(
            dataset,
            Cols(
                &[
                    ("id", Int4),
                    ("project_id", Int4),
                    ("content_id", Int4),
                    ("content_type", Text),
                ],
                &[("site_id", Int4)],
            ),
            true,
        ),
        _ => return None,
    };
    Some(spec)
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
        let secrets = crate::extract::postgres::SECRET_COLUMNS;
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
