"""Expected answers of `usagelake report …`, computed independently with DuckDB SQL over
the lake's Parquet files (not with usagelake's code).

Usage: report_expect.py LAKE_ROOT TIME_ZONE REPORT [--from D] [--to D] [--by P]
       [--days N] [--as-of D] [--source S] [--site S] [--user U] [--hours N] [--windows N] [--at SLOT]
Prints {"section": [row, ...], ...} with the same column names and value formats as
`--format json` (local times as 'YYYY-MM-DD HH:MM:SS', dates as 'YYYY-MM-DD').
Sources are fixed by the test lake: Tableau `tab`, ArcGIS `agol`.
"""
import argparse
import json
import sys

import duckdb

p = argparse.ArgumentParser()
p.add_argument("root")
p.add_argument("tz")
p.add_argument("report")
for name in ["from", "to", "by", "days", "as-of", "source", "site", "user", "hours", "windows", "at"]:
    p.add_argument("--" + name)
a = p.parse_args()
root, tz = a.root, a.tz
con = duckdb.connect()
con.execute(f"SET TimeZone = '{tz}'")


def scan(source, dataset):
    return f"read_parquet('{root}/{source}/{dataset}/*/*.parquet', hive_partitioning = true, union_by_name = true)"


def local(expr):
    return f"strftime(timezone('{tz}', {expr}), '%Y-%m-%d %H:%M:%S')"


def rows(sql, params=()):
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for r in cur.fetchall():
        out.append({n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in zip(names, r)})
    return out


def snapshot(source, dataset, day):
    """The snapshot_date in force on `day`: latest <= day, else the earliest."""
    dates = [r[0] for r in con.execute(
        f"SELECT DISTINCT snapshot_date FROM {scan(source, dataset)} ORDER BY 1").fetchall()]
    before = [d for d in dates if d.isoformat() <= day]
    chosen = before[-1] if before else dates[0]
    return f"(SELECT * FROM {scan(source, dataset)} WHERE snapshot_date = DATE '{chosen.isoformat()}')"


TAB_PERSON = "CASE WHEN system_user_id IS NOT NULL THEN 's' || system_user_id ELSE 'u' || coalesce(site_id, -1) || ':' || user_id END"
PLATFORM_ORDER = {"tableau": 0, "arcgis": 1}


def adoption():
    trunc = {"day": "d", "week": "date_trunc('week', d)::DATE", "month": "date_trunc('month', d)::DATE"}[a.by]
    sql = f"""
    WITH tab AS (
      SELECT event_date AS d, {TAB_PERSON} AS person, coalesce(site_name, 'site ' || coalesce(site_id, -1)) AS site
      FROM {scan('tab', 'logins')}
      WHERE user_id IS NOT NULL AND user_id <> 0 AND event_date BETWEEN ? AND ?),
    gis AS (
      SELECT event_date AS d, username AS person FROM {scan('agol', 'logins')} WHERE event_date BETWEEN ? AND ?
      UNION ALL
      SELECT event_date, actor FROM {scan('agol', 'history')} WHERE actor <> '' AND event_date BETWEEN ? AND ?)
    SELECT {trunc} AS period, 'tableau' AS platform, 'tab' AS source, site, count(DISTINCT person) AS active_users FROM tab GROUP BY ALL
    UNION ALL SELECT {trunc}, 'tableau', 'tab', '(all)', count(DISTINCT person) FROM tab GROUP BY ALL
    UNION ALL SELECT {trunc}, 'arcgis', 'agol', '(all)', count(DISTINCT person) FROM gis GROUP BY ALL"""
    out = rows(sql, [a.__dict__["from"], a.to] * 3)
    out.sort(key=lambda r: (r["period"], PLATFORM_ORDER[r["platform"]], r["source"], r["site"]))
    return {"adoption": out}


def inactive():
    as_of = a.as_of
    tab = rows(f"""
    WITH u AS (SELECT * FROM {snapshot('tab', 'users', as_of)}),
         su AS (SELECT * FROM {snapshot('tab', 'system_users', as_of)}),
         r AS (SELECT * FROM {snapshot('tab', 'site_roles', as_of)}),
         s AS (SELECT * FROM {snapshot('tab', 'sites', as_of)}),
         seen AS (SELECT user_id, max(last_request_at) AS last FROM {scan('tab', 'logins')}
                  WHERE event_date <= DATE '{as_of}' GROUP BY 1),
         cand AS (SELECT u.id, timezone('{tz}', seen.last) AS t FROM u JOIN seen ON seen.user_id = u.id
                  UNION ALL SELECT u.id, timezone('{tz}', u.login_at) FROM u WHERE u.login_at IS NOT NULL),
         last AS (SELECT id, max(t) AS t FROM cand WHERE t::DATE <= DATE '{as_of}' GROUP BY 1)
    SELECT 'tableau' AS platform, 'tab' AS source, coalesce(s.name, u.site_id::VARCHAR) AS site,
           coalesce(su.name, 'user ' || u.id) AS user, su.friendly_name AS full_name, su.email,
           coalesce(r.display_name, r.name, u.site_role_id::VARCHAR) AS license,
           CASE WHEN su.admin_level >= 10 THEN 'server admin' END AS role,
           strftime(last.t, '%Y-%m-%d %H:%M:%S') AS last_active,
           (DATE '{as_of}' - last.t::DATE) AS days_inactive
    FROM u LEFT JOIN su ON su.id = u.system_user_id LEFT JOIN r ON r.id = u.site_role_id
           LEFT JOIN s ON s.id = u.site_id LEFT JOIN last ON last.id = u.id""")
    gis = rows(f"""
    WITH u AS (SELECT * FROM {snapshot('agol', 'users', as_of)}),
         cand AS (SELECT username AS name, timezone('{tz}', last_login) AS t FROM {scan('agol', 'logins')} WHERE event_date <= DATE '{as_of}'
                  UNION ALL SELECT actor, timezone('{tz}', created) FROM {scan('agol', 'history')} WHERE actor <> '' AND event_date <= DATE '{as_of}'
                  UNION ALL SELECT username, timezone('{tz}', "lastLogin") FROM u WHERE "lastLogin" IS NOT NULL),
         last AS (SELECT name, max(t) AS t FROM cand WHERE t::DATE <= DATE '{as_of}' GROUP BY 1)
    SELECT 'arcgis' AS platform, 'agol' AS source, NULL AS site, u.username AS user, u."fullName" AS full_name,
           u.email, u."userLicenseTypeId" AS license, u.role,
           strftime(last.t, '%Y-%m-%d %H:%M:%S') AS last_active, (DATE '{as_of}' - last.t::DATE) AS days_inactive
    FROM u LEFT JOIN last ON last.name = u.username""")
    out = [r for r in tab + gis if r["days_inactive"] is None or r["days_inactive"] >= int(a.days)]
    if a.source:
        out = [r for r in out if a.source in (r["source"], r["platform"])]
    big = 1 << 62
    out.sort(key=lambda r: (-(big if r["days_inactive"] is None else r["days_inactive"]),
                            PLATFORM_ORDER[r["platform"]], r["source"], r["site"] is not None, r["site"] or "", r["user"]))
    return {"inactive_users": out}


def logins():
    f, t = a.__dict__["from"], a.to
    tab = rows(f"""
    SELECT event_date AS date, 'tableau' AS platform, 'tab' AS source, site_name AS site,
           coalesce(user_name, 'user ' || user_id) AS user, friendly_name AS full_name,
           {local('first_request_at')} AS first_seen, {local('last_request_at')} AS last_seen, requests, sessions
    FROM {scan('tab', 'logins')} WHERE user_id IS NOT NULL AND user_id <> 0 AND event_date BETWEEN ? AND ?""", [f, t])
    gis = rows(f"""
    SELECT l.event_date AS date, 'arcgis' AS platform, 'agol' AS source, NULL AS site, l.username AS user,
           u."fullName" AS full_name, {local('l.last_login')} AS first_seen, {local('l.last_login')} AS last_seen,
           NULL AS requests, NULL AS sessions
    FROM {scan('agol', 'logins')} l LEFT JOIN {snapshot('agol', 'users', t)} u ON u.username = l.username
    WHERE l.event_date BETWEEN ? AND ?""", [f, t])
    out = tab + gis
    if a.user:
        out = [r for r in out if r["user"].lower() == a.user.lower()]
    out.sort(key=lambda r: (r["first_seen"], r["platform"], r["user"]))
    return {"logins": out}


def content():
    f, t = a.__dict__["from"], a.to
    site_filter = ""
    if a.site:
        site_filter = f"AND site_id IN (SELECT id FROM {snapshot('tab', 'sites', t)} WHERE lower(name) = lower('{a.site}') OR lower(url_namespace) = lower('{a.site}'))"
    usage = f"(SELECT * FROM {scan('tab', 'usage_daily')} WHERE event_date <= DATE '{t}' {site_filter})"
    def ranked(kind_filter, key, cols):
        sql = f"""
        SELECT 'tab' AS source, arg_max(site_name, event_date) AS site, arg_max(project_name, event_date) AS project,
               arg_max(workbook_name, event_date) AS workbook, arg_max(coalesce(view_name, ''), event_date) AS view,
               count(DISTINCT user_id) FILTER (WHERE user_id <> 0) AS users,
               sum(view_loads)::BIGINT AS view_loads, sum(requests)::BIGINT AS requests
        FROM {usage} WHERE event_date >= DATE '{f}' AND {kind_filter} GROUP BY {key}"""
        out = rows(sql)
        out.sort(key=lambda r: (-r["users"], -r["view_loads"], r["site"], r["project"], r["workbook"], r["view"]))
        return [{c: r[c] for c in cols} for r in out]
    views = ranked("item_type = 'View'", "site_id, view_id", ["source", "site", "workbook", "view", "users", "view_loads", "requests"])
    workbooks = ranked("item_type IN ('View', 'Workbook')", "site_id, workbook_id", ["source", "site", "project", "workbook", "users", "view_loads", "requests"])
    stale = []
    for kind, dataset, key in [("Workbook", "workbooks", "workbook_id"), ("View", "views", "view_id")]:
        snap_filter = site_filter.replace("AND site_id", "AND c.site_id")
        sql = f"""
        WITH last AS (SELECT site_id, {key} AS id, max(event_date) AS d FROM {usage} WHERE view_loads > 0 AND {key} IS NOT NULL GROUP BY ALL)
        SELECT c.id, s.name AS site, {"w.name" if kind == "View" else "c.name"} AS workbook,
               {"c.name" if kind == "View" else "NULL"} AS view,
               timezone('{tz}', c.created_at)::DATE AS created, last.d AS last_viewed
        FROM {snapshot('tab', dataset, t)} c
        LEFT JOIN {snapshot('tab', 'sites', t)} s ON s.id = c.site_id
        {"LEFT JOIN " + snapshot('tab', 'workbooks', t) + " w ON w.id = c.workbook_id" if kind == "View" else ""}
        LEFT JOIN last ON last.site_id = c.site_id AND last.id = c.id
        WHERE coalesce(c.is_deleted, false) = false {snap_filter}
          AND (c.created_at IS NULL OR timezone('{tz}', c.created_at)::DATE <= DATE '{t}')
          AND (last.d IS NULL OR last.d < DATE '{f}')"""
        for r in rows(sql):
            stale.append(({"source": "tab", "type": kind, "site": r["site"], "workbook": r["workbook"], "view": r["view"],
                           "created": r["created"], "last_viewed": r["last_viewed"]},
                          (kind == "View", r["site"], r["workbook"], (r["view"] or "") + "\x00" + str(r["id"]))))
    stale.sort(key=lambda x: x[1])
    return {"views": views, "workbooks": workbooks, "stale": [s for s, _ in stale]}


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def slot_label(s):
    return f"{WEEKDAYS[(s // 24) % 7]} {s % 24:02d}:00"


def maintenance():
    f, t = a.__dict__["from"], a.to
    hours, count = int(a.hours or 4), int(a.windows or 3)
    sources = [
        ("tableau", "tab", f"""
         SELECT coalesce(system_user_id::VARCHAR, 'u' || site_id || ':' || user_id) AS person, timezone('{tz}', created_at) AS lt
         FROM {scan('tab', 'requests_enriched')} WHERE user_id IS NOT NULL AND user_id <> 0 AND event_date BETWEEN DATE '{f}' AND DATE '{t}'""",
         f"""SELECT coalesce(system_user_id::VARCHAR, 'u' || site_id || ':' || user_id) AS person,
                    arg_min(coalesce(user_name, 'user ' || user_id), event_date) AS name, arg_min(friendly_name, event_date) AS full_name
             FROM {scan('tab', 'logins')} WHERE user_id IS NOT NULL AND user_id <> 0 AND event_date BETWEEN DATE '{f}' AND DATE '{t}' GROUP BY 1"""),
        ("arcgis", "agol", f"""
         SELECT username AS person, timezone('{tz}', last_login) AS lt FROM {scan('agol', 'logins')} WHERE event_date BETWEEN DATE '{f}' AND DATE '{t}'
         UNION ALL SELECT actor, timezone('{tz}', created) FROM {scan('agol', 'history')} WHERE actor <> '' AND event_date BETWEEN DATE '{f}' AND DATE '{t}'""",
         f"""SELECT username AS person, username AS name, "fullName" AS full_name FROM {snapshot('agol', 'users', t)}"""),
    ]
    heat, quiet, who = [], [], []
    for platform, source, activity, names_sql in sources:
        acts = con.execute(f"SELECT person, lt, (isodow(lt) - 1) * 24 + hour(lt) AS slot, date_trunc('hour', lt) AS h FROM ({activity})").fetchall()
        slots = [set() for _ in range(168)]
        concrete = {}
        for person, lt, slot, h in acts:
            slots[slot].add(person)
            concrete.setdefault(h, set()).add(person)
        peaks = [0] * 168
        for h, people in concrete.items():
            s = (h.isoweekday() - 1) * 24 + h.hour
            peaks[s] = max(peaks[s], len(people))
        for s in range(168):
            heat.append({"platform": platform, "source": source, "weekday": WEEKDAYS[s // 24], "hour": s % 24,
                         "slot": slot_label(s), "active_users": len(slots[s]), "peak_users": peaks[s]})
        windows = []
        for start in range(168):
            people = set()
            for i in range(hours):
                people |= slots[(start + i) % 168]
            windows.append((len(people), start))
        windows.sort()
        taken, chosen = set(), []
        for users, start in windows:
            if len(chosen) == count:
                break
            covered = {(start + i) % 168 for i in range(hours)}
            if covered & taken:
                continue
            taken |= covered
            chosen.append((start, users))
        for rank, (start, users) in enumerate(chosen):
            quiet.append({"platform": platform, "source": source, "rank": rank + 1, "start": slot_label(start),
                          "end": slot_label((start + hours) % 168), "active_users": users})
        if a.at is not None:  # "Tue 09:00"
            day, hh = a.at.split()
            start = WEEKDAYS.index(day[:3].capitalize()) * 24 + int(hh.split(":")[0])
        elif chosen:
            start = chosen[0][0]
        else:
            continue
        window = {(start + i) % 168 for i in range(hours)}
        names = {r[0]: (r[1], r[2]) for r in con.execute(names_sql).fetchall()}
        per = {}
        for person, lt, slot, h in acts:
            if slot in window:
                e = per.setdefault(person, [set(), lt])
                e[0].add(h)
                e[1] = max(e[1], lt)
        listed = []
        for person, (hs, last) in per.items():
            name, full = names.get(person, (f"user {person}", None))
            listed.append({"platform": platform, "source": source, "start": slot_label(start),
                           "end": slot_label((start + hours) % 168), "user": name, "full_name": full,
                           "hours_active": len(hs), "last_seen": last.strftime("%Y-%m-%d %H:%M:%S")})
        listed.sort(key=lambda r: (r["user"], r["last_seen"]))
        who.extend(listed)
    return {"hour_of_week": heat, "quiet_windows": quiet, "active_in_window": who}


report = {"adoption": adoption, "inactive-users": inactive, "logins": logins, "content": content,
          "maintenance-window": maintenance}[a.report]
json.dump(report(), sys.stdout, default=str)
