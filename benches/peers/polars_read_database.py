"""Peer for `usagelake bench --peers`: polars `read_database_uri` (ConnectorX engine, the
whole result as one DataFrame), then `write_parquet(partition_by="event_date")`.

Exit 3 (with a reason on stderr) when a module is missing, so the bench can say
"skipped" instead of failing."""
from peer_args import parse, skip

try:
    import polars as pl
except ImportError as e:
    skip(f"module missing: {e}")

args = parse()

try:
    frame = pl.read_database_uri(args.query, args.conn, engine="connectorx", protocol="binary")
except ImportError as e:  # connectorx is the engine
    skip(f"module missing: {e}")
# The bench pipeline's zone is UTC, so the UTC date is the event date.
frame = frame.with_columns(pl.col(args.time_column).dt.date().alias("event_date"))
frame.write_parquet(args.out, compression="snappy", partition_by="event_date", mkdir=True)
