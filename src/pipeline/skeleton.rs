//! The skeleton every lake-writing command shares: check the request, take the lock,
//! do the work, record the ledger entry (success or failure), build the summary.

use chrono::{DateTime, Utc};

use crate::config::Pipeline;
use crate::days::DateRange;
use crate::load::lock::{LockScope, RunLock};
use crate::load::LakeLayout;
use crate::pipeline::ledger::{self, LedgerEntry};
use crate::pipeline::RunSummary;
use crate::sources::{RunError, SourceSummary};

/// A started run: its id, lake and lock (held until dropped).
pub(crate) struct RunStart {
    pub run_id: String,
    pub layout: LakeLayout,
    command: &'static str,
    started: DateTime<Utc>,
    _lock: RunLock,
}

impl RunStart {
    /// Checks the requested datasets and takes the lock, before anything touches the
    /// lake (recovery included, see `load::lock`).
    pub fn begin(
        pipeline: &Pipeline,
        command: &'static str,
        scope: LockScope,
        requested: &[String],
    ) -> Result<RunStart, RunError> {
        let started = Utc::now();
        let layout = LakeLayout::new(pipeline.output.root.clone());
        check_requested_datasets(pipeline, requested)?;
        let lock = RunLock::acquire(&layout, scope, command, &pipeline.path)?;
        Ok(RunStart {
            run_id: new_run_id(started),
            layout,
            command,
            started,
            _lock: lock,
        })
    }

    /// Records the ledger entry whatever the outcome (`sources` holds what finished),
    /// then returns the outcome's error or the summary.
    pub fn finish(
        self,
        pipeline: &Pipeline,
        range: Option<DateRange>,
        sources: Vec<SourceSummary>,
        outcome: Result<(), RunError>,
    ) -> Result<RunSummary, RunError> {
        ledger::record_logged(
            &self.layout,
            &LedgerEntry {
                run_id: &self.run_id,
                pipeline: pipeline.path.display().to_string(),
                command: self.command,
                started: self.started,
                finished: Utc::now(),
                range,
                sources: &sources,
                error: outcome.as_ref().err().map(|e| e as _),
            },
        );
        outcome?;
        Ok(RunSummary {
            run_id: self.run_id,
            pipeline: pipeline.path.display().to_string(),
            lake_root: self.layout.root.display().to_string(),
            started_at: self.started.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            range: range.map(|r| format!("{}..{}", r.from, r.to)),
            sources,
        })
    }
}

/// `<UTC start>-<pid>`: sorts by time, unique per host and second.
fn new_run_id(started: DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

fn check_requested_datasets(pipeline: &Pipeline, requested: &[String]) -> Result<(), RunError> {
    let known: Vec<&str> = pipeline.sources.iter().flat_map(|s| s.datasets()).collect();
    for wanted in requested {
        if !known.contains(&wanted.as_str()) {
            return Err(RunError::UnknownDataset {
                dataset: wanted.clone(),
                known: known.join(", "),
            });
        }
    }
    Ok(())
}
