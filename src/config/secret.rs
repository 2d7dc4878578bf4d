//! Secret references and values. A `Secret` never prints its value.
use std::path::PathBuf;

/// Where a secret comes from; the value itself never sits in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}
