//! Transform stage: turns raw extracted tables into the datasets analysts read.
//!
//! `content` owns the rules that map an `http_requests` row to the view, workbook or data
//! source it is about (issue 5); the joins that use its lookup keys live next to it.

pub mod content;
