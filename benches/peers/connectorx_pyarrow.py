"""Peer for `usagelake bench --peers`: ConnectorX streamed Arrow batches, partitioned
by event date with pyarrow's dataset writer (hive folders event_date=YYYY-MM-DD).

Exit 3 (with a reason on stderr) when a module is missing, so the bench can say
"skipped" instead of failing."""
from peer_args import parse, skip

try:
    import connectorx as cx
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
except ImportError as e:  # the bench reports this line as the skip reason
    skip(f"module missing: {e}")

args = parse()

# protocol=binary: ConnectorX then reads with COPY (FORMAT binary), like usagelake.
reader = cx.read_sql(args.conn, args.query, return_type="arrow_stream",
                     protocol="binary", batch_size=65536)
schema = reader.schema.append(pa.field("event_date", pa.date32()))


def with_event_date(batches):
    for batch in batches:
        # The bench pipeline's zone is UTC, so the UTC date is the event date.
        dates = pc.cast(batch.column(args.time_column), pa.date32())
        yield pa.RecordBatch.from_arrays(batch.columns + [dates], schema=schema)


ds.write_dataset(
    pa.RecordBatchReader.from_batches(schema, with_event_date(reader)),
    args.out,
    format="parquet",
    partitioning=["event_date"],
    partitioning_flavor="hive",
    existing_data_behavior="overwrite_or_ignore",
    file_options=ds.ParquetFileFormat().make_write_options(compression="snappy"),
)
