//! Load stage: partitioned Parquet written atomically into the lake.
//!
//! Layout: `<root>/<source>/<dataset>/event_date=YYYY-MM-DD/part-*.parquet` (or
//! `snapshot_date=`). The partition key lives only in the folder name. In-progress
//! files are staged under `<root>/_usagelake/staging/` (same filesystem), fsynced,
//! then renamed into place, so no reader ever sees a half-written file.
//!
//! PUBLIC API (kept stable for the pipeline stage):
//! - `DatasetWriter::open(layout, schema, partitioning, options) -> Result<Self, LoadError>`
//! - `DatasetWriter::write(&mut self, &RecordBatch) -> Result<(), LoadError>`
//! - `DatasetWriter::commit(self) -> Result<WriteSummary, LoadError>`
//! - `split_by_event_date(batch, time_column, tz) -> Result<Vec<(NaiveDate, RecordBatch)>, LoadError>`
//! - `fsutil::atomic_write(path, bytes)` for small files (state, manifests)
//! - `recover(root)` completes or rolls back interrupted publishes/compactions at run start
//! Load stage (see mod docs)
