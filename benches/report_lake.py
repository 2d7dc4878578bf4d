"""Generates a large lake for timing `usagelake report` (DuckDB, a few seconds per 10M rows).

Usage: report_lake.py OUT_DIR [REQUESTS] [DAYS] [USERS]
Writes OUT_DIR/pipeline.toml and, under OUT_DIR/lake/tab/, the datasets the reports read
with the lake's layout and types: requests_enriched (the columns reports and BI use; event
partitions, Timestamp(µs, UTC)), logins and usage_daily derived from it by SQL as the
pipeline derives them, and one snapshot of users, system_users, sites, site_roles, views,
workbooks. ArcGIS datasets are not generated (they are small in any real org); copy a
demo lake's arcgis_demo/ next to tab/ and add its source to the pipeline to include one.
"""
import os
import sys

import duckdb

out = sys.argv[1]
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
days = int(sys.argv[3]) if len(sys.argv) > 3 else 28
users = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
lake = f"{out}/lake/tab"
os.makedirs(lake, exist_ok=True)
with open(f"{out}/pipeline.toml", "w") as f:
    f.write(f'''time_zone = "America/New_York"

[output]
root = "lake"

[[sources]]
name = "tab"
kind = "tableau"
host = "127.0.0.1"
user = "readonly"
password_env = "UNUSED_BY_REPORTS"
''')
con = duckdb.connect()
con.execute("SET TimeZone = 'America/New_York'")
con.execute("SET preserve_insertion_order = false")
views = 600
con.execute(f"""
CREATE TABLE req AS
SELECT i AS id,
  TIMESTAMPTZ '2026-10-05 00:00:00' + to_microseconds(((hash(i) % ({days} * 86400000000)))::BIGINT) AS created_at,
  CASE WHEN hash(i, 1) % 50 = 0 THEN NULL ELSE (1 + hash(i, 2) % {users})::INTEGER END AS person,
  (1 + hash(i, 3) % 3)::INTEGER AS site_id,
  (hash(i, 4) % {views})::INTEGER AS view_no,
  CASE WHEN hash(i, 5) % 5 = 0 THEN 'bootstrapSession' ELSE 'sessions' END AS action
FROM range({requests}) t(i)""")
con.execute(f"""
COPY (
  SELECT id, 'vizql' AS controller, action, '/views/wb' || (view_no // 5) || '/s' || (view_no % 5) AS http_request_uri,
         created_at, created_at + INTERVAL 300 MILLISECOND AS completed_at, 200 AS status,
         (person * 3 + site_id)::INTEGER AS user_id, site_id, 'wb' || (view_no // 5) || '/s' || (view_no % 5) AS currentsheet,
         md5(person::VARCHAR || created_at::DATE::VARCHAR) AS session_id,
         CASE WHEN person IS NULL THEN NULL ELSE (100000 + person)::INTEGER END AS system_user_id,
         'u' || person AS user_name, 'User ' || person AS friendly_name, 'Site ' || site_id AS site_name,
         'View' AS item_type, (1000 + view_no)::INTEGER AS view_id, 's' || (view_no % 5) AS view_name,
         (500 + view_no // 5)::INTEGER AS workbook_id, 'Workbook ' || (view_no // 5) AS workbook_name,
         action = 'bootstrapSession' AS is_view_load, 300::BIGINT AS duration_ms,
         timezone('America/New_York', created_at)::DATE AS event_date
  FROM req ORDER BY created_at
) TO '{lake}/requests_enriched' (FORMAT parquet, PARTITION_BY (event_date), COMPRESSION snappy, ROW_GROUP_SIZE 1000000)""")
con.execute(f"""
COPY (
  SELECT (person * 3 + site_id)::INTEGER AS user_id, (100000 + person)::INTEGER AS system_user_id, 'u' || person AS user_name,
         'User ' || person AS friendly_name, site_id, 'Site ' || site_id AS site_name,
         min(created_at) AS first_request_at, max(created_at) AS last_request_at,
         timezone('America/New_York', min(created_at)) AS first_request_local, timezone('America/New_York', max(created_at)) AS last_request_local,
         count(*)::BIGINT AS requests, 1::BIGINT AS sessions, timezone('America/New_York', created_at)::DATE AS event_date
  FROM req WHERE person IS NOT NULL GROUP BY person, site_id, event_date
) TO '{lake}/logins' (FORMAT parquet, PARTITION_BY (event_date))""")
con.execute(f"""
COPY (
  SELECT site_id, 'Site ' || site_id AS site_name, 'View' AS item_type, 'Default' AS project_name,
         (500 + view_no // 5)::INTEGER AS workbook_id, 'Workbook ' || (view_no // 5) AS workbook_name,
         (1000 + view_no)::INTEGER AS view_id, 's' || (view_no % 5) AS view_name,
         (person * 3 + site_id)::INTEGER AS user_id, 'u' || person AS user_name,
         count(*)::BIGINT AS requests, count(*) FILTER (WHERE action = 'bootstrapSession')::BIGINT AS view_loads,
         1::BIGINT AS sessions, timezone('America/New_York', created_at)::DATE AS event_date
  FROM req GROUP BY ALL
) TO '{lake}/usage_daily' (FORMAT parquet, PARTITION_BY (event_date))""")
snap = "snapshot_date=2026-11-01"
def snapshot(name, sql):
    os.makedirs(f"{lake}/{name}/{snap}", exist_ok=True)
    con.execute(f"COPY ({sql}) TO '{lake}/{name}/{snap}/part-0.parquet' (FORMAT parquet)")
snapshot("users", f"""SELECT (p * 3 + s)::INTEGER AS id, s::INTEGER AS site_id, (100000 + p)::INTEGER AS system_user_id,
                        (p % 12)::INTEGER AS site_role_id, NULL::TIMESTAMPTZ AS login_at
                      FROM range(1, {users} + 200) a(p), range(1, 4) b(s)""")
snapshot("system_users", f"SELECT (100000 + p)::INTEGER AS id, 'u' || p AS name, 'User ' || p AS friendly_name, 'u' || p || '@example.org' AS email, 0::INTEGER AS admin_level FROM range(1, {users} + 200) a(p)")
snapshot("sites", "SELECT s::INTEGER AS id, 'Site ' || s AS name, 'site' || s AS url_namespace FROM range(1, 4) a(s)")
snapshot("site_roles", "SELECT r::INTEGER AS id, 'Role' || r AS name, 'Role ' || r AS display_name FROM range(0, 12) a(r)")
snapshot("workbooks", f"SELECT (500 + w)::INTEGER AS id, 'Workbook ' || w AS name, s::INTEGER AS site_id, false AS is_deleted, TIMESTAMPTZ '2026-01-01' AS created_at FROM range(0, {views} // 5 + 40) a(w), range(1, 4) b(s)")
snapshot("views", f"SELECT (1000 + v)::INTEGER AS id, 's' || (v % 5) AS name, (500 + v // 5)::INTEGER AS workbook_id, s::INTEGER AS site_id, false AS is_deleted, TIMESTAMPTZ '2026-01-01' AS created_at FROM range(0, {views} + 200) a(v), range(1, 4) b(s)")
print(con.execute(f"SELECT count(*) FROM read_parquet('{lake}/requests_enriched/*/*.parquet')").fetchone()[0], "requests written")
