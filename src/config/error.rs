//! Config problems: what went wrong, where (file, line, dotted key) and how to fix it.
//!
//! Messages never carry a value that could be a secret: they name keys, types and
//! enumerated choices only.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    /// 1-based line of the offending key or value; for a missing key, the line of its
    /// table header. 0 when no line applies (unreadable file, missing top-level key).
    pub line: usize,
    /// Dotted path such as `sources[0].port`; empty for file-level problems.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one pipeline file, in file order, so a user fixes them all
/// in one edit instead of one per run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(line: usize, key: &str, hint: Option<&str>) -> ConfigProblem {
        ConfigProblem {
            file: PathBuf::from("pipelines/x.toml"),
            line,
            key: key.into(),
            message: "something is wrong".into(),
            hint: hint.map(Into::into),
        }
    }

    #[test]
    fn display_is_one_line_per_problem_with_indented_hints() {
        let errors = ConfigErrors {
            problems: vec![
                problem(12, "sources[0].port", Some("use 8060")),
                problem(0, "", None),
            ],
        };
        assert_eq!(
            errors.to_string(),
            "pipelines/x.toml:12: sources[0].port: something is wrong\n    hint: use 8060\n\
             pipelines/x.toml: something is wrong"
        );
    }
}
