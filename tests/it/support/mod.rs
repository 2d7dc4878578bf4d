//! Fixtures shared by the integration tests.

pub mod cli;
pub mod lake;
pub mod pg;
pub mod wait;

#[allow(unused_imports)]
pub use pg::TestDb;
