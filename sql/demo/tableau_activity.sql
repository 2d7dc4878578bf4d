-- Activity of the demo repository: http_requests, historical_events, background_jobs,
-- sessions. Requires tableau_schema.sql and tableau_data.sql (helpers and entities);
-- usagelake_demo_generate() at the end is the entry point (see load.sql).

-- n rows of http_requests over `days` days from first_day 00:00 UTC (naive, like Tableau).
CREATE OR REPLACE FUNCTION usagelake_demo_requests(n bigint, first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  -- 2^31 - 1000: ids cross the int4 range after the first 999 rows, as on servers whose
  -- id column was widened in 2022.2 (reference §6b.5).
  id_base constant bigint := 2147482648;
  agents constant text[] := ARRAY[
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0 (usagelake demo; corp proxy)',
    'Tableau/2025.3 (iPad; iOS 18.6; Scale/2.00) TableauMobile/25.9.1 (com.tableausoftware.tableaumobile; build 4102)'];
  commands constant text[] := ARRAY['tabdoc/select', 'tabdoc/categorical-filter', 'tabdoc/set-parameter-value',
    'tabdoc/get-underlying-data', 'tabdoc/get-summary-data', 'tabsrv/refresh-data-server',
    'tabsrv/pdf-export-server', 'tabdoc/render-tooltip-server'];
  n_pool int;
BEGIN
  -- Requested content: every sheet, deleted ones included (they were viewed before
  -- deletion). Low k is popular: k = n·u^1.7 below gives the top sheet ~5% of requests
  -- and a long tail.
  CREATE TEMP TABLE demo_pool ON COMMIT DROP AS
  SELECT (row_number() OVER (ORDER BY (v.id * 37) % 101, v.id) - 1)::int AS k, v.site_id, s.url_namespace AS ns,
    w.url AS wb, w.name AS wb_name, split_part(v.repository_url, '/sheets/', 2) AS sheet, v.name AS sheet_name,
    (SELECT count(*) FROM users u WHERE u.site_id = v.site_id) AS n_site
  FROM demo_views v JOIN demo_workbooks w ON w.id = v.workbook_id JOIN sites s ON s.id = v.site_id;
  n_pool := (SELECT count(*) FROM demo_pool);
  -- Published data sources per site: a request opens one of its own site's sources (a
  -- site-3 source URL in a site-1 request would be a cross-site reference no server makes).
  CREATE TEMP TABLE demo_site_ds ON COMMIT DROP AS
  SELECT site_id, array_agg(repository_url ORDER BY id) AS urls
  FROM datasources WHERE parent_workbook_id IS NULL GROUP BY site_id;

  CREATE TEMP TABLE demo_actor ON COMMIT DROP AS
  SELECT u.site_id, (row_number() OVER (PARTITION BY u.site_id ORDER BY u.id) - 1)::int AS k, u.id AS user_id,
    su.name AS login, count(*) OVER (PARTITION BY u.site_id) AS n_site,
    (SELECT h.id FROM hist_users h WHERE h.user_id = u.id) AS hist_user_id
  FROM users u JOIN system_users su ON su.id = u.system_user_id;
  -- Temp tables have no statistics; without them the planner picks a merge join that
  -- rescans the 100k generated rows dozens of times.
  ANALYZE demo_pool;
  ANALYZE demo_actor;

  INSERT INTO http_requests (id, controller, action, http_referer, http_user_agent, http_request_uri, remote_ip,
    created_at, session_id, completed_at, port, user_id, worker, status, user_cookie, user_ip, vizql_session,
    site_id, currentsheet, flags_used)
  SELECT id_base + i, x.controller, x.action,
    CASE WHEN y.is_vizql THEN 'https://tableau.example.com/#' || pre || '/views/' || p.wb || '/' || p.sheet END,
    agents[1 + usagelake_demo_pick(a.user_id, 60, 6)],
    x.uri, ip, created_at, CASE WHEN y.user_id IS NOT NULL THEN md5(a.user_id || '/' || created_at::date) END,
    CASE WHEN usagelake_demo_pick(i, 6, 1000) >= 2
      THEN created_at + make_interval(secs => x.base_ms * (1 + 20 * power(usagelake_demo_pick(i, 7, 1000) / 1000.0, 4)) / 1000.0) END,
    8000 + (i % 3)::int, y.user_id, 'tableau-node' || (1 + i % 2), status,
    CASE WHEN i % 3 = 0 THEN md5('cookie' || a.user_id) END,
    CASE WHEN usagelake_demo_pick(i, 8, 100) < 3 THEN '203.0.113.' || (i % 250) || ', ' || ip ELSE ip END,
    CASE WHEN y.is_vizql THEN vs END, p.site_id, x.currentsheet,
    CASE WHEN y.is_vizql THEN usagelake_demo_pick(i, 9, 1048576) END
  FROM (SELECT i, usagelake_demo_pick(i, 1, 1000) AS kind, usagelake_demo_pick(i, 4, 1000) AS who,
      floor(n_pool * power(usagelake_demo_pick(i, 3, 1000000) / 1e6, 1.7))::int AS vk,
      usagelake_demo_pick(i, 5, 1000000) AS ur,
      CASE WHEN usagelake_demo_pick(i, 2, 1000) < 920 THEN 200 WHEN usagelake_demo_pick(i, 2, 1000) < 950 THEN 302
        WHEN usagelake_demo_pick(i, 2, 1000) < 980 THEN 404 WHEN usagelake_demo_pick(i, 2, 1000) < 990 THEN 500
        ELSE 401 END AS status,
      -- A few rows got their id early but committed late: created_at out of id order.
      usagelake_demo_instant(i, n, first_day, days)
        + CASE WHEN usagelake_demo_pick(i, 10, 1000) = 0 THEN make_interval(secs => 2 + i % 28) ELSE interval '0' END
        AS created_at
    FROM generate_series(1::bigint, n) i
    OFFSET 0) r  -- a fence: computed once per row, not once per reference above
  JOIN demo_pool p ON p.k = r.vk
  JOIN demo_actor a ON a.site_id = p.site_id AND a.k = r.ur % p.n_site
  JOIN demo_site_ds sd ON sd.site_id = p.site_id
  CROSS JOIN LATERAL (SELECT CASE WHEN p.ns = '' THEN '' ELSE '/t/' || p.ns END AS pre,
    '10.' || (20 + a.user_id % 8) || '.' || (a.user_id * 7 % 250) || '.' || (1 + a.user_id % 200) AS ip,
    upper(md5(a.user_id || p.wb || date_trunc('hour', r.created_at))) || '-1:0' AS vs,
    sd.urls[1 + r.i % cardinality(sd.urls)] AS ds OFFSET 0) c
  CROSS JOIN LATERAL (SELECT '/vizql' || c.pre || '/w/' || p.wb || '/v/' || p.sheet AS vizql_base,
    p.wb || '/' || p.sheet AS sheet_ref, c.pre || '/views/' || p.wb || '/' || p.sheet AS views_base) b
  CROSS JOIN LATERAL (SELECT
    -- Unauthenticated requests (login pages) carry no user; of the rest ~1% NULL, ~1% 0.
    CASE WHEN r.kind BETWEEN 860 AND 899 OR r.who < 10 THEN NULL WHEN r.who < 20 THEN 0 ELSE a.user_id END AS user_id,
    r.kind < 740 OR r.kind BETWEEN 930 AND 959 OR r.kind >= 975 AS is_vizql) y
  CROSS JOIN LATERAL (SELECT
    CASE WHEN r.kind < 180 THEN 'vizql' WHEN r.kind < 300 THEN 'views' WHEN r.kind < 600 THEN 'vizql'
      WHEN r.kind < 680 THEN 'views' WHEN r.kind < 740 THEN 'vizql' WHEN r.kind < 800 THEN 'vizportal'
      WHEN r.kind < 830 THEN 'authoring' WHEN r.kind < 845 THEN 'askData' WHEN r.kind < 860 THEN 'offline_views'
      WHEN r.kind < 900 THEN 'auth' WHEN r.kind < 930 THEN 'views' WHEN r.kind < 960 THEN 'vizql'
      WHEN r.kind < 975 THEN 'views' ELSE 'vizql' END AS controller,
    CASE WHEN r.kind < 180 OR r.kind BETWEEN 945 AND 959 THEN 'bootstrapSession' WHEN r.kind < 300 THEN 'show'
      WHEN r.kind < 600 OR r.kind BETWEEN 930 AND 944 THEN 'sessions' WHEN r.kind < 680 THEN 'get_customized_views'
      WHEN r.kind < 740 THEN 'performPostLoadOperations'
      WHEN r.kind < 800 THEN (ARRAY['getSessionInfo', 'getViews', 'getWorkbooks', 'getServerSettingsUnauthenticated'])[1 + r.i % 4]
      WHEN r.kind < 860 THEN 'show' WHEN r.kind < 900 THEN 'create' WHEN r.kind < 930 THEN 'show'
      WHEN r.kind < 975 THEN 'viewData' WHEN r.kind < 990 THEN 'tilecache' WHEN r.kind < 995 THEN 'publish'
      ELSE 'authoringNewWorkbook' END AS action,
    CASE WHEN r.kind < 180 OR r.kind BETWEEN 945 AND 959 THEN b.vizql_base || '/bootstrapSession/sessions/' || c.vs
      WHEN r.kind < 300 THEN b.views_base || (ARRAY['', '', '', '.pdf', '.png'])[1 + r.i % 5]
        || '?:embed=y&:iid=' || (1 + r.i % 7) || '&:showVizHome=no'
      WHEN r.kind < 600 THEN b.vizql_base || '/sessions/' || c.vs || '/commands/' || commands[1 + r.i % 8]
      WHEN r.kind < 680 THEN b.views_base || '/get_customized_views?:iid=' || (1 + r.i % 4)
      WHEN r.kind < 740 THEN b.vizql_base || '/sessions/' || c.vs || '/commands/tabsrv/perform-post-load-operations'
      WHEN r.kind < 800 THEN '/vizportal/api/web/v1/' || (ARRAY['getSessionInfo', 'getViews', 'getWorkbooks',
        'getServerSettingsUnauthenticated'])[1 + r.i % 4] || '?language=en-US&t=' || (1700000000000 + r.i)
      WHEN r.kind < 830 THEN c.pre || '/authoring/' || p.wb || '/' || p.sheet || '?:embed=y&:iid=1'
      WHEN r.kind < 845 THEN c.pre || '/askData/' || c.ds || '?:origin=card_share_link&:embed=y'
      WHEN r.kind < 860 THEN c.pre || '/offline_views/' || p.wb || '/' || p.sheet || '.png?:size=1024,768'
      WHEN r.kind < 900 THEN '/auth?language=en-US&api=0.31&format=xml&client_type=tabmobile&sid=' || (r.i % 97)
      WHEN r.kind < 930 THEN b.views_base || '/' || a.login || '/My%20View%20' || (1 + r.i % 3) || '?:iid=2'
      WHEN r.kind < 945 THEN '/vizql' || c.pre || '/w/ds:' || c.ds || '/v/null/sessions/' || c.vs || '/commands/tabdoc/get-schema'
      WHEN r.kind < 960 THEN b.vizql_base || '/bootstrapSession/sessions/' || c.vs
      WHEN r.kind < 975 THEN b.views_base || '.csv?:showVizHome=no&:refresh=yes&csv=true'
      WHEN r.kind < 990 THEN b.vizql_base || '/tilecache/tile/' || (r.i % 64) || '/' || c.vs || '.png'
      WHEN r.kind < 995 THEN b.vizql_base || '/sessions/' || c.vs || '/commands/tabdoc/publish'
      ELSE '/authoringNewWorkbook/' || lower(c.vs) || '/' || c.ds END AS uri,
    -- currentsheet oddities (reference §3, §6b.2): NULL, '', a custom view's extra
    -- segments, 'ds:' prefix, a workbook name with a space, '/null'.
    CASE WHEN r.kind BETWEEN 740 AND 759 OR r.kind BETWEEN 800 AND 814 THEN ''
      WHEN r.kind BETWEEN 760 AND 829 OR r.kind BETWEEN 860 AND 899 OR r.kind BETWEEN 960 AND 974 THEN NULL
      WHEN r.kind BETWEEN 830 AND 844 OR r.kind BETWEEN 930 AND 944 THEN 'ds:' || c.ds
      WHEN r.kind BETWEEN 900 AND 929 THEN b.sheet_ref || '/' || a.login || '/My View ' || (1 + r.i % 3)
      WHEN r.kind BETWEEN 945 AND 951 THEN p.wb_name || '/' || p.sheet
      WHEN r.kind BETWEEN 952 AND 959 THEN p.wb || '/null'
      ELSE b.sheet_ref END AS currentsheet,
    CASE WHEN r.kind < 180 THEN 900 WHEN r.kind < 300 THEN 400 WHEN r.kind < 600 THEN 120 ELSE 40 END AS base_ms) x;

  -- Rows exactly at instants where naive local conversions go wrong: the DST fall-back hour
  -- of America/New_York (2026-11-01 05:30Z and 06:30Z are both 01:30 local) and of
  -- America/Los_Angeles (08:30Z, 09:30Z). Moving the last row before each instant onto it
  -- keeps created_at in id order.
  UPDATE http_requests h SET created_at = m.at
  FROM (SELECT d.at, max(r.id) AS id
    FROM unnest(ARRAY[timestamp '2026-11-01 05:30', '2026-11-01 06:30', '2026-11-01 08:30', '2026-11-01 09:30',
      '2026-03-08 06:30', '2026-03-08 07:30']) d(at)
    JOIN http_requests r ON r.created_at <= d.at
    GROUP BY d.at
    HAVING d.at < (SELECT max(created_at) FROM http_requests)) m
  WHERE h.id = m.id;
END
$fn$;

-- ~1000 audit events per day with their hist_* snapshots. Type ids come from reference §4
-- where it names them; the others (Login, Logout, deletes, refreshes, ownership) are
-- made-up ids with real names, including the real typo "Ownerhsip".
CREATE OR REPLACE FUNCTION usagelake_demo_events(first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint := 1000 * days;
BEGIN
  INSERT INTO historical_event_types (type_id, name, action_type)
  VALUES (84, 'Access View', 'Access'), (86, 'Download View', 'Access'), (87, 'Access Authoring View', 'Access'),
    (93, 'Publish Workbook', 'Publish'), (99, 'Download Workbook', 'Access'),
    (164, 'Download Workbook Revision', 'Access'), (110, 'Publish Data Source', 'Publish'),
    (112, 'Access Data Source', 'Access'), (113, 'Download Data Source', 'Access'),
    (165, 'Download Data Source Revision', 'Access'), (170, 'Access Data Source Remotely', 'Access'),
    (181, 'Publish Flow', 'Publish'), (183, 'Download Flow', 'Access'), (302, 'Download Flow Draft', 'Access'),
    (279, 'Create Metric', 'Create'), (280, 'Access Metric', 'Access'), (290, 'Access Summary Data', 'Access'),
    (291, 'Export Summary Data', 'Access'), (292, 'Access Underlying Data', 'Access'),
    (293, 'Export Underlying Data', 'Access'), (120, 'Add Comment', 'Create'),
    (42, 'Add User to Group', 'Update'), (43, 'Remove User from Group', 'Update'),
    (1, 'Login', 'Login'), (2, 'Logout', 'Logout'), (3, 'Revoke Refresh Token', 'Delete'),
    (90, 'Delete View', 'Delete'), (95, 'Delete Workbook', 'Delete'), (115, 'Delete Data Source', 'Delete'),
    (100, 'Refresh Workbook Extract', 'Update'), (101, 'Increment Workbook Extract', 'Update'),
    (116, 'Refresh Data Source Extract', 'Update'), (103, 'Change Workbook Ownership From', 'Update'),
    (104, 'Change Workbook Ownerhsip To', 'Update'), (94, 'Publish View', 'Publish'),
    (140, 'Send Subscription E-Mail For View', 'Send E-Mail'), (185, 'Run Flow', 'Run');

  INSERT INTO historical_events (id, historical_event_type_id, worker, is_failure, details, created_at,
    hist_actor_user_id, hist_target_user_id, hist_actor_site_id, hist_target_site_id, hist_project_id,
    hist_workbook_id, hist_view_id, hist_datasource_id)
  SELECT e, t.type_id, 'tableau-node' || (1 + e % 2),
    CASE WHEN t.type_id IN (100, 116) THEN usagelake_demo_pick(e, 24, 10) = 0 END,
    CASE WHEN t.type_id IN (100, 116) THEN 'Extract refresh for ' || w.name END,
    usagelake_demo_instant(e, n, first_day, days),
    -- Extract refreshes are run by the server itself: no actor.
    CASE WHEN t.type_id NOT IN (100, 116) THEN a.hist_user_id END,
    CASE WHEN t.type_id IN (42, 103, 104) THEN a2.hist_user_id END,
    10 + hv.site_id, 10 + hv.site_id, 20 + w.project_id,
    CASE WHEN t.type_id IN (84, 86, 87, 90, 93, 99, 100, 103, 104, 120, 292) THEN 300 + w.id END,
    CASE WHEN t.type_id IN (84, 86, 87, 90, 120, 292) THEN hv.id END,
    CASE WHEN t.type_id IN (110, 112, 113, 116) THEN 500 + 1 + e % 12 END
  FROM (SELECT e, usagelake_demo_pick(e, 21, 1000) AS tk,
      floor(n_views * power(usagelake_demo_pick(e, 22, 1000000) / 1e6, 2))::int AS vk,
      usagelake_demo_pick(e, 23, 1000000) AS ur
    FROM generate_series(1::bigint, n) e, (SELECT count(*) AS n_views FROM hist_views) c) r
  JOIN (SELECT (row_number() OVER (ORDER BY h.id) - 1)::int AS k, h.id, v.workbook_id, v.site_id
    FROM hist_views h JOIN demo_views v ON v.id = h.id - 1000) hv ON hv.k = r.vk
  JOIN demo_workbooks w ON w.id = hv.workbook_id
  JOIN demo_actor a ON a.site_id = hv.site_id AND a.k = r.ur % a.n_site
  JOIN demo_actor a2 ON a2.site_id = hv.site_id AND a2.k = (r.ur / 7) % a2.n_site
  CROSS JOIN LATERAL (SELECT CASE WHEN r.tk < 550 THEN 84 WHEN r.tk < 650 THEN 1 WHEN r.tk < 720 THEN 2
    WHEN r.tk < 770 THEN 87 WHEN r.tk < 800 THEN 86 WHEN r.tk < 825 THEN 93 WHEN r.tk < 850 THEN 112
    WHEN r.tk < 865 THEN 110 WHEN r.tk < 900 THEN 100 WHEN r.tk < 920 THEN 116 WHEN r.tk < 935 THEN 120
    WHEN r.tk < 950 THEN 99 WHEN r.tk < 960 THEN 113 WHEN r.tk < 970 THEN 292 WHEN r.tk < 980 THEN 42
    WHEN r.tk < 985 THEN 104 WHEN r.tk < 990 THEN 103 WHEN r.tk < 995 THEN 3 ELSE 140 END AS type_id) t;
END
$fn$;

-- ~30 background jobs per day; the newest are still running (completed_at NULL) or queued
-- (started_at NULL too), and rows keep changing until done (reference §6b.7).
CREATE OR REPLACE FUNCTION usagelake_demo_jobs(first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  n bigint := 30 * days;
BEGIN
  INSERT INTO background_jobs (id, job_type, progress, args, notes, updated_at, created_at, completed_at,
    started_at, job_name, finish_code, priority, title, created_on_worker, processed_on_worker, link,
    lock_version, backgrounder_id, serial_collection_id, site_id, subtitle, language, locale,
    correlation_id, attempts_remaining, luid, job_rank, queue_id, overflow, promoted_at, task_id, run_now,
    creator_id, queue_type, scheduled_start)
  SELECT 50000 + j, job_type, CASE WHEN is_done THEN 100 WHEN is_started THEN 40 ELSE 0 END,
    '--- - ' || job_type || E'\n- ' || (1 + j % 40), NULL, coalesce(done_at, started_at, created_at), created_at,
    done_at, started_at, job_name, CASE WHEN NOT is_done THEN NULL WHEN j % 17 = 0 THEN 1 WHEN j % 53 = 0 THEN 2 ELSE 0 END,
    50, job_name || ' for ' || (1 + j % 40), 'tableau-node1', CASE WHEN is_started THEN 'tableau-node' || (1 + j % 2) END,
    NULL, 1, CASE WHEN is_started THEN 'backgrounder-' || (j % 4) END, NULL, 1 + j % 3, NULL, 'en', 'en_US',
    j % 25, 3, usagelake_demo_uuid(j, 'job'), j, 1, false, NULL, j % 25, false, NULL, 0, created_at
  FROM (SELECT j, created_at, (ARRAY['refresh_extracts', 'increment_extracts', 'run_flow', 'single_subscription_notify',
        'sync_ad_group'])[1 + j % 5] AS job_type,
      (ARRAY['Refresh Extracts', 'Increment Extracts', 'Run Flow', 'Subscription Notifications', 'Sync AD Group'])[1 + j % 5] AS job_name,
      j <= n - 2 AS is_started, j <= n - 5 AS is_done,
      CASE WHEN j <= n - 2 THEN created_at + make_interval(secs => 2 + j % 30) END AS started_at,
      CASE WHEN j <= n - 5 THEN created_at + make_interval(secs => 35 + usagelake_demo_pick(j, 30, 900)) END AS done_at
    FROM (SELECT j, usagelake_demo_instant(j, n, first_day, days) AS created_at FROM generate_series(1::bigint, n) j) g) b;
END
$fn$;

-- Entry point: truncates and regenerates the whole demo repository.
CREATE OR REPLACE FUNCTION usagelake_demo_generate(n_requests int, first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  IF n_requests < 1 OR days < 1 THEN
    RAISE EXCEPTION 'usagelake_demo_generate: n_requests (%) and days (%) must be positive', n_requests, days;
  END IF;
  TRUNCATE http_requests, users, system_users, sites, views, workbooks, projects, datasources, extracts,
    historical_events, historical_event_types, hist_users, hist_views, hist_workbooks, hist_datasources,
    hist_sites, hist_projects, background_jobs, site_roles, projects_contents, sessions;
  PERFORM usagelake_demo_entities(first_day);
  PERFORM usagelake_demo_requests(n_requests, first_day, days);
  PERFORM usagelake_demo_events(first_day, days);
  PERFORM usagelake_demo_jobs(first_day, days);

  -- Live sessions of the last day, with fake secrets.
  INSERT INTO sessions (id, session_id, updated_at, user_id, shared_wg_write, shared_vizql_write, site_id,
    created_at, lock_version, salt, hashed_secret, oauth_state, initiating_user_id, external_user_id)
  SELECT s, md5('session' || s), first_day + days - interval '1 hour' + make_interval(mins => s), a.user_id,
    NULL, NULL, a.site_id, first_day + days - interval '3 hours' + make_interval(mins => s), 1,
    'usagelake-fake-secret-salt-' || s, 'usagelake-fake-secret-hash-' || md5('hs' || s), NULL,
    CASE WHEN s = 7 THEN (SELECT min(user_id) FROM demo_actor) ELSE a.user_id END, NULL
  FROM generate_series(1, 40) s JOIN demo_actor a ON a.site_id = 1 + s % 3 AND a.k = s % a.n_site;

  DROP TABLE demo_workbooks, demo_views, demo_pool, demo_actor, demo_site_ds;
  ANALYZE;
END
$fn$;
