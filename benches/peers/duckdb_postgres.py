"""Peer for `usagelake bench --peers`: DuckDB's postgres extension, COPY … TO … (FORMAT
parquet, PARTITION_BY event_date) with 2 threads.

The extension comes from PyPI when installed there (`duckdb==1.5.5
duckdb-extension-postgres-scanner==1.5.5 duckdb-extensions`: the wheel pins the DuckDB
version), else DuckDB downloads it on first use; offline that fails, and the script exits
3 with the reason so the bench reports "skipped" rather than a time."""
from peer_args import parse, skip

try:
    import duckdb
except ImportError as e:
    skip(f"module missing: {e}")

args = parse()

con = duckdb.connect()
con.execute("SET threads = 2")
try:
    try:
        import duckdb_extensions

        duckdb_extensions.import_extension("postgres_scanner", con=con)
    except ImportError:
        con.execute("INSTALL postgres")
    con.execute("LOAD postgres")
except Exception as e:  # noqa: BLE001 - any failure here means "not available"
    skip(f"postgres extension not installable here: {str(e).splitlines()[0]}")

con.execute(f"ATTACH '{args.conn}' AS pg (TYPE postgres, READ_ONLY)")
# postgres_query runs the same SELECT on the server; the date is computed in DuckDB.
query = args.query.replace("'", "''")
con.execute(
    f"""COPY (SELECT *, CAST("{args.time_column}" AS DATE) AS event_date
              FROM postgres_query('pg', '{query}'))
        TO '{args.out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (event_date),
                         OVERWRITE_OR_IGNORE)"""
)
