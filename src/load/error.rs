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
    /// Replacing a derived partition (see `replace`) failed.
    #[error("writing {dataset} partition {partition}: {message}")]
    Replace {
        dataset: String,
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
