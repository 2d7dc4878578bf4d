//! Dimension tables: snapshotted whole into `snapshot_date=<run date>`.

use super::{snapshot, Cols};
use crate::postgres::{PgType, TableSpec};

use PgType::{Bool, Int4, Int8, Text, Timestamp, Uuid};

pub(super) fn snapshot_spec(dataset: &str) -> Option<TableSpec> {
    let spec = match dataset {
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
