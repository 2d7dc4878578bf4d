-- Tableau Server repository ("workgroup") tables, as far as usagelake reads them.
-- Columns and types follow the data dictionary 2025.3 (see
-- /work/shared/reference/tableau-repository.md §2, §4, §6a): ids int4 except
-- http_requests.id and historical_events.id (int8), timestamps are naive UTC
-- `timestamp without time zone`, luids are uuid. Nullability is undocumented, so
-- everything but the primary key is nullable, like the real thing.
-- Secret columns (system_users.hashed_password/salt/keychain/protected_password,
-- workbooks.embedded, datasources.embedded, sessions.salt/hashed_secret) exist with
-- fake values so tests can prove they are never extracted.
-- Re-runnable: drops the tables first. One batch_execute, no psql meta-commands.

DROP TABLE IF EXISTS http_requests, users, system_users, sites, views, workbooks, projects,
  datasources, extracts, historical_events, historical_event_types, hist_users, hist_views,
  hist_workbooks, hist_datasources, hist_sites, hist_projects, background_jobs, site_roles,
  projects_contents, sessions CASCADE;

CREATE TABLE http_requests (
  id bigint PRIMARY KEY,            -- int4 until 2022.1
  controller varchar, action varchar, http_referer varchar, http_user_agent varchar,
  http_request_uri text, remote_ip varchar, created_at timestamp, session_id varchar,
  completed_at timestamp, port integer, user_id integer, worker varchar, status integer,
  user_cookie varchar, user_ip varchar, vizql_session text, site_id integer,
  currentsheet varchar, flags_used bigint
);

CREATE TABLE system_users (
  id integer PRIMARY KEY,
  name varchar, email varchar, hashed_password varchar, salt varchar, keychain text,
  domain_id integer, friendly_name varchar, custom_display_name boolean, activation_code varchar,
  activated_at timestamp, state varchar, admin_level integer, created_at timestamp,
  updated_at timestamp, deleted_at timestamp, auth_user_id varchar, asset_key_id integer,
  lock_version integer, last_password_update timestamp, force_password_update boolean,
  protected_password varchar, last_failed_login timestamp, failed_login_attempts integer,
  protected_password_bad_format boolean, user_management_version integer
);

CREATE TABLE users (
  id integer PRIMARY KEY,
  login_at timestamp, created_at timestamp, updated_at timestamp, site_id integer,
  system_user_id integer, system_admin_auto boolean, luid uuid, lock_version integer,
  site_role_id integer, user_management_version integer
);

CREATE TABLE site_roles (
  id integer PRIMARY KEY, name varchar, licensing_rank integer, display_name varchar
);

-- sites has ~150 columns in 2025.3; a few settings beyond the core show the drift an
-- extractor selecting explicit columns must ignore.
CREATE TABLE sites (
  id integer PRIMARY KEY,
  name varchar, url_namespace varchar, status varchar, status_reason varchar,
  created_at timestamp, updated_at timestamp, luid uuid, content_admin_mode integer,
  storage_quota bigint, lock_version integer, time_zone text, is_recycle_bin_enabled boolean,
  recycle_bin_content_lifespan integer,
  subscriptions_enabled boolean, guest_access_enabled boolean, commenting_enabled boolean,
  authoring_disabled boolean, metrics_enabled boolean, start_page_uri varchar,
  ask_data_mode varchar, flows_enabled boolean
);

CREATE TABLE projects (
  id integer PRIMARY KEY,
  name varchar, owner_id integer, created_at timestamp, updated_at timestamp, state varchar,
  description text, site_id integer, special integer, luid uuid,
  controlled_permissions_enabled boolean, parent_project_id integer,
  admin_insights_enabled boolean, nested_projects_permissions_included boolean,
  controlling_permissions_project_id integer, lower_name varchar
);

CREATE TABLE projects_contents (
  id integer PRIMARY KEY, project_id integer, site_id integer, content_id integer,
  content_type varchar
);

CREATE TABLE workbooks (
  id integer PRIMARY KEY,
  name varchar, repository_url text, description text, created_at timestamp,
  updated_at timestamp, owner_id integer, project_id integer, view_count integer, size bigint,
  embedded text, thumb_user integer, refreshable_extracts boolean,
  extracts_refreshed_at timestamp, lock_version integer, state varchar,
  version varchar, checksum varchar, display_tabs boolean, data_engine_extracts boolean,
  incrementable_extracts boolean, site_id integer, revision varchar, repository_data_id bigint,
  repository_extract_data_id bigint, first_published_at timestamp, primary_content_url varchar,
  share_description varchar, show_toolbar boolean, extracts_incremented_at timestamp,
  default_view_index integer, luid uuid, asset_key_id integer, document_version varchar,
  content_version integer, last_published_at timestamp, data_id varchar,
  reduced_data_id varchar, published_all_sheets boolean, extract_encryption_state smallint,
  extract_creation_pending smallint, is_deleted boolean, is_private boolean,
  parent_workbook_id integer, modified_by_user_id integer, extract_storage_format smallint
);

CREATE TABLE views (
  id integer PRIMARY KEY,
  name varchar, repository_url text, description text, created_at timestamp,
  locked boolean, published boolean, read_count integer, edit_count integer,
  datasource_id integer, workbook_id integer,
  "index" integer,                  -- reserved word: must be quoted
  updated_at timestamp, owner_id integer, fields text, title text, caption text,
  sheet_id varchar, state varchar, sheettype varchar, site_id integer,
  first_published_at timestamp, revision varchar, luid uuid, thumbnail_id varchar,
  is_deleted boolean
);

CREATE TABLE datasources (
  id integer PRIMARY KEY,
  name varchar, repository_url text, owner_id integer, created_at timestamp,
  updated_at timestamp, project_id integer, size bigint, lock_version integer, state varchar,
  db_class text, db_name text, table_name text, site_id integer, revision varchar,
  repository_data_id bigint, repository_extract_data_id bigint, embedded text,
  incrementable_extracts boolean, refreshable_extracts boolean, data_engine_extracts boolean,
  extracts_refreshed_at timestamp, first_published_at timestamp,
  extracts_incremented_at timestamp, luid uuid, document_version varchar,
  description text, content_version integer, parent_workbook_id integer,
  hidden_name varchar, last_published_at timestamp, data_id varchar, reduced_data_id varchar,
  connectable boolean, is_hierarchical boolean, extract_encryption_state smallint,
  parent_type text, is_certified boolean, certification_note text,
  certifier_user_id integer, modified_by_user_id integer, ask_data_indexing_new boolean
);

CREATE TABLE extracts (
  id integer PRIMARY KEY,
  workbook_id integer, descriptor varchar, created_at timestamp, updated_at timestamp,
  datasource_id integer, encryption_key_id varchar, site_id integer, size bigint
);

CREATE TABLE historical_event_types (
  type_id integer PRIMARY KEY, name text, action_type text
);

CREATE TABLE historical_events (
  id bigint PRIMARY KEY,            -- int4 until 2022.1
  historical_event_type_id integer, worker text, is_failure boolean, details text,
  created_at timestamp, hist_actor_user_id integer, hist_target_user_id integer,
  hist_actor_site_id integer, hist_target_site_id integer, hist_project_id integer,
  hist_workbook_id integer, hist_view_id integer, hist_datasource_id integer,
  hist_comment_id integer, hist_tag_id integer, hist_group_id integer,
  hist_licensing_role_id integer, hist_schedule_id integer, hist_task_id integer,
  hist_data_connection_id integer, hist_config_id integer, hist_capability_id integer,
  hist_remote_agent_id integer, hist_flow_id integer, hist_data_role_id integer,
  hist_database_id integer, hist_table_id integer, hist_column_id integer,
  hist_metric_id integer, hist_published_connection_id integer, hist_collection_id integer,
  hist_flow_draft_id integer, hist_data_quality_indicator_id integer
);

CREATE TABLE hist_users (
  id integer PRIMARY KEY,
  user_id integer, name text, domain_name text, email text, system_user_id integer,
  system_admin_level integer, hist_licensing_role_id integer, site_admin_level integer,
  publisher_tristate integer, site_role_id integer
);

CREATE TABLE hist_sites (id integer PRIMARY KEY, site_id integer, name text, url_namespace text);
CREATE TABLE hist_projects (id integer PRIMARY KEY, project_id integer, name text);
CREATE TABLE hist_workbooks (
  id integer PRIMARY KEY, workbook_id integer, name text, repository_url text, size bigint,
  revision text
);
CREATE TABLE hist_views (
  id integer PRIMARY KEY, view_id integer, name text, repository_url text, revision text
);
CREATE TABLE hist_datasources (
  id integer PRIMARY KEY, datasource_id integer, name text, repository_url text, size bigint,
  revision text, using_remote_query_agent boolean, remote_query_agent_name text,
  is_certified boolean, certification_note text
);

CREATE TABLE background_jobs (
  id integer PRIMARY KEY,
  job_type varchar, progress integer, args text, notes text, updated_at timestamp,
  created_at timestamp, completed_at timestamp, started_at timestamp, job_name varchar,
  finish_code integer, priority integer, title varchar, created_on_worker varchar,
  processed_on_worker varchar, link text, lock_version integer, backgrounder_id varchar,
  serial_collection_id integer, site_id integer, subtitle varchar, language varchar,
  locale varchar, correlation_id integer, attempts_remaining integer, luid uuid,
  job_rank bigint, queue_id integer, overflow boolean, promoted_at timestamp,
  task_id integer, run_now boolean, creator_id integer, queue_type integer,
  scheduled_start timestamp
);

-- Live sessions only; `data` was dropped in 2023.1.
CREATE TABLE sessions (
  id integer PRIMARY KEY,
  session_id varchar, updated_at timestamp, user_id integer, shared_wg_write text,
  shared_vizql_write text, site_id integer, created_at timestamp, lock_version integer,
  salt varchar, hashed_secret varchar, oauth_state text, initiating_user_id integer,
  external_user_id varchar
);
