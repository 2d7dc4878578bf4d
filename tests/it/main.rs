//! The one integration-test binary (linked once; see style.md). Each module tests one
//! area; `support` holds shared fixtures.

mod arcgis;
mod arcgis_ops;
mod arcgis_pipeline;
mod backfill;
mod cli_errors;
mod crash;
mod demo;
mod enrich;
mod events;
mod indico;
mod jobs;
mod ops;
mod pgcluster;
mod postgres;
mod report_page;
mod reports;
mod restart;
mod snapshot;
mod support;
mod tableau_run;
mod tableau_sessions;
mod tls;
mod types;
