-- Benchmark data: fills ONLY http_requests, fast, for 1M–10M+ row extract benchmarks.
-- Requires the http_requests table of sql/demo/tableau_schema.sql. Deterministic (hashes
-- of the id, no random()), but simpler than the demo generator: no joins, ~5% NULL
-- user_id, URIs 40–150 chars, user agents ~110 chars, ids 1..n.
--   SELECT usagelake_bench_generate(10000000, DATE '2026-11-01', 7);  -- replace contents
--   SELECT usagelake_bench_append(100000);   -- n more rows after the current max id/time

-- Inserts ids first_id .. first_id+n-1, `step_secs` apart from t0 (plus a diurnal wobble
-- of ±2 h that keeps created_at increasing with id). Speed: the string columns are built
-- once for a block of up to 100k distinct rows (md5/to_hex/concatenation cost ~10 µs a
-- row), then the block is repeated with only id, times and session_id recomputed.
CREATE OR REPLACE FUNCTION usagelake_bench_insert(first_id bigint, n bigint, t0 timestamp, step_secs float8)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  block constant bigint := least(n, 100000);
  wbs constant text[] := ARRAY['Superstore', 'SalesOverview', 'FinanceKPIs', 'RegionalTrends', 'ExecutiveDashboard',
    'CustomerAnalysis', 'InventoryOverview', 'MarketingTrends', 'SupportKPIs', 'VentesQubec', 'WebTraffic',
    'HRHeadcount', 'PipelineReview', 'QuotaAttainment', 'BudgetVsActual', 'ChurnRisk'];
  sheets constant text[] := ARRAY['Overview', 'ByRegion', 'Trend', 'Detail', 'Summary', 'Map', 'TopCustomers',
    'OverviewDashboard'];
  sites constant text[] := ARRAY['', '', '', 'finance', 'sales'];
  agents constant text[] := ARRAY[
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15'];
BEGIN
  -- The block (~50 MB for 100k rows) must fit one in-memory hash table: with the default
  -- 4 MB work_mem the hash join goes multi-batch, which spills the probe side by hash
  -- and emits ids out of order, so the heap is no longer in time order, unlike a real
  -- append-only log (every COPY batch then spans all 30 days).
  PERFORM set_config('work_mem', '256MB', true);
  CREATE TEMP TABLE usagelake_bench_block ON COMMIT DROP AS
  SELECT j, CASE WHEN kind < 600 THEN 'vizql' WHEN kind < 950 THEN 'views' ELSE 'auth' END AS controller,
    CASE WHEN kind < 200 THEN 'bootstrapSession' WHEN kind < 600 THEN 'sessions' WHEN kind < 950 THEN 'show' ELSE 'create' END AS action,
    agents[1 + (h >> 20 & 3)] AS http_user_agent,
    CASE WHEN kind < 200 THEN vizql || '/bootstrapSession/sessions/' || vs
      WHEN kind < 600 THEN vizql || '/sessions/' || vs || '/commands/tabdoc/select'
      WHEN kind < 950 THEN pre || '/views/' || wb || '/' || sheet || '?:embed=y&:iid=' || (h >> 44 & 7) || '&:showVizHome=no'
      ELSE '/auth?language=en-US&api=0.31&format=xml&client_type=tabmobile' END AS http_request_uri,
    ip AS remote_ip, make_interval(secs => 0.02 + (h >> 48 & 1023) / 300.0) AS duration, user_id,
    CASE WHEN h >> 52 & 63 = 0 THEN 500 WHEN h >> 52 & 63 < 3 THEN 404 ELSE 200 END AS status,
    CASE WHEN h >> 58 & 31 = 0 THEN '203.0.113.9, ' || ip ELSE ip END AS user_ip,
    CASE WHEN kind < 600 THEN vs END AS vizql_session, 1 + (h >> 14 & 7) % 5 AS site_id,
    CASE WHEN kind < 950 THEN wb || '/' || sheet END AS currentsheet, CASE WHEN kind < 600 THEN h >> 40 & 65535 END AS flags_used
  FROM (SELECT j, h, kind, wb, sheet, pre, user_id, '/vizql' || pre || '/w/' || wb || '/v/' || sheet AS vizql,
      upper(to_hex(hashint8extended(j / 40, 7))) || upper(to_hex(h >> 4)) || '-1:0' AS vs,
      '10.20.' || coalesce(user_id, 0) || '.' || (1 + (h >> 36 & 127)) AS ip
    FROM (SELECT j, h, (h & 1023) % 1000 AS kind, wbs[1 + (h >> 10 & 15)] AS wb, sheets[1 + (h >> 24 & 7)] AS sheet,
        CASE WHEN sites[1 + (h >> 14 & 7) % 5] = '' THEN '' ELSE '/t/' || sites[1 + (h >> 14 & 7) % 5] END AS pre,
        CASE WHEN (h >> 30 & 1023) < 51 THEN NULL ELSE (1 + (h >> 40 & 255))::int END AS user_id
      FROM (SELECT j, hashint8extended(j, 0) AS h FROM generate_series(0::bigint, block - 1) j) g) s) r;
  ANALYZE usagelake_bench_block;

  INSERT INTO http_requests (id, controller, action, http_referer, http_user_agent, http_request_uri, remote_ip,
    created_at, session_id, completed_at, port, user_id, worker, status, user_cookie, user_ip, vizql_session,
    site_id, currentsheet, flags_used)
  SELECT t.id, b.controller, b.action, NULL, b.http_user_agent, b.http_request_uri, b.remote_ip, t.created_at,
    CASE WHEN b.user_id IS NOT NULL THEN to_hex(hashint8extended(b.user_id * 100000 + t.day, 5)) END,
    t.created_at + b.duration, 8000 + (t.id % 3)::int, b.user_id, 'tableau-node' || (1 + t.id % 2), b.status, NULL,
    b.user_ip, b.vizql_session, b.site_id, b.currentsheet, b.flags_used
  FROM (SELECT first_id + i AS id, i % block AS j, (step_secs * i / 86400)::bigint AS day,
      t0 + make_interval(secs => step_secs * i + 7200 * sin(2 * pi() * step_secs * i / 86400)) AS created_at
    FROM generate_series(0::bigint, n - 1) i) t
  JOIN usagelake_bench_block b ON b.j = t.j;
  DROP TABLE usagelake_bench_block;
END
$fn$;

-- Replaces the contents of http_requests with n rows over `days` days from first_day.
-- TRUNCATE and INSERT in one transaction: with wal_level=minimal (the private cluster's
-- fast_unsafe mode) PostgreSQL then skips WAL for the whole load. The primary key is
-- rebuilt once at the end (a sorted build is ~25% faster than 10M index inserts).
CREATE OR REPLACE FUNCTION usagelake_bench_generate(n bigint, first_day date, days int) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  pk name := (SELECT conname FROM pg_constraint WHERE conrelid = 'http_requests'::regclass AND contype = 'p');
BEGIN
  IF n < 1 OR days < 1 THEN
    RAISE EXCEPTION 'usagelake_bench_generate: n (%) and days (%) must be positive', n, days;
  END IF;
  TRUNCATE http_requests;
  IF pk IS NOT NULL THEN
    EXECUTE format('ALTER TABLE http_requests DROP CONSTRAINT %I', pk);
  END IF;
  PERFORM usagelake_bench_insert(1, n, first_day::timestamp, days * 86400.0 / n);
  PERFORM set_config('maintenance_work_mem', '512MB', true);
  EXECUTE format('ALTER TABLE http_requests ADD CONSTRAINT %I PRIMARY KEY (id)', coalesce(pk, 'http_requests_pkey'));
  ANALYZE http_requests;
END
$fn$;

-- Appends n rows after the current max id and time, at the table's average rate: the
-- shape of a daily incremental run. Reads only the two ends of the primary key index.
CREATE OR REPLACE FUNCTION usagelake_bench_append(n bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  lo http_requests%ROWTYPE;
  hi http_requests%ROWTYPE;
BEGIN
  SELECT * INTO lo FROM http_requests ORDER BY id LIMIT 1;
  SELECT * INTO hi FROM http_requests ORDER BY id DESC LIMIT 1;
  IF hi.id IS NULL THEN
    RAISE EXCEPTION 'usagelake_bench_append: http_requests is empty; run usagelake_bench_generate first';
  END IF;
  PERFORM usagelake_bench_insert(hi.id + 1, n, hi.created_at + interval '1 second',
    greatest(extract(epoch FROM hi.created_at - lo.created_at)::float8 / greatest(hi.id - lo.id, 1), 0.001));
END
$fn$;
