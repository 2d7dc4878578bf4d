//! The skeleton every lake-writing command shares: check the request, take the lock,
//! do the work, record the ledger entry (success or failure), build the summary.

use chrono::{DateTime, Utc};

use crate::days::DateRange;
use crate::load::lock::{LockScope, RunLock};
use crate::load::LakeLayout;
use crate::pipeline::ledger::{self, LedgerEntry};
use crate::pipeline::Pipeline;
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
    /// then returns the outcome's error or the summary. Datasets that failed while the
    /// others went on (their summary has an `error`) fail the run with
    /// [`RunError::DatasetsFailed`], once everything that could run has run.
    pub fn finish(
        self,
        pipeline: &Pipeline,
        range: Option<DateRange>,
        sources: Vec<SourceSummary>,
        outcome: Result<(), RunError>,
    ) -> Result<RunSummary, RunError> {
        let summary = RunSummary {
            run_id: self.run_id.clone(),
            pipeline: pipeline.path.display().to_string(),
            lake_root: self.layout.root.display().to_string(),
            started_at: self.started.to_rfc3339(),
            finished_at: Utc::now().to_rfc3339(),
            range: range.map(|r| format!("{}..{}", r.from, r.to)),
            sources,
        };
        let failures = summary.failures();
        let outcome = match outcome {
            Ok(()) if !failures.is_empty() => Err(RunError::DatasetsFailed {
                failures,
                summary: Box::new(summary.clone()),
            }),
            other => other,
        };
        ledger::record_logged(
            &self.layout,
            &LedgerEntry {
                run_id: &self.run_id,
                pipeline: pipeline.path.display().to_string(),
                command: self.command,
                started: self.started,
                finished: Utc::now(),
                range,
                sources: &summary.sources,
                error: outcome.as_ref().err().map(|e| e as _),
            },
        );
        // A finished command leaves no staging behind (its own, its days', the derived
        // datasets' rebuild), failed or not: nothing it staged and did not publish will
        // ever be published.
        if let Err(e) = crate::load::end_run(&self.layout, &self.run_id) {
            tracing::warn!(error = %e, "could not remove this run's staging dirs");
        }
        outcome?;
        Ok(summary)
    }
}

/// `<UTC start>-<pid>-<8 random hex digits>`: sorts by time; unique across machines
/// sharing one lake even in the same second with the same pid (containers are often
/// pid 1), which the pid alone is not. Names staging dirs, ledger files, data files.
fn new_run_id(started: DateTime<Utc>) -> String {
    format!(
        "{}-{}-{:08x}",
        started.format("%Y%m%dT%H%M%SZ"),
        std::process::id(),
        rand::random::<u32>()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn run_ids_started_in_the_same_second_by_the_same_pid_differ() {
        let at = Utc.with_ymd_and_hms(2026, 3, 8, 1, 2, 3).unwrap();
        let ids: std::collections::BTreeSet<String> = (0..50).map(|_| new_run_id(at)).collect();
        assert_eq!(ids.len(), 50);
        assert!(ids.iter().all(|id| id.starts_with("20260308T010203Z-")));
    }
}
