//! What a source run did, per dataset: part of the run summary and the ledger.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SourceSummary {
    pub name: String,
    pub datasets: Vec<DatasetSummary>,
    /// Derived datasets rebuilt after the extract, with the resolution report.
    pub transform: Option<crate::sources::tableau::enrich::TransformSummary>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DatasetSummary {
    pub name: String,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_already_present: u64,
    /// Partition folder name → rows written into it by this run.
    pub partitions: BTreeMap<String, u64>,
    pub watermark_before: Option<i64>,
    pub watermark_after: Option<i64>,
    pub seconds: f64,
    /// Why the dataset was skipped (e.g. table absent on this server version).
    pub skipped: Option<String>,
    /// Server columns the spec does not know (ignored, reported once).
    pub ignored_columns: Vec<String>,
    /// Optional spec columns the server lacks (written as typed NULLs).
    pub missing_columns: Vec<String>,
    /// Things an operator should know, e.g. rows the source purged before we copied them.
    pub warnings: Vec<String>,
    /// Share of rows an enrichment resolved (e.g. requests → content); None where none ran.
    pub resolution_rate: Option<f64>,
}
