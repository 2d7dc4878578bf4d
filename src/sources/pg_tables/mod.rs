//! Reading PostgreSQL tables into the lake, shared by the source kinds that do
//! (a BI repository now, any PostgreSQL table next): the batch pump from a COPY stream into a
//! lake writer, watermark statistics, the key range of a local day, purge gaps, the
//! snapshot session opened from a source's connection keys, and `check --connect` lines.
//! Knows table specs (`crate::postgres`), never a particular product.

pub mod check;
pub mod coverage;
pub mod event_stats;
pub mod key_locator;
pub mod pump;
pub mod session;
