//! The Indico source: user metrics of Indico Data's platform, archived daily.
//!
//! Facts behind the choices here: `shared/reference/indico-user-metrics.md`. One
//! GraphQL endpoint; queries in `queries/*.graphql` checked against `schema.graphql`
//! (`graphql`), typed responses (`types`), the token exchange and error rules
//! (`client`), paging with its guards (`paging`), Arrow conversion (`datasets`), and
//! [`IndicoReader`] tying them together per day. `fake` is the test and demo server.

pub mod archive;
mod client;
pub mod config;
pub mod coverage;
pub mod datasets;
mod error;
pub mod fake;
pub mod graphql;
mod paging;
mod reader;
pub mod types;

pub use config::IndicoSourceConfig;
pub use error::IndicoError;
pub use reader::IndicoReader;

/// Every dataset an `indico` source archives, in run order.
pub const DATASETS: &[&str] = &[
    datasets::USER_SUMMARY,
    datasets::USER_SUMMARY_ROLES,
    datasets::USER_SNAPSHOTS,
    datasets::USER_SNAPSHOT_DATASETS,
    datasets::USER_CHANGELOG,
];

#[cfg(test)]
mod tests;
