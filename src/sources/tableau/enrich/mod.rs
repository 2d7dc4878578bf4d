//! Tableau's derived datasets: `requests_enriched` and the seeds built from it.
//!
//! - `content`: the rules that map an `http_requests` row to the view, workbook or data
//!   source it is about; `content_index`: the per-site lookup of their keys.
//! - `snapshots`: the point-in-time rule (which dimension snapshot is in force on a date);
//!   `dims`: the dimension tables built from those snapshots.
//! - `requests_enriched`: the enriched request log; `seeds`: `logins`, `usage_daily`,
//!   `extracts_workbooks`; `report`: the resolution report.
//! - `rebuild`: which partitions to rebuild after a run, one day at a time.
//!
//! Shared machinery (the polars bridge, reading partitions, atomic replacement) is in
//! `crate::transform`.

mod columns;
pub mod content;
mod content_index;
mod dims;
mod rebuild;
mod report;
mod requests_enriched;
mod seeds;
mod snapshots;

use crate::transform::{bridge, lake, TransformError};

pub use rebuild::{rebuild, RebuildRequest, TransformSummary};
pub use report::{ResolutionReport, UnresolvedValue};
pub use requests_enriched::enriched_schema;
pub use snapshots::snapshot_in_force;
