//! Pipeline-file helpers shared by the document and every source kind's section:
//! typed reads that collect every problem with file, line, key and a hint (`parse`),
//! "did you mean" suggestions, secret references (env var or file, never values), and
//! the small value types several stages share (`Output`, `Compression`, `SslMode`).
//!
//! The document itself (`Pipeline`, top-level keys, `[output]`, `[[sources]]`) is
//! `pipeline::file`; each kind's section is `sources/<kind>/config.rs`.

pub mod datasets;
mod error;
pub mod parse;
pub mod pg_connection;
mod secret;
mod suggest;

pub use error::{ConfigErrors, ConfigProblem};
pub use secret::{parse_secret_ref, Secret, SecretError, SecretRef};
pub use suggest::{did_you_mean, quoted_list, KeyHomes};

use std::path::{Path, PathBuf};

use parse::{Problems, Table};

/// A key a kind refuses on purpose, with the reason (e.g. an inline password).
pub struct ForbiddenKey {
    pub key: &'static str,
    pub message: &'static str,
    pub hint: Option<&'static str>,
}

/// One source kind's `[[sources]]` section: its keys and the function that reads them
/// into `S` (the program's source configuration type). Each kind defines one in
/// `sources/<kind>/config.rs`; `sources::KINDS` lists them.
pub struct SourceKind<S> {
    /// The `kind = "..."` value.
    pub name: &'static str,
    /// Keys beyond `name` and `kind`.
    pub keys: &'static [&'static str],
    pub forbidden: &'static [ForbiddenKey],
    /// Reads the kind's keys. `name` is meaningful only when the file has no problems;
    /// `base_dir` is the pipeline file's directory, for relative paths.
    pub parse: fn(&mut Problems, &Table, String, &Path) -> Option<S>,
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
    VerifyCa,
    VerifyFull,
}
