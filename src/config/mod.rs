//! Pipeline files: the typed model every other stage reads.
//!
//! [`parse_pipeline`] turns TOML text into a [`Pipeline`] or a [`ConfigErrors`] listing
//! every problem with file, line and key. Secrets are references (env var or file),
//! never values. Each source kind owns its keys in its own folder
//! (`sources/<kind>/config.rs`) and is listed in `sources::KINDS`; this module holds the
//! document's shared keys and the helpers every kind parses with.

pub mod datasets;
mod document;
mod error;
pub mod parse;
mod secret;
mod suggest;

pub use document::{ForbiddenKey, SourceKind};
pub use error::{ConfigErrors, ConfigProblem};
pub use secret::{Secret, SecretError, SecretRef};
pub use suggest::{did_you_mean, quoted_list};

use std::path::{Path, PathBuf};

use crate::sources::SourceConfig;

pub const DEFAULT_TIME_ZONE: chrono_tz::Tz = chrono_tz::UTC;
pub const DEFAULT_COMPRESSION: Compression = Compression::Snappy;
pub const DEFAULT_ZSTD_LEVEL: i32 = 3;
pub const DEFAULT_ROW_GROUP_ROWS: usize = 1_048_576;
/// Smaller row groups make Parquet metadata dominate the file.
pub const MIN_ROW_GROUP_ROWS: usize = 1024;

/// Reads and validates a pipeline file. An unreadable file is a [`ConfigErrors`] with
/// one problem, so callers handle every config failure the same way (exit code 2).
pub fn load_pipeline(path: &Path) -> Result<Pipeline, ConfigErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_pipeline(&text, path),
        Err(error) => Err(ConfigErrors {
            problems: vec![ConfigProblem {
                file: path.to_path_buf(),
                line: 0,
                key: String::new(),
                message: format!("cannot read pipeline file: {error}"),
                hint: None,
            }],
        }),
    }
}

/// Validates pipeline text. `path` is used for messages and to resolve relative
/// `output.root` and `password_file` against the file's directory.
pub fn parse_pipeline(text: &str, path: &Path) -> Result<Pipeline, ConfigErrors> {
    document::parse_document(text, path)
}

/// A validated pipeline file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Where the file was read from (for messages and the run ledger).
    pub path: PathBuf,
    pub output: Output,
    /// IANA zone that defines `event_date` and `snapshot_date`. Default UTC.
    pub time_zone: chrono_tz::Tz,
    pub sources: Vec<SourceConfig>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
}

#[cfg(test)]
pub(crate) mod tests;
