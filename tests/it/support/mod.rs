//! Fixtures shared by the integration tests.

pub mod cli;
pub mod indico_lake;
pub mod lake;
pub mod people_lake;
pub mod pg;
pub mod portal_lake;
pub mod report_lake;
pub mod wait;

#[allow(unused_imports)]
pub use pg::TestDb;
