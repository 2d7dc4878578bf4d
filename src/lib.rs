//! usagelake: archives analytics-platform usage history as Hive-partitioned Parquet.
//!
//! Stages: `extract` yields Arrow `RecordBatch` streams, `load` writes them into
//! event-date partitions atomically, `pipeline` ties them together with state and
//! watermarks. `config` owns the pipeline TOML files.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod extract;
pub mod failpoint;
pub mod load;
pub mod logging;
pub mod ops;
pub mod pgcluster;
pub mod pipeline;
pub mod report;
pub mod sources;
pub mod transform;
