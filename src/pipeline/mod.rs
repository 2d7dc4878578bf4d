//! Pipeline stage: the commands that write the lake, as one skeleton (request check →
//! lock → work → ledger → summary): the incremental `run`, the day-by-day `backfill`,
//! and its read-only `plan`. The work of each source is behind `sources::SourceConfig`.

pub mod backfill;
pub mod ledger;
pub mod plan;
pub mod run;
mod skeleton;
pub mod summary;

pub use run::{run_pipeline, RunRequest};
pub use summary::RunSummary;
