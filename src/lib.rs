//! usagelake: archives analytics-platform usage history as Hive-partitioned Parquet.
//!
//! Stages: each source kind in `sources` extracts Arrow `RecordBatch` streams and hands
//! them to `load`, the only writer of the lake (event-date partitions, atomic publish,
//! merge by key); `pipeline` runs the sources under one skeleton (lock, ledger,
//! summary); `report` reads the lake back. `config` holds the pipeline-file helpers.
//! See `ARCHITECTURE.md`.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod days;
pub mod demo;
pub mod failpoint;
pub mod http;
pub mod load;
pub mod logging;
pub mod pgcluster;
pub mod pipeline;
pub mod postgres;
pub mod progress;
pub mod report;
pub mod sources;
pub mod transform;
