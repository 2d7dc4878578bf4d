//! Reports read back from the lake (and, for coverage, the source): nothing here writes.

pub mod ledger_read;
pub mod sessions;
pub mod sessions_output;
pub mod status;
pub mod usage;
