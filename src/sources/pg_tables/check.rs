//! The line `check --connect` prints for one table of a PostgreSQL kind.

use std::fmt::Display;

/// `ok (<what>)`, `NOT READABLE: …` (matched, but the probe read failed) or
/// `PROBLEM: …` (the table does not match as configured); the last two count in
/// `problems`.
pub fn table_line(
    checked: Result<Result<String, impl Display>, impl Display>,
    problems: &mut usize,
) -> String {
    match checked {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => {
            *problems += 1;
            format!("NOT READABLE: {e}")
        }
        Err(e) => {
            *problems += 1;
            format!("PROBLEM: {e}")
        }
    }
}
