//! Pipeline stage: what to extract, state and watermarks, the run itself, progress.
