//! Helpers for tests of pipeline files (the document and every kind's section).

use std::path::Path;

use super::{parse_pipeline, Pipeline};
use crate::config::{ConfigErrors, ConfigProblem};

pub(crate) const FILE: &str = "/etc/usagelake/p.toml";

pub(crate) fn parse(text: &str) -> Pipeline {
    parse_pipeline(text, Path::new(FILE))
        .unwrap_or_else(|errors| panic!("unexpected problems:\n{errors}"))
}

pub(crate) fn errors(text: &str) -> ConfigErrors {
    match parse_pipeline(text, Path::new(FILE)) {
        Ok(pipeline) => panic!("expected problems, parsed {pipeline:?}"),
        Err(errors) => errors,
    }
}

/// (line, key) of every problem, in reported order.
pub(crate) fn places(text: &str) -> Vec<(usize, String)> {
    errors(text)
        .problems
        .into_iter()
        .map(|p| (p.line, p.key))
        .collect()
}

/// The single problem a text produces.
pub(crate) fn only_problem(text: &str) -> ConfigProblem {
    let mut errors = errors(text);
    assert_eq!(
        errors.problems.len(),
        1,
        "expected one problem, got:\n{errors}"
    );
    errors.problems.remove(0)
}
