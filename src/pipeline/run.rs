//! One run of a pipeline: recover the lake, run each source, record the summary.
//!
//! Ordering is what makes a crash harmless: data files are durable and published
//! before the state that covers them is written, and every event partition merges by
//! key, so a rerun after a crash at any point re-reads and adds only what is missing.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::{Pipeline, Source};
use crate::extract::tableau;
use crate::load::{fsutil, LakeLayout};
use crate::pipeline::arcgis::run_arcgis;
use crate::pipeline::ledger::{self, LedgerEntry};
use crate::pipeline::lock::{LockScope, RunLock};
use crate::pipeline::progress::Progress;
use crate::pipeline::tableau::run_tableau;
use crate::pipeline::{RunError, RunSummary, SourceSummary};

/// Inclusive local dates in the pipeline's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// `[from 00:00, to+1 00:00)` local, as UTC microseconds. Local midnight can fall in
    /// a DST gap in a few zones; the earliest valid instant after it is used then.
    pub fn to_utc_micros(&self, tz: Tz) -> (i64, i64) {
        let start = local_midnight_utc(tz, self.from);
        let end = local_midnight_utc(tz, self.to.succ_opt().unwrap_or(self.to));
        (start, end)
    }
}

fn local_midnight_utc(tz: Tz, date: NaiveDate) -> i64 {
    let mut t = date.and_time(NaiveTime::MIN);
    loop {
        if let Some(instant) = tz.from_local_datetime(&t).earliest() {
            return instant.timestamp_micros();
        }
        t += chrono::Duration::minutes(15);
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Only these datasets; empty means every dataset of every source.
    pub datasets: Vec<String>,
    /// Re-extract event tables for these local dates instead of running incrementally.
    pub range: Option<DateRange>,
}

pub async fn run_pipeline(
    pipeline: &Pipeline,
    request: &RunRequest,
    progress: &Progress,
) -> Result<RunSummary, RunError> {
    let started = Utc::now();
    let run_id = new_run_id(started);
    let layout = LakeLayout {
        root: pipeline.output.root.clone(),
    };
    check_requested_datasets(pipeline, request)?;
    // Before anything touches the lake, recovery included (see pipeline::lock).
    let _lock = RunLock::acquire(&layout, LockScope::Lake, "run", &pipeline.path)?;

    let mut sources = Vec::new();
    let outcome = run_sources(pipeline, request, progress, &layout, &run_id, &mut sources).await;
    ledger::record_logged(
        &layout,
        &LedgerEntry {
            run_id: &run_id,
            pipeline: pipeline.path.display().to_string(),
            command: "run",
            started,
            finished: Utc::now(),
            range: request.range,
            sources: &sources,
            error: outcome.as_ref().err().map(|e| e as _),
        },
    );
    outcome?;

    let summary = RunSummary {
        run_id,
        pipeline: pipeline.path.display().to_string(),
        lake_root: layout.root.display().to_string(),
        started_at: started.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        range: request.range.map(|r| format!("{}..{}", r.from, r.to)),
        sources,
    };
    save_summary(&layout, &summary);
    Ok(summary)
}

/// `<UTC start>-<pid>`: sorts by time, unique per host and second.
pub(crate) fn new_run_id(started: DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        started.format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

/// Recovery, then every source in turn; `sources` keeps what finished even on failure,
/// for the ledger.
async fn run_sources(
    pipeline: &Pipeline,
    request: &RunRequest,
    progress: &Progress,
    layout: &LakeLayout,
    run_id: &str,
    sources: &mut Vec<SourceSummary>,
) -> Result<(), RunError> {
    crate::load::recover(layout).map_err(RunError::Recover)?;
    for source in &pipeline.sources {
        let summary = match source {
            Source::Tableau(tableau_source) => {
                run_tableau(pipeline, tableau_source, request, layout, run_id, progress).await?
            }
            Source::Arcgis(arcgis_source) => {
                run_arcgis(pipeline, arcgis_source, request, layout, run_id, progress).await?
            }
            Source::Events(events_source) => {
                crate::sources::events::run_events(pipeline, events_source, layout, run_id)
                    .map_err(|e| RunError::Events(Box::new(e)))?
            }
        };
        sources.push(summary);
    }
    crate::load::end_run(layout, run_id).map_err(RunError::Recover)
}

pub(crate) fn check_requested_datasets(
    pipeline: &Pipeline,
    request: &RunRequest,
) -> Result<(), RunError> {
    let known: Vec<&str> = pipeline
        .sources
        .iter()
        .flat_map(|s| selected_datasets(s, &[]))
        .collect();
    for wanted in &request.datasets {
        if !known.contains(&wanted.as_str()) {
            return Err(RunError::UnknownDataset {
                dataset: wanted.clone(),
                known: known.join(", "),
            });
        }
    }
    Ok(())
}

/// The datasets a source runs: its configured list (default all), narrowed by `--dataset`.
pub(crate) fn selected_datasets<'a>(source: &'a Source, requested: &'a [String]) -> Vec<&'a str> {
    let configured: Vec<&str> = match source {
        Source::Tableau(t) => match &t.datasets {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => tableau::DATASETS.to_vec(),
        },
        Source::Arcgis(a) => a.datasets(),
        Source::Events(_) => crate::sources::events::DATASETS.to_vec(),
    };
    configured
        .into_iter()
        .filter(|d| requested.is_empty() || requested.iter().any(|r| r == d))
        .collect()
}

fn save_summary(layout: &LakeLayout, summary: &RunSummary) {
    let path = layout
        .root
        .join("_usagelake")
        .join("runs")
        .join(format!("{}.json", summary.run_id));
    let result = std::fs::create_dir_all(path.parent().expect("has parent")).and_then(|_| {
        let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
        fsutil::atomic_write(&path, &json)
    });
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not save the run summary");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_range_covers_local_days_across_dst() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let range = DateRange {
            from: NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        };
        let (from, to) = range.to_utc_micros(tz);
        // 2026-03-08 00:00 EST = 05:00Z; 2026-03-09 00:00 EDT = 04:00Z (a 23-hour day).
        assert_eq!(
            from,
            Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0)
                .unwrap()
                .timestamp_micros()
        );
        assert_eq!(
            to,
            Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0)
                .unwrap()
                .timestamp_micros()
        );
    }
}
