//! Errors of the load stage. Every variant names the file, partition or dataset a user
//! has to look at; none carries row data.

use std::path::PathBuf;

use arrow_schema::ArrowError;
use parquet::errors::ParquetError;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("I/O error on {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Parquet error on {path}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: ParquetError,
    },
    #[error("Arrow error in dataset {dataset}")]
    Arrow {
        dataset: String,
        #[source]
        source: ArrowError,
    },
    #[error("schema problem in dataset {dataset}: {message}")]
    Schema { dataset: String, message: String },
    /// The merge key is the dataset's primary key: a NULL there means the extract is
    /// wrong, and writing the row would make reruns duplicate it forever.
    #[error("dataset {dataset}: NULL in key column {column} (partition {partition})")]
    NullKey {
        dataset: String,
        partition: String,
        column: String,
    },
    /// A time PostgreSQL can store but the lake's calendar (chrono, and most Parquet
    /// readers) cannot: the run stops rather than file the row under a wrong date. The
    /// operator fixes or deletes the source row (or excludes it) and reruns.
    /// Boxed: `LoadError` travels in every `Result` of a run.
    #[error(transparent)]
    TimeOutOfRange(Box<TimeOutOfRange>),
    /// Replacing a derived partition (see `replace`) failed.
    #[error("writing {partition}: {message}")]
    Replace {
        /// `<source>/<dataset> partition <name>`.
        partition: String,
        message: String,
    },
    #[error("unreadable journal {path}")]
    Journal {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug, thiserror::Error)]
#[error(
    "dataset {dataset}: {column} of the row with {key} is {value_us} µs after 1970-01-01, \
     outside the representable calendar (years -262142..262142); correct that row in the \
     source, then run again"
)]
pub struct TimeOutOfRange {
    pub dataset: String,
    pub column: String,
    /// `<key column> <value>`, or `row <n>` when the batch has no key column.
    pub key: String,
    pub value_us: i64,
}

/// Shorthands that attach the path to std/parquet errors at the call site.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, LoadError>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, LoadError> {
        self.map_err(|source| LoadError::Io {
            path: path.into(),
            source,
        })
    }
}

impl<T> IoContext<T> for Result<T, ParquetError> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T, LoadError> {
        self.map_err(|source| LoadError::Parquet {
            path: path.into(),
            source,
        })
    }
}

pub(crate) fn arrow_err(dataset: &str) -> impl FnOnce(ArrowError) -> LoadError + '_ {
    move |source| LoadError::Arrow {
        dataset: dataset.to_string(),
        source,
    }
}
