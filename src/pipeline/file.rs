//! The pipeline file: the typed model every command reads.
//!
//! [`parse_pipeline`] turns TOML text into a [`Pipeline`] or a [`ConfigErrors`] listing
//! every problem with file, line and key. The document's own keys (`time_zone`,
//! `[output]`, `[[sources]]` with `name` and `kind`) are read in `document`; each
//! `[[sources]]` table is handed to its kind's section parser (`sources::KINDS`).

mod document;
#[cfg(test)]
pub(crate) mod test_support;

use std::path::{Path, PathBuf};

use crate::config::{Compression, ConfigErrors, ConfigProblem, Output};
use crate::load::LakeLayout;
use crate::sources::{SourceConfig, SourceContext};

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

impl Pipeline {
    /// What every source of this pipeline needs to read into `layout`.
    pub fn source_context<'a>(
        &'a self,
        layout: &'a LakeLayout,
        requested: &'a [String],
    ) -> SourceContext<'a> {
        SourceContext {
            layout,
            output: &self.output,
            time_zone: self.time_zone,
            requested,
        }
    }
}
