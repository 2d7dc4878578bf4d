//! Secret references and values. A `Secret` never prints its value.

use std::fmt;
use std::path::{Path, PathBuf};

use super::parse::{Problems, Table};

/// Where a secret comes from; the value itself never sits in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    /// Already absolute or resolved against the pipeline file's directory.
    File(PathBuf),
}

/// Why a secret could not be read. Names the variable or file, never the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {var} is not set")]
    EnvNotSet { var: String },
    #[error("environment variable {var} is set but empty")]
    EnvEmpty { var: String },
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode { var: String },
    #[error("cannot read secret file {path}")]
    FileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secret file {path} is empty")]
    FileEmpty { path: PathBuf },
}

impl SecretRef {
    /// Reads the secret now, at connect time, so a rotated password is picked up by the
    /// next run without touching the pipeline file.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(value) if value.is_empty() => Err(SecretError::EnvEmpty { var: var.clone() }),
                Ok(value) => Ok(Secret(value)),
                Err(std::env::VarError::NotPresent) => {
                    Err(SecretError::EnvNotSet { var: var.clone() })
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(SecretError::EnvNotUnicode { var: var.clone() })
                }
            },
            SecretRef::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    SecretError::FileUnreadable {
                        path: path.clone(),
                        source,
                    }
                })?;
                // `echo pw > file` adds one newline (CRLF on Windows editors); any other
                // whitespace may be part of the password, so strip exactly one line end.
                let value = text
                    .strip_suffix("\r\n")
                    .or_else(|| text.strip_suffix('\n'))
                    .unwrap_or(&text);
                if value.is_empty() {
                    return Err(SecretError::FileEmpty { path: path.clone() });
                }
                Ok(Secret(value.to_owned()))
            }
        }
    }
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

/// A credential in a pipeline file: `<what>_env` or `<what>_file`, exactly one (a
/// missing one is reported); relative files are resolved against `base_dir`. Shared by
/// every kind with a credential (passwords, client secrets, API tokens).
pub fn parse_secret_ref(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    what: &str,
    example_var: &str,
) -> Option<SecretRef> {
    let env_key = format!("{what}_env");
    let file_key = format!("{what}_file");
    let env = t.string(p, &env_key);
    let file = t.string(p, &file_key);
    match (t.value(&env_key).is_some(), t.value(&file_key).is_some()) {
        (true, true) => {
            let span = t.span(&file_key);
            let message = format!("set either {env_key} or {file_key}, not both");
            p.report(span.as_ref(), t.key(&file_key), message, None);
            None
        }
        (false, false) => {
            let hint = Some(format!("{env_key} = \"{example_var}\", or {file_key} = \"secrets/{what}.txt\" (relative to this file)"));
            let message = format!("missing {env_key} or {file_key}");
            p.report(t.header(), t.key(&env_key), message, hint);
            None
        }
        (true, false) => {
            let var = env?;
            // A value that cannot be a variable name is most likely the secret itself,
            // pasted into the wrong key: say so without repeating it.
            let is_var_name = var.bytes().enumerate().all(|(i, b)| {
                b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit())
            });
            if !is_var_name {
                let span = t.span(&env_key);
                let message = format!("must be the name of an environment variable (letters, digits, _), not the {what} itself");
                let hint = Some(format!("{env_key} = \"{example_var}\""));
                p.report(span.as_ref(), t.key(&env_key), message, hint);
                return None;
            }
            Some(SecretRef::Env(var.to_owned()))
        }
        (false, true) => file.map(|file| SecretRef::File(base_dir.join(file))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test owns its variable name: tests run in parallel in one process.
    #[test]
    fn env_secret_resolves_and_never_prints() {
        let var = "USAGELAKE_TEST_SECRET_ENV_OK";
        std::env::set_var(var, "hunter2");
        let secret = SecretRef::Env(var.into()).resolve().unwrap();
        assert_eq!(secret.expose(), "hunter2");
        assert!(!format!("{secret:?} {secret}").contains("hunter2"));
    }

    #[test]
    fn unset_and_empty_env_vars_are_errors_naming_the_variable() {
        let unset = "USAGELAKE_TEST_SECRET_ENV_UNSET";
        let err = SecretRef::Env(unset.into()).resolve().unwrap_err();
        assert!(matches!(err, SecretError::EnvNotSet { .. }));
        assert!(err.to_string().contains(unset));

        let empty = "USAGELAKE_TEST_SECRET_ENV_EMPTY";
        std::env::set_var(empty, "");
        let err = SecretRef::Env(empty.into()).resolve().unwrap_err();
        assert!(matches!(err, SecretError::EnvEmpty { .. }));
    }

    #[test]
    fn file_secret_strips_exactly_one_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("lf", "pw\n", "pw"),
            ("crlf", "pw\r\n", "pw"),
            ("two", "pw \n\n", "pw \n"),
            ("none", "pw", "pw"),
        ];
        for (name, content, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let secret = SecretRef::File(path).resolve().unwrap();
            assert_eq!(secret.expose(), expected, "case {name}");
        }
    }

    #[test]
    fn missing_or_empty_file_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pw");
        let err = SecretRef::File(missing.clone()).resolve().unwrap_err();
        assert!(err.to_string().contains(&missing.display().to_string()));

        let empty = dir.path().join("empty.pw");
        std::fs::write(&empty, "\n").unwrap();
        let err = SecretRef::File(empty).resolve().unwrap_err();
        assert!(matches!(err, SecretError::FileEmpty { .. }));
    }
}
