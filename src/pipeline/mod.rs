//! Pipeline stage: what to extract for which dates, state and watermarks, the run
//! itself, progress and the run summary.

pub mod arcgis;
pub mod backfill;
pub mod coverage;
mod error;
mod event_stats;
pub mod ledger;
pub mod lock;
pub mod plan;
pub mod progress;
mod pump;
pub mod run;
pub mod state;
pub mod summary;
pub mod tableau;

pub use error::RunError;
pub use run::{run_pipeline, DateRange, RunRequest};
pub use summary::{DatasetSummary, RunSummary, SourceSummary};
