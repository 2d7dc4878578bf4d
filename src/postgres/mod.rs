//! PostgreSQL extraction: one snapshot transaction per source per run, tables read with
//! `COPY (SELECT <explicit columns> …) TO STDOUT (FORMAT binary)` decoded straight into
//! Arrow arrays.
//!
//! Only `types.rs` knows about Postgres type OIDs and wire formats. Every SQL text sent
//! lives in `sql/extract/`.
//!
//! Files: `session` (connection, snapshot, the public calls), `discover` (spec ↔ catalog),
//! `statement` (SQL templates → statements), `copy_binary` (COPY framing → batches),
//! `types` (the type table and per-type decoders), `tls` (sslmode prefer, require, verify-ca, verify-full).

pub(crate) mod copy_binary;
mod discover;
mod error;
mod session;
mod spec;
mod statement;
mod tls;
pub mod types;

pub use discover::{Catalog, CatalogColumn, SECRET_COLUMNS};
pub use error::ExtractError;
pub use session::{ConnectOptions, PgSession};
pub use spec::{ColumnSpec, ResolvedTable, TableKind, TableSpec, DEFAULT_SCHEMA};
pub use statement::{time_predicate, RowRange};
pub use types::PgType;
