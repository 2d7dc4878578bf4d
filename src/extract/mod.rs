//! Extract stage: sources yield Arrow `RecordBatch` streams with a declared schema.

pub mod arcgis;
pub mod http;
pub mod postgres;
pub mod tableau;
