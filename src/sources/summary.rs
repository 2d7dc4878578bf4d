//! What a source run did, per dataset: part of the run summary and the ledger.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::{PartitionInfo, WriteSummary};
use crate::transform::sessions::{SessionsSummary, SESSIONS};

#[derive(Debug, Clone, Serialize)]
pub struct SourceSummary {
    pub name: String,
    pub datasets: Vec<DatasetSummary>,
    /// Derived datasets the kind rebuilt after the extract, in its own terms.
    pub transform: Option<DerivedSummary>,
    /// Why the source failed as a whole (connecting, its session, or an error that
    /// stopped it), with its causes; the sources after it still ran. Datasets that
    /// failed on their own carry their `error` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SourceSummary {
    /// A source whose run returned `error`: what it stored before failing is committed
    /// and covered by its state, but its per-dataset counts are not known.
    pub fn failed(name: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        SourceSummary {
            name: name.to_string(),
            datasets: Vec::new(),
            transform: None,
            error: Some(crate::sources::status::error_chain(error)),
        }
    }
}

/// What a source kind rebuilt from its raw datasets after the extract (an enriched log,
/// daily seeds, its enrichment's resolution report), in the kind's own terms: the rest
/// of the program only prints it and stores it in the run summary.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct DerivedSummary {
    /// The kind's account as JSON, as it appears in the run summary file.
    details: serde_json::Value,
    /// Printed after the run table.
    #[serde(skip)]
    text: String,
}

impl DerivedSummary {
    pub fn new(text: String, details: &impl Serialize) -> Self {
        DerivedSummary {
            // A summary of plain numbers and strings always converts.
            details: serde_json::to_value(details).unwrap_or(serde_json::Value::Null),
            text,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
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
    /// Why the dataset failed (the error and its causes); the other datasets still ran.
    /// Counts and watermarks above say what it stored before failing.
    pub error: Option<String>,
}

impl DatasetSummary {
    /// A dataset written through a `DatasetWriter`: its rows and partitions.
    pub fn written(name: String, written: WriteSummary) -> Self {
        DatasetSummary {
            name,
            rows_read: written.rows_in,
            rows_written: written.rows_written,
            rows_already_present: written.rows_already_present,
            partitions: written.partitions,
            ..DatasetSummary::default()
        }
    }

    /// Completes a summary made while reading with what publishing its rows wrote.
    pub fn set_written(&mut self, written: WriteSummary) {
        self.rows_read = written.rows_in;
        self.rows_written = written.rows_written;
        self.rows_already_present = written.rows_already_present;
        self.partitions = written.partitions;
    }

    /// Counts a derived day rebuilt from the raw `partition`: `rows` written into it.
    pub fn add_rebuilt(&mut self, partition: &PartitionInfo, rows: u64) {
        self.rows_read += partition.rows;
        self.rows_written += rows;
        self.partitions.insert(partition.name.clone(), rows);
    }

    /// The `sessions` dataset after a rebuild: events read, sessions written, and each
    /// day replaced or removed.
    pub fn sessions(rebuilt: &SessionsSummary) -> Self {
        DatasetSummary {
            name: SESSIONS.into(),
            rows_read: rebuilt.events,
            rows_written: rebuilt.sessions,
            partitions: rebuilt
                .days_rewritten
                .iter()
                .map(|d| (format!("event_date={d}"), 0))
                .collect(),
            seconds: rebuilt.seconds,
            ..DatasetSummary::default()
        }
    }
}

impl DatasetSummary {
    /// `ok`, `failed` or `skipped`.
    pub fn status(&self) -> &'static str {
        if self.error.is_some() {
            "failed"
        } else if self.skipped.is_some() {
            "skipped"
        } else {
            "ok"
        }
    }
}
