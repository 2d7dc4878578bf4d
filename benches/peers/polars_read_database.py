"""Peer for `usagelake bench --peers`: polars `read_database_uri` (ConnectorX engine, the
whole result as one DataFrame), then `write_parquet(partition_by="event_date")`.

Exit 3 (with a reason on stderr) when a module is missing, so the bench can say
"skipped" instead of failing."""
import argparse
import sys

try:
    import polars as pl
except ImportError as e:
    print(f"module missing: {e}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--conn", required=True)
parser.add_argument("--query", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--time-column", default="created_at")
args = parser.parse_args()

try:
    frame = pl.read_database_uri(args.query, args.conn, engine="connectorx", protocol="binary")
except ImportError as e:  # connectorx is the engine
    print(f"module missing: {e}", file=sys.stderr)
    sys.exit(3)
# The bench pipeline's zone is UTC, so the UTC date is the event date.
frame = frame.with_columns(pl.col(args.time_column).dt.date().alias("event_date"))
frame.write_parquet(args.out, compression="snappy", partition_by="event_date", mkdir=True)
