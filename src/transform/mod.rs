//! Transform stage, shared by every source: the arrow-rs ↔ polars bridge and reading and
//! replacing derived partitions. Source-specific derived datasets live with their source
//! (e.g. an enriched request log in `sources/<kind>/enrich`).
//!
//! - `bridge`: the only module that converts between arrow-rs and polars.
//! - `lake`: reading partitions back and replacing a derived partition atomically.

pub mod bridge;
mod error;
pub mod lake;

pub use error::TransformError;
