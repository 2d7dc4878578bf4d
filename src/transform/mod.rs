//! Transform stage: turns raw extracted tables into the datasets analysts read.
//!
//! - `content`: the rules that map an `http_requests` row to the view, workbook or data
//!   source it is about; `content_index`: the per-site lookup of their keys.
//! - `snapshots`: the point-in-time rule (which dimension snapshot is in force on a date);
//!   `dims`: the dimension tables built from those snapshots.
//! - `enrich`: `requests_enriched`; `seeds`: `logins`, `usage_daily`, `extracts_workbooks`;
//!   `report`: the resolution report.
//! - `rebuild`: which partitions to rebuild after a run, one day at a time; `lake`: reading
//!   partitions and replacing derived ones atomically.
//! - `auth_events`: Tableau and ArcGIS sign-ins in one model; `sessions`: login/logout
//!   events → sessions (any source).
//! - `bridge`: the only module that converts between arrow-rs and polars.

pub mod auth_events;
pub mod bridge;
mod columns;
pub mod content;
mod content_index;
mod dims;
mod enrich;
mod error;
pub(crate) mod lake;
mod rebuild;
mod report;
mod seeds;
pub mod sessions;
mod snapshots;

pub use enrich::enriched_schema;
pub use error::TransformError;
pub use rebuild::{rebuild, RebuildRequest, TransformSummary};
pub use report::{ResolutionReport, UnresolvedValue};
pub use snapshots::snapshot_in_force;
