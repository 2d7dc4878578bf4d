//! Pipeline files: the typed model every other stage reads.
//!
//! `parse` turns TOML text into a [`Pipeline`] or a [`ConfigErrors`] listing every
//! problem with file, line and key. Secrets are references (env var or file), never values.

mod parse;
mod secret;


pub use secret::{Secret, SecretRef};

use std::path::PathBuf;
use std::time::Duration;

/// A validated pipeline file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Where the file was read from (for messages and the run ledger).
    pub path: PathBuf,
    pub output: Output,
    /// IANA zone that defines `event_date` and `snapshot_date`. Default UTC.
    pub time_zone: chrono_tz::Tz,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Output {
    /// Lake root: a local path or a mounted shared drive. Relative paths are resolved
    /// against the pipeline file's directory.
    pub root: PathBuf,
    pub compression: Compression,
    /// Upper bound on rows per Parquet row group.
    pub row_group_rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Uncompressed,
    Snappy,
    /// zstd with a level (1..=22).
    Zstd(i32),
}

#[derive(Debug, Clone)]
pub enum Source {
    Tableau(TableauSource),
}

impl Source {
    pub fn name(&self) -> &str {
        match self {
            Source::Tableau(s) => &s.name,
        }
    }
}

/// `[[sources]] kind = "tableau"`: the Tableau Server repository ("workgroup" database).
#[derive(Debug, Clone)]
pub struct TableauSource {
    /// Unique per pipeline; the first folder level under the lake root.
    pub name: String,
    pub host: String,
    /// Default 8060.
    pub port: u16,
    /// Default `workgroup`.
    pub database: String,
    /// Default `readonly`.
    pub user: String,
    /// None: no password (trust/peer auth, e.g. the demo).
    pub password: Option<SecretRef>,
    pub sslmode: SslMode,
    /// None means every dataset the source kind knows.
    pub datasets: Option<Vec<String>>,
    /// Rows per Arrow batch coming out of the extractor. Default 65 536.
    pub batch_rows: usize,
    /// How far below the watermark each run re-reads, in event time. Default 1 hour.
    pub lookback: Duration,
    /// background_jobs: archive jobs that have not completed yet. Default false.
    pub include_incomplete_jobs: bool,
    /// Connect timeout. Default 10 s.
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
}
