"""Writes a lake holding N login/logout events of an `events` source, for timing `sessions`.

Usage: events_lake.py OUT_DIR [EVENTS] [DAYS] [dictionary]

The same events as benches/events_gen.py describes (2,000 machines, 50,000 users,
login/logout pairs at minute resolution over DAYS days from 2026-01-01 UTC, sessions of
0-9 h, ~10% lost logouts and ~10% lost logins), made by DuckDB in a few seconds and
written straight into OUT_DIR/lake/logons/events/event_date=…/part-0.parquet with the
`events` dataset's columns, plus OUT_DIR/pipeline.toml (zone UTC, max_session_hours 24,
a path glob that matches no file). `usagelake run` then reads no file and derives the
sessions from the 10M events in the lake: the derivation alone, independent of the CSV
reader (which `benches/events_gen.py` + a run measure).

DuckDB stores the high-cardinality `user` column PLAIN (its own heuristic); usagelake's
writer keeps a dictionary until it outgrows its 1 MB page, as pyarrow does. With the
fourth argument `dictionary` every file is rewritten by pyarrow with dictionary encoding
(snappy, one row group), i.e. the way usagelake itself would have written the events.
"""
import os
import sys

import duckdb

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
lake = f"{out}/lake/logons/events"
os.makedirs(lake, exist_ok=True)
with open(f"{out}/pipeline.toml", "w") as f:
    f.write(f'''time_zone = "UTC"

[output]
root = "{out}/lake"

[[sources]]
name = "logons"
kind = "events"
format = "csv"
paths = ["{out}/no-files/*.csv"]
login_values = ["logon"]
logout_values = ["logoff"]
max_session_hours = 24
''')
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute("SET preserve_insertion_order = false")
pairs = count // 2 + count // 10
minutes = days * 24 * 60
con.execute(f"""
CREATE TABLE pairs AS
SELECT i,
  'ws' || lpad((hash(i, 1) % 2000)::VARCHAR, 4, '0') AS machine,
  'u' || lpad((hash(i, 2) % 50000)::VARCHAR, 5, '0') AS "user",
  TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_minutes((hash(i, 3) % {minutes})::BIGINT) AS login_at,
  (hash(i, 4) % (9 * 60))::BIGINT AS length,
  (hash(i, 5) % 10)::INTEGER AS roll
FROM range({pairs}) t(i)""")
con.execute(f"""
CREATE TABLE ev AS
SELECT * FROM (
  SELECT i * 2 AS n, login_at AS event_at, 'login' AS event_type, 'logon' AS raw_type, machine, "user"
  FROM pairs WHERE roll <> 0
  UNION ALL
  SELECT i * 2 + 1, login_at + to_minutes(length), 'logout', 'logoff', machine, "user"
  FROM pairs WHERE roll <> 1
) ORDER BY n LIMIT {count}""")
con.execute(f"""
COPY (
  SELECT row_number() OVER (ORDER BY event_at, n)::BIGINT AS event_id, event_at, event_type, raw_type,
         machine, "user", '{{}}' AS extra, '{out}/events.csv' AS file, (n + 2)::BIGINT AS line,
         event_at::DATE AS event_date
  FROM ev ORDER BY event_at
) TO '{lake}' (FORMAT parquet, PARTITION_BY (event_date), FILENAME_PATTERN 'part-{{i}}', COMPRESSION snappy, OVERWRITE_OR_IGNORE)""")
print(con.execute(f"SELECT count(*) FROM read_parquet('{lake}/*/*.parquet')").fetchone()[0], "events written")
if len(sys.argv) > 4 and sys.argv[4] == "dictionary":
    import glob

    import pyarrow.parquet as pq

    for path in glob.glob(f"{lake}/*/*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table, path, compression="snappy", use_dictionary=True, row_group_size=1 << 20)
    print("rewritten with dictionary encoding (pyarrow)")
