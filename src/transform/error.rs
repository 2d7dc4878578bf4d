//! Errors of the transform stage: each names the dataset and partition (or file) involved.

use std::path::PathBuf;

use super::bridge::BridgeError;
use crate::load::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// Publishing a rebuilt partition (through `load`) failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("reading {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("writing {dataset} partition {partition}: {message}")]
    Write {
        dataset: String,
        partition: String,
        message: String,
    },
    #[error("starting the transform thread: {source}")]
    Thread {
        #[source]
        source: std::io::Error,
    },
    #[error("listing {dataset}: {source}")]
    List {
        dataset: String,
        #[source]
        source: LoadError,
    },
    #[error("{dataset}: moving columns between arrow and polars: {source}")]
    Bridge {
        dataset: String,
        #[source]
        source: BridgeError,
    },
    #[error("{dataset}: polars {step}: {message}")]
    Polars {
        dataset: String,
        step: &'static str,
        message: String,
    },
    #[error("{dataset}: column `{column}` has type {found}, expected {expected}")]
    ColumnType {
        dataset: String,
        column: String,
        found: String,
        expected: &'static str,
    },
}

impl TransformError {
    pub fn bridge(dataset: &str) -> impl Fn(BridgeError) -> TransformError + '_ {
        move |source| TransformError::Bridge {
            dataset: dataset.to_string(),
            source,
        }
    }

    pub fn polars<'a, E: std::fmt::Display>(
        dataset: &'a str,
        step: &'static str,
    ) -> impl Fn(E) -> TransformError + 'a {
        move |e| TransformError::Polars {
            dataset: dataset.to_string(),
            step,
            message: e.to_string(),
        }
    }
}
