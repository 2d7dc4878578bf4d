//! Errors of the usage reports. The `is_usage` ones are the user's to fix (exit 2): an
//! unknown user or site, an empty range, a dataset the lake does not hold.

use std::path::PathBuf;

use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("--from {from} is after --to {to}")]
    BackwardsRange { from: NaiveDate, to: NaiveDate },
    #[error("the lake holds no {what} between {from} and {to}{held}")]
    EmptyRange {
        what: String,
        from: NaiveDate,
        to: NaiveDate,
        /// ", it holds 2026-11-01 … 2026-11-08" when it holds some other days.
        held: String,
    },
    #[error("the lake has no `{source_name}/{dataset}` ({path}){hint}")]
    MissingDataset {
        source_name: String,
        dataset: String,
        path: PathBuf,
        hint: &'static str,
    },
    #[error("the pipeline has no {kind} source{hint}")]
    NoSource { kind: String, hint: String },
    #[error("unknown user `{user}`: no account of that name in the lake{hint}")]
    UnknownUser { user: String, hint: String },
    #[error("unknown site `{site}`; the lake knows {known}")]
    UnknownSite { site: String, known: String },
    #[error("{0}")]
    BadArgument(String),
    #[error("reading {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReportError {
    /// No `what` in `from..=to`; `spans` names what the lake does hold (`"src days A … B"`).
    pub fn empty_range(what: &str, from: NaiveDate, to: NaiveDate, spans: &[String]) -> Self {
        let held = if spans.is_empty() {
            "; it holds none at all (has `usagelake run` written it yet?)".to_string()
        } else {
            format!("; it holds {}", spans.join(", "))
        };
        ReportError::EmptyRange {
            what: what.to_string(),
            from,
            to,
            held,
        }
    }

    /// Errors the user fixes by changing the command line (exit code 2).
    pub fn is_usage_error(&self) -> bool {
        !matches!(self, ReportError::Read { .. } | ReportError::Write { .. })
    }

    pub(super) fn read(path: &std::path::Path) -> impl Fn(String) -> ReportError + '_ {
        move |message| ReportError::Read {
            path: path.to_path_buf(),
            message,
        }
    }
}
