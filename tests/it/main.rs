//! The one integration-test binary (linked once; see style.md). Each module tests one
//! area; `support` holds shared fixtures.

mod arcgis;
mod cli_errors;
mod crash;
mod enrich;
mod pgcluster;
mod support;
mod tableau_run;
