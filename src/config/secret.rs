//! Secret references and values. A `Secret` never prints its value.

use std::fmt;
use std::path::PathBuf;

/// Where a secret comes from; the value itself never sits in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

/// A resolved secret value. `Debug` and `Display` print `***`, so a secret cannot leak
/// through `{:?}` in logs, errors or manifests; call [`Secret::expose`] at the one place
/// that hands it to a driver.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
