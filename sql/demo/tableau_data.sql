-- Deterministic Tableau-like repository content for the demo, tests and benchmarks.
-- Requires tableau_schema.sql. Defines usagelake_demo_generate(n_requests, first_day,
-- days), which truncates and refills every table. No random(): every value derives from
-- hashint8extended()/md5() of a row number and a per-column salt, so two runs on any
-- PostgreSQL >= 11 produce identical rows and ids.
-- The data carries the oddities of reference §6(b): NULL/0 user_id, messy currentsheet,
-- one repository_url in two sites, deleted and renamed views, unfinished jobs, int8 ids
-- crossing the int4 range, late-committed rows, non-ASCII names.
-- Every secret column holds a value containing 'usagelake-fake-secret' so tests can
-- grep the output for it.

-- Uniform pick in [0, m) from row number k and a salt naming the column.
CREATE OR REPLACE FUNCTION usagelake_demo_pick(k bigint, salt bigint, m bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT abs(hashint8extended(k, salt) % m) $$;

CREATE OR REPLACE FUNCTION usagelake_demo_uuid(k bigint, salt text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT md5(salt || ':' || k)::uuid $$;

-- Timestamp of row i of n spread over `days` days. pos is "days since first_day";
-- warping it by + a/(2π)·sin(2π·pos), a = 0.6, keeps it monotonic in i (ids grow with
-- time) while making rows 4x denser around 12:00 UTC than around midnight: a diurnal shape.
CREATE OR REPLACE FUNCTION usagelake_demo_instant(i bigint, n bigint, first_day date, days int)
RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT first_day + make_interval(secs => 86400.0 * (
    (i - 1)::float8 * days / n + 0.6 / (2 * pi()) * sin(2 * pi() * (i - 1)::float8 * days / n)))
$$;

-- Tableau derives URLs from names by dropping everything but ASCII letters and digits.
CREATE OR REPLACE FUNCTION usagelake_demo_url(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace(name, '[^A-Za-z0-9]', '', 'g') $$;

CREATE OR REPLACE FUNCTION usagelake_demo_entities(first_day date) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  t0 date := first_day - 400;   -- content was created well before the request window
BEGIN
  INSERT INTO sites (id, name, url_namespace, status, status_reason, created_at, updated_at, luid,
    content_admin_mode, storage_quota, lock_version, time_zone, is_recycle_bin_enabled,
    recycle_bin_content_lifespan, subscriptions_enabled, guest_access_enabled, commenting_enabled,
    authoring_disabled, metrics_enabled, start_page_uri, ask_data_mode, flows_enabled)
  SELECT id, name, ns, 'active', NULL, t0 - 900 + id, t0 + id, usagelake_demo_uuid(id, 'site'), 1,
    CASE id WHEN 1 THEN NULL ELSE 102400 END, 3, tz, true, 30, true, false, id <> 3, false, true,
    NULL, 'disabled_by_default', id = 1
  FROM (VALUES (1, 'Default', '', 'America/Los_Angeles'), (2, 'Finance', 'finance', 'UTC'),
               (3, 'Sales', 'sales', 'Europe/Paris')) AS s(id, name, ns, tz);

  INSERT INTO site_roles (id, name, licensing_rank, display_name)
  SELECT id - 1, name, CASE WHEN id - 1 IN (0, 2, 10, 11) THEN 30 WHEN id - 1 IN (3, 4) THEN 20 ELSE 10 END,
    regexp_replace(name, '([a-z])([A-Z])', '\1 \2', 'g')
  FROM unnest(ARRAY['SiteAdministrator', 'SupportUser', 'Publisher', 'Interactor', 'ViewerWithPublish',
    'Viewer', 'UnlicensedWithPublish', 'Guest', 'Unlicensed', 'BasicUser', 'Creator',
    'SiteAdministratorCreator']) WITH ORDINALITY AS r(name, id);

  -- 80 identities; id 1 is the server admin.
  INSERT INTO system_users (id, name, email, hashed_password, salt, keychain, domain_id, friendly_name,
    custom_display_name, state, admin_level, created_at, updated_at, auth_user_id, asset_key_id,
    lock_version, last_password_update, force_password_update, protected_password,
    last_failed_login, failed_login_attempts, protected_password_bad_format, user_management_version)
  SELECT id, login, login || '@example.com',
    'usagelake-fake-secret-hash-' || md5('pw' || id), 'usagelake-fake-secret-salt-' || id,
    'usagelake-fake-secret-keychain-' || md5('kc' || id), 1, friendly, false, 'active',
    CASE WHEN id = 1 THEN 10 ELSE 0 END, t0 + id, t0 + 200 + id, md5('auth' || id), NULL, 1,
    t0 + 100, false, 'usagelake-fake-secret-pp-' || md5('pp' || id),
    CASE WHEN id % 9 = 0 THEN t0 + 300 END, (id % 9 = 0)::int, false, 1
  FROM (SELECT id,
      CASE WHEN id = 1 THEN 'admin' ELSE lower(left(f, 1) || l) || CASE WHEN id > 40 THEN id::text ELSE '' END END AS login,
      CASE WHEN id = 1 THEN 'Server Admin' ELSE f || ' ' || l END AS friendly
    FROM (SELECT id,
        (ARRAY['Ana', 'Ben', 'Chloé', 'Dev', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon'])[1 + id % 10] AS f,
        (ARRAY['Smith', 'Garcia', 'Müller', 'Nguyen', 'Okafor', 'Rossi', 'Kowalski', 'Tanaka'])[1 + (id / 10) % 8] AS l
      FROM generate_series(1, 80) AS id) n) u;

  -- Memberships: everyone in Default, a third in Finance, a quarter in Sales. users.id is
  -- shifted against system_users.id so joining the two id spaces by mistake gives wrong names.
  INSERT INTO users (id, login_at, created_at, updated_at, site_id, system_user_id, system_admin_auto,
    luid, lock_version, site_role_id, user_management_version)
  SELECT 7 + row_number() OVER (ORDER BY site_id, su), first_day - usagelake_demo_pick(su, site_id, 30)::int + time '08:00' + make_interval(secs => usagelake_demo_pick(su, 31, 36000)),
    t0 + su + site_id, t0 + 250 + su, site_id, su, site_id = 3 AND su = 1,
    usagelake_demo_uuid(su * 10 + site_id, 'user'), 1,
    CASE WHEN su = 1 THEN 11 ELSE (ARRAY[10, 10, 11, 3, 3, 4, 5, 5, 5, 8, 9, 2])[1 + usagelake_demo_pick(su, 40 + site_id, 12)] END, 1
  FROM (SELECT 1 AS site_id, su FROM generate_series(1, 80) su
        UNION ALL SELECT 2, su FROM generate_series(1, 80) su WHERE su % 3 = 1
        UNION ALL SELECT 3, su FROM generate_series(1, 80) su WHERE su % 4 = 1) m;

  -- Per site: a special 'Default' project plus three, one of them nested.
  INSERT INTO projects (id, name, owner_id, created_at, updated_at, state, description, site_id, special,
    luid, controlled_permissions_enabled, parent_project_id, admin_insights_enabled,
    nested_projects_permissions_included, controlling_permissions_project_id, lower_name)
  SELECT id, name, (SELECT min(u.id) FROM users u WHERE u.site_id = p.site_id), t0 + id, t0 + 10 + id, 'active',
    '', site_id, CASE WHEN k = 1 THEN 1 END, usagelake_demo_uuid(id, 'project'), false,
    CASE WHEN k = 4 THEN id - 1 END, false, true, CASE WHEN k = 4 THEN id - 1 ELSE id END, lower(name)
  FROM (SELECT (s - 1) * 4 + k AS id, s AS site_id, k,
      (ARRAY['Default', 'Operations', 'Analytics', 'Analytics Sandbox'])[k] AS name
    FROM generate_series(1, 3) s, generate_series(1, 4) k) p;

  -- 40 workbooks: 22 in Default, 9 in Finance, 9 in Sales. Workbook 32 (Sales) has the same
  -- name and URL as workbook 1 (Default): repository_url is unique only per site.
  CREATE TEMP TABLE demo_workbooks ON COMMIT DROP AS
  SELECT id, site_id, name, usagelake_demo_url(name) AS url, (site_id - 1) * 4 + 2 + id % 3 AS project_id,
    2 + usagelake_demo_pick(id, 50, 5)::int AS n_sheets
  FROM (SELECT id, CASE WHEN id <= 22 THEN 1 WHEN id <= 31 THEN 2 ELSE 3 END AS site_id,
      CASE id WHEN 1 THEN 'Superstore' WHEN 32 THEN 'Superstore' WHEN 25 THEN 'Ventes Québec'
        ELSE (ARRAY['Sales', 'Finance', 'Regional', 'Executive', 'Customer', 'Inventory', 'Marketing',
          'Support'])[1 + (id - 1) % 8] || ' '
          || (ARRAY['Overview', 'Dashboard', 'Trends', 'KPIs', 'Analysis'])[1 + (id - 1) / 8] END AS name
    FROM generate_series(1, 40) id) w;

  -- Sheets; the last sheet of every 9th workbook was deleted (kept in hist_views only).
  CREATE TEMP TABLE demo_views ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY w.id, ix)::int AS id, w.id AS workbook_id, w.site_id, ix,
    sheet AS name, w.url || '/sheets/' || usagelake_demo_url(sheet) AS repository_url,
    (w.id % 9 = 0 AND ix = w.n_sheets) AS is_gone
  FROM demo_workbooks w, generate_series(1, w.n_sheets) ix,
    LATERAL (SELECT (ARRAY['Overview', 'By Region', 'Trend', 'Detail', 'Summary', 'Map', 'Top Customers'])[ix]
      || CASE WHEN ix = 1 AND w.id % 4 = 0 THEN ' Dashboard' ELSE '' END AS sheet) s;

  INSERT INTO workbooks (id, name, repository_url, description, created_at, updated_at, owner_id, project_id,
    view_count, size, embedded, thumb_user, refreshable_extracts, extracts_refreshed_at, lock_version,
    state, display_tabs, data_engine_extracts, incrementable_extracts, site_id, revision,
    first_published_at, show_toolbar, default_view_index, luid, asset_key_id, document_version,
    content_version, last_published_at, published_all_sheets, extract_encryption_state,
    extract_creation_pending, is_deleted, is_private, parent_workbook_id, modified_by_user_id,
    extract_storage_format)
  SELECT w.id, w.name, w.url, '', t0 + 20 + w.id, first_day - 3 - w.id % 20, o.id, w.project_id,
    (SELECT count(*) FROM demo_views v WHERE v.workbook_id = w.id AND NOT v.is_gone), 20000 + w.id * 7919,
    'usagelake-fake-secret-embedded-' || md5('wb' || w.id), NULL, w.id % 3 = 0,
    CASE WHEN w.id % 3 = 0 THEN first_day - 1 END, 1, 'active', true, w.id % 3 = 0, false, w.site_id,
    '1.' || (w.id % 5), t0 + 20 + w.id, true, 0, usagelake_demo_uuid(w.id, 'wb'), NULL, '18.1',
    1 + w.id % 5, CASE WHEN w.id % 10 <> 7 THEN first_day - 3 - w.id % 20 END, true, 0, 0,
    w.id = 40, false, NULL, o.id, 1
  FROM demo_workbooks w
  JOIN LATERAL (SELECT u.id FROM users u WHERE u.site_id = w.site_id
    ORDER BY u.id OFFSET usagelake_demo_pick(w.id, 51, 8) LIMIT 1) o ON true;

  INSERT INTO views (id, name, repository_url, description, created_at, locked, published, read_count,
    edit_count, datasource_id, workbook_id, "index", updated_at, owner_id, fields, title, caption,
    sheet_id, state, sheettype, site_id, first_published_at, revision, luid, thumbnail_id, is_deleted)
  SELECT v.id, CASE WHEN v.id = 3 THEN 'Executive ' || v.name ELSE v.name END, v.repository_url, '',
    wb.created_at, false, true, 0, 0, NULL, v.workbook_id, v.ix, wb.updated_at, wb.owner_id,
    'SUM(Sales), Region', '', NULL, v.name,
    'active', CASE WHEN v.name LIKE '%Dashboard' THEN 'dashboard' WHEN v.ix = 7 THEN 'story' ELSE 'view' END,
    v.site_id, wb.first_published_at, wb.revision, usagelake_demo_uuid(v.id, 'view'),
    md5('thumb' || v.id), v.id = 10
  FROM demo_views v JOIN workbooks wb ON wb.id = v.workbook_id
  WHERE NOT v.is_gone;

  -- Published sources (two per site, plus extras in Default) and embedded sources in every
  -- other workbook: the table mixes both (reference §6b.9).
  INSERT INTO datasources (id, name, repository_url, owner_id, created_at, updated_at, project_id, size,
    lock_version, state, db_class, db_name, table_name, site_id, revision, embedded,
    incrementable_extracts, refreshable_extracts, data_engine_extracts, extracts_refreshed_at,
    first_published_at, luid, description, content_version, parent_workbook_id, last_published_at,
    connectable, is_hierarchical, extract_encryption_state, parent_type, is_certified,
    certification_note, certifier_user_id, modified_by_user_id, ask_data_indexing_new)
  SELECT id, name, usagelake_demo_url(name) || CASE WHEN wb IS NULL THEN '' ELSE '_' || wb END,
    (SELECT min(u.id) FROM users u WHERE u.site_id = d.site_id), t0 + 15 + id, first_day - 2 - id % 9,
    (site_id - 1) * 4 + 2, 5000 + id * 104729, 1, 'active',
    (ARRAY['postgres', 'sqlserver', 'snowflake', 'excel-direct'])[1 + id % 4], 'warehouse',
    '[dbo].[' || usagelake_demo_url(name) || ']', site_id, '1.0',
    'usagelake-fake-secret-embedded-' || md5('ds' || id), false, id % 2 = 1, id % 2 = 1,
    CASE WHEN id % 2 = 1 THEN first_day - 1 END, t0 + 15 + id, usagelake_demo_uuid(id, 'ds'), '', 1,
    wb, first_day - 2 - id % 9, wb IS NULL, false, 0, CASE WHEN wb IS NOT NULL THEN 'workbook' END,
    wb IS NULL AND id % 3 = 0, NULL, NULL, NULL, false
  FROM (SELECT id::int AS id, CASE WHEN id <= 6 THEN 1 WHEN id <= 9 THEN 2 ELSE 3 END AS site_id, name, NULL::int AS wb
      FROM unnest(ARRAY['Superstore Sales', 'HR Headcount', 'Web Traffic', 'Support Tickets', 'Inventory Levels',
        'Marketing Spend', 'General Ledger', 'Budget 2026', 'Accounts Payable', 'Pipeline', 'Quotas',
        'Territories']) WITH ORDINALITY AS p(name, id)
    UNION ALL
    SELECT 100 + w.id, w.site_id, 'Orders (' || w.name || ')', w.id
      FROM demo_workbooks w WHERE w.id % 2 = 0) d;

  INSERT INTO extracts (id, workbook_id, descriptor, created_at, updated_at, datasource_id, encryption_key_id,
    site_id, size)
  SELECT row_number() OVER (ORDER BY wb, ds), wb, usagelake_demo_uuid(coalesce(wb, 0) * 1000 + coalesce(ds, 0), 'extract')::text,
    first_day - 30, first_day - 1, ds, NULL, site_id, 1000000 + coalesce(wb, ds) * 31
  FROM (SELECT id AS wb, NULL::int AS ds, site_id FROM workbooks WHERE refreshable_extracts
    UNION ALL SELECT NULL, id, site_id FROM datasources WHERE refreshable_extracts AND parent_workbook_id IS NULL) e;

  INSERT INTO projects_contents (id, project_id, site_id, content_id, content_type)
  SELECT row_number() OVER (ORDER BY content_type DESC, content_id), project_id, site_id, content_id, content_type
  FROM (SELECT project_id, site_id, id AS content_id, 'workbook' AS content_type FROM workbooks
    UNION ALL SELECT project_id, site_id, id, 'datasource' FROM datasources WHERE parent_workbook_id IS NULL) c;

  -- hist_*: one snapshot per entity; hist ids are their own id space. Deleted content keeps
  -- its hist row with X_id NULL; live views whose id is divisible by 11 have no hist row
  -- (TSI: "not all views records have a hist_views record"); view 3 was renamed since.
  INSERT INTO hist_sites (id, site_id, name, url_namespace)
  SELECT 10 + id, id, name, url_namespace FROM sites;
  INSERT INTO hist_projects (id, project_id, name) SELECT 20 + id, id, name FROM projects;
  INSERT INTO hist_workbooks (id, workbook_id, name, repository_url, size, revision)
  SELECT 300 + id, id, name, repository_url, size, revision FROM workbooks;
  INSERT INTO hist_datasources (id, datasource_id, name, repository_url, size, revision, using_remote_query_agent,
    remote_query_agent_name, is_certified, certification_note)
  SELECT 500 + id, id, name, repository_url, size, revision, false, NULL, is_certified, NULL FROM datasources;
  INSERT INTO hist_views (id, view_id, name, repository_url, revision)
  SELECT 1000 + v.id, CASE WHEN v.is_gone THEN NULL ELSE v.id END,
    v.name, v.repository_url, '1.0'
  FROM demo_views v WHERE v.is_gone OR v.id % 11 <> 0;
  INSERT INTO hist_users (id, user_id, name, domain_name, email, system_user_id, system_admin_level,
    hist_licensing_role_id, site_admin_level, publisher_tristate, site_role_id)
  SELECT 2000 + row_number() OVER (ORDER BY su.id, u.site_id), u.id, su.name, 'local', su.email, su.id,
    su.admin_level, NULL::int, CASE WHEN u.site_role_id IN (0, 11) THEN 5 ELSE 0 END, 0, u.site_role_id
  FROM users u JOIN system_users su ON su.id = u.system_user_id
  UNION ALL SELECT 2900 + k, NULL, 'former.employee' || k, 'local', NULL, NULL, 0, NULL, 0, 0, 5
  FROM generate_series(1, 2) k;
END
$fn$;
