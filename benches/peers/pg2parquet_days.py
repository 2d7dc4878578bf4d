"""Peer for `usagelake bench --peers`: pg2parquet (`cargo install pg2parquet`), one export
per event date, two at a time, each into `event_date=YYYY-MM-DD/part-0.parquet`.

Tableau has no index on `created_at`, so a per-day `WHERE created_at …` would scan the
whole table once per day. Like a careful user, this first asks for each day's id range
(one scan, ConnectorX) and exports `WHERE id BETWEEN …` (primary-key range scans); that
planning query is part of the measured time.

The binary is `$PG2PARQUET`, else `pg2parquet` on PATH. Exit 3 (with a reason on stderr)
when it or ConnectorX is missing, so the bench can say "skipped" instead of failing."""
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from peer_args import parse, skip

binary = os.environ.get("PG2PARQUET") or shutil.which("pg2parquet")
if not binary:
    skip("pg2parquet not found (set PG2PARQUET or put it on PATH)")
try:
    import connectorx as cx
except ImportError as e:
    skip(f"module missing: {e}")

args = parse(extra=[("--key-column", "id")])

t, k = args.time_column, args.key_column
days = cx.read_sql(
    args.conn,
    f"SELECT ({t})::date::text AS day, min({k}) AS lo, max({k}) AS hi "
    f"FROM ({args.query}) q GROUP BY 1 ORDER BY 1",
    return_type="arrow",
).to_pylist()

url = urlparse(args.conn)
connection = ["--host", url.hostname, "--port", str(url.port or 5432),
              "--user", url.username or "postgres", "--dbname", url.path.lstrip("/"),
              # Without --password it asks the TTY even when the server trusts the client.
              "--password", url.password or ""]


def export(day):
    folder = os.path.join(args.out, f"event_date={day['day']}")
    os.makedirs(folder, exist_ok=True)
    query = f"{args.query} WHERE {k} BETWEEN {day['lo']} AND {day['hi']} AND ({t})::date = '{day['day']}'"
    subprocess.run([binary, "export", *connection, "--query", query,
                    "--output-file", os.path.join(folder, "part-0.parquet"),
                    "--compression", "snappy", "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)


with ThreadPoolExecutor(max_workers=2) as pool:
    list(pool.map(export, days))
