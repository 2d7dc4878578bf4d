//! Transform stage, shared by every source: the arrow-rs ↔ polars bridge and reading and
//! replacing derived partitions. Source-specific derived datasets live with their source
//! (e.g. an enriched request log in `sources/<kind>/enrich`).
//!
//! - `bridge`: the only module that converts between arrow-rs and polars.
//! - `lake`: reading partitions back and replacing a derived partition atomically.
//! - `auth_events`: Tableau and ArcGIS sign-ins in one model; `sessions`: login/logout
//!   events → sessions, for any source (cross-source derived datasets).

pub mod auth_events;
pub mod bridge;
mod error;
pub mod lake;
pub mod sessions;

pub use error::TransformError;
