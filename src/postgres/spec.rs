//! Table specs: what a dataset reads from which table, independent of server version.

use arrow_schema::SchemaRef;

use super::types::PgType;

/// One table the generic extractor can read. Built by a source kind (its table specs
/// in `sources/<kind>/`) or by tests.
/// The schema repository tables live in.
pub const DEFAULT_SCHEMA: &str = "public";

#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Dataset name in the lake (folder under the source).
    pub dataset: String,
    /// Schema of the table: `public` for the BI repository, any schema for the
    /// `postgres` kind ([`DEFAULT_SCHEMA`]).
    pub schema: String,
    /// Table (or view) in the source, unqualified (see `schema`).
    pub table: String,
    /// Columns in output order. Never contains secret columns.
    pub columns: Vec<ColumnSpec>,
    pub kind: TableKind,
    /// The table may be absent on some server versions; then the dataset is skipped
    /// with a notice instead of failing the run.
    pub is_optional: bool,
    /// Fixed SQL predicate always applied (e.g. `completed_at IS NOT NULL`), from `sql/`.
    pub row_filter: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub name: String,
    /// The type we expect; the output Arrow type comes from this via the type table,
    /// so the lake schema is the same whatever the server version stores.
    pub pg_type: PgType,
    /// A required column missing on the server fails the dataset; an optional one
    /// becomes a typed all-NULL column.
    pub is_required: bool,
}

#[derive(Debug, Clone)]
pub enum TableKind {
    /// Append-mostly log partitioned by the event's date; incremental by `key`.
    Event {
        /// int8 (or narrower) unique key, the watermark column.
        key: String,
        /// Event timestamp column that defines `event_date`.
        time: String,
        /// Predicate for rows that are not final yet (e.g. background jobs still
        /// running); the next run re-reads from the smallest such key.
        pending: Option<String>,
        /// A column that is NULL exactly while a row is not final (`completed_at` of a
        /// background job). A lake row with NULL there is replaced when the row is read
        /// again; a final row is never rewritten, so re-reading it costs nothing.
        pending_column: Option<String>,
    },
    /// A dimension table snapshotted whole into `snapshot_date=<run date>`.
    Snapshot,
    /// A log without an integer key (the `postgres` kind's tables read by a timestamp
    /// watermark): the source kind selects rows through `row_filter` predicates it renders
    /// with [`super::time_predicate`]; key ranges do not apply.
    Log,
}

/// A spec matched against the server's catalog: which columns exist, with what type.
#[derive(Debug, Clone)]
pub struct ResolvedTable {
    pub spec: TableSpec,
    /// Arrow schema of the batches (all spec columns, in spec order).
    pub schema: SchemaRef,
    /// Spec columns the server has, with the server's actual type.
    pub present: Vec<(ColumnSpec, PgType)>,
    /// Optional spec columns the server lacks (typed nulls in the output).
    pub missing: Vec<String>,
    /// Server columns not in the spec (ignored; reported once per run).
    pub ignored: Vec<String>,
}
