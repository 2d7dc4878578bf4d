//! Event tables: append-mostly logs partitioned by `event_date`, incremental by `id`.

use super::{event, Cols};
use crate::postgres::{PgType, TableSpec};

use PgType::{Bool, Int4, Int8, Text, Timestamp, Uuid};

/// Predicate for background jobs that are not finished yet: `completed_at` stays NULL
/// until the job ends (reference §6(b).7), so such rows are re-read on later runs.
const JOB_PENDING: &str = include_str!("../../../../sql/extract/background_jobs_pending.sql");
const JOB_COMPLETED: &str = include_str!("../../../../sql/extract/background_jobs_completed.sql");

pub(super) fn event_spec(dataset: &str, include_incomplete_jobs: bool) -> Option<TableSpec> {
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
        _ => return None,
    };
    Some(spec)
}
