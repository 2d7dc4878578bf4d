//! Reading PostgreSQL tables into the lake, shared by the source kinds that do
//! (`tableau` now, any-table `postgres` next): the batch pump from a COPY stream into a
//! lake writer, watermark statistics, the key range of a local day, and purge gaps.
//! Knows table specs (`crate::postgres`), never a particular product.

pub mod coverage;
pub mod event_stats;
pub mod key_locator;
pub mod pump;
