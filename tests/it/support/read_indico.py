"""Reads an Indico source of a usagelake lake the way analysts' tools do.

Usage: read_indico.py LAKE_ROOT SOURCE DATASET_ID DAY
Checks that DuckDB, pyarrow, pandas and polars open all five datasets with their nested
columns, then runs the README's audit query for DATASET_ID on DAY with DuckDB and prints
its rows as one JSON line (last line of stdout). Exits non-zero on the first mismatch.
"""
import json
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

root, source, dataset_id, day = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = f"{root}/{source}"
DATASETS = ["user_summary", "user_summary_roles", "user_snapshots", "user_snapshot_datasets", "user_changelog"]
grant = pa.struct([("dataset_id", pa.int32()), ("role", pa.string())])

con = duckdb.connect()
for name in DATASETS:
    glob = f"{base}/{name}/**/*.parquet"
    n = con.execute(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning=true)").fetchone()[0]
    table = ds.dataset(f"{base}/{name}", format="parquet", partitioning="hive").to_table()
    frame = pd.read_parquet(f"{base}/{name}")
    lazy = pl.scan_parquet(glob, hive_partitioning=True)
    counts = {"duckdb": n, "pyarrow": table.num_rows, "pandas": len(frame), "polars": lazy.select(pl.len()).collect().item()}
    assert len(set(counts.values())) == 1 and n > 0, (name, counts)
    print(f"{name}: {n} rows in every reader")

snap = ds.dataset(f"{base}/user_snapshots", format="parquet", partitioning="hive").schema
assert snap.field("roles").type == pa.list_(pa.string()), snap.field("roles").type
assert snap.field("datasets").type == pa.list_(grant), snap.field("datasets").type
assert snap.field("created_at").type == pa.timestamp("us", tz="UTC")
log = ds.dataset(f"{base}/user_changelog", format="parquet", partitioning="hive").schema
for field in ["previous_datasets", "datasets"]:
    assert log.field(field).type == pa.list_(grant), (field, log.field(field).type)
assert log.field("id").type == pa.string()
pschema = pl.scan_parquet(f"{base}/user_snapshots/**/*.parquet", hive_partitioning=True).collect_schema()
assert pschema["datasets"] == pl.List(pl.Struct({"dataset_id": pl.Int32, "role": pl.String})), pschema
frame = pd.read_parquet(f"{base}/user_snapshots")
first = next(d for d in frame["datasets"] if d is not None and len(d) > 0)
assert set(first[0].keys()) == {"dataset_id", "role"}, first
# DuckDB unnests the nested column as the flat table has it.
nested, flat = con.execute(f"""
    SELECT (SELECT count(*) FROM (SELECT unnest(datasets) FROM read_parquet('{base}/user_snapshots/**/*.parquet'))),
           (SELECT count(*) FROM read_parquet('{base}/user_snapshot_datasets/**/*.parquet'))""").fetchone()
assert nested == flat, (nested, flat)

# The README query: who had access to dataset X on day D, and who granted it.
QUERY = """
WITH access AS (
  SELECT user_id, email, role
  FROM read_parquet('{base}/user_snapshot_datasets/**/*.parquet', hive_partitioning = true)
  WHERE snapshot_date = DATE '{day}' AND dataset_id = {x}
),
grants AS (
  SELECT user_id, date, updater_email, g.role AS role
  FROM (SELECT user_id, date, updater_email, previous_datasets, unnest(datasets) AS g
        FROM read_parquet('{base}/user_changelog/**/*.parquet', hive_partitioning = true))
  WHERE g.dataset_id = {x}
    AND NOT list_contains(coalesce(previous_datasets, []), g)
    AND date < DATE '{day}' + INTERVAL 1 DAY
)
SELECT a.user_id, a.email, a.role,
       arg_max(g.updater_email, g.date) AS granted_by,
       max(g.date) AS granted_at
FROM access a LEFT JOIN grants g ON g.user_id = a.user_id AND g.role = a.role
GROUP BY ALL
ORDER BY a.user_id
"""
con.execute("SET TimeZone = 'UTC'")
rows = con.execute(QUERY.format(base=base, day=day, x=dataset_id)).fetchall()
print(json.dumps([[r[0], r[1], r[2], r[3], None if r[4] is None else r[4].isoformat()] for r in rows]))
