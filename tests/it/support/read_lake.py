"""Reads a usagelake lake the way analysts' tools do and checks rows and types.

Usage: read_lake.py LAKE_ROOT SOURCE EXPECTED_HTTP_REQUESTS
Prints one line per reader; exits non-zero on the first mismatch.
"""
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

root, source, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
requests = f"{root}/{source}/http_requests"


def check(reader, rows, id_type, ts_type):
    assert rows == expected, f"{reader}: {rows} rows, expected {expected}"
    print(f"{reader}: {rows} rows, id {id_type}, created_at {ts_type}")


con = duckdb.connect()
rows, id_type, ts_type, days = con.execute(
    f"""SELECT count(*), any_value(typeof(id)), any_value(typeof(created_at)), count(DISTINCT event_date)
        FROM read_parquet('{requests}/**/*.parquet', hive_partitioning=true)"""
).fetchone()
assert id_type == "BIGINT" and ts_type == "TIMESTAMP WITH TIME ZONE", (id_type, ts_type)
assert days >= 1
check("duckdb", rows, id_type, ts_type)
# DuckDB must not pick up anything but data files (staging lives outside dataset folders).
all_files = con.execute(f"SELECT count(*) FROM glob('{root}/**/*.parquet')").fetchone()[0]
staged = con.execute(f"SELECT count(*) FROM glob('{root}/_usagelake/staging/**')").fetchone()[0]
assert staged == 0, f"{staged} staged files visible"

table = ds.dataset(requests, format="parquet", partitioning="hive").to_table()
schema = table.schema
assert schema.field("id").type == pa.int64()
assert schema.field("created_at").type == pa.timestamp("us", tz="UTC"), schema.field("created_at").type
check("pyarrow.dataset", table.num_rows, schema.field("id").type, schema.field("created_at").type)

frame = pd.read_parquet(requests)
assert str(frame["created_at"].dtype).startswith("datetime64[us, UTC]"), frame["created_at"].dtype
check("pandas", len(frame), frame["id"].dtype, frame["created_at"].dtype)

lazy = pl.scan_parquet(f"{requests}/**/*.parquet", hive_partitioning=True)
got = lazy.select(pl.len()).collect()
pschema = lazy.collect_schema()
assert pschema["id"] == pl.Int64 and pschema["created_at"] == pl.Datetime("us", "UTC"), pschema
check("polars", got.item(0, 0), pschema["id"], pschema["created_at"])

# Every snapshot dataset opens too (one file per snapshot_date folder).
for dataset in ["users", "system_users", "sites", "views", "workbooks"]:
    n = ds.dataset(f"{root}/{source}/{dataset}", format="parquet", partitioning="hive").count_rows()
    assert n > 0, dataset
print(f"ok: {all_files} parquet files readable")
