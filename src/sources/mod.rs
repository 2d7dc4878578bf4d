//! Source kinds, one folder each.

pub mod events;
