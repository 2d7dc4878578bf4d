//! PostgreSQL extraction: one snapshot transaction per source per run, tables read with
//! `COPY (SELECT <explicit columns> …) TO STDOUT (FORMAT binary)` decoded straight into
//! Arrow arrays.
//!
//! Only `types.rs` knows about Postgres type OIDs and wire formats.

mod copy_binary;
mod discover;
mod error;
mod session;
mod spec;
pub mod types;

pub use spec::{ColumnSpec, ResolvedTable, TableKind, TableSpec};
pub use types::PgType;
