//! `usagelake status`: per source and dataset, what the lake holds and whether anything
//! was lost. Lake-side facts come from state files, the ledger and Parquet footers only
//! (no data pages); each source kind adds what its source still holds
//! (`SourceConfig::status`). Writes nothing and takes no lock.

use std::fmt::Write as _;

use chrono::Utc;
use serde::Serialize;

use crate::config::Pipeline;
use crate::load::lock::{holders, LockHolder};
use crate::load::LakeLayout;
use crate::report::ledger_read::{last_runs, LastRuns};
use crate::sources::status::SourceStatus;
use crate::sources::SourceContext;

#[derive(Debug, Serialize)]
pub struct Status {
    pub pipeline: String,
    pub lake_root: String,
    pub checked_at: String,
    pub last_run: Option<LastRuns>,
    /// Processes writing to the lake right now.
    pub running: Vec<LockHolder>,
    pub sources: Vec<SourceStatus>,
}

impl Status {
    pub fn has_gap(&self, ignore_empty_days: bool) -> bool {
        self.sources.iter().flat_map(|s| &s.datasets).any(|d| {
            d.purged.is_some()
                || d.lost_span.is_some()
                || (!ignore_empty_days && !d.empty_days.is_empty())
        })
    }

    pub fn is_any_unreachable(&self) -> bool {
        self.sources.iter().any(|s| s.unreachable.is_some())
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "lake {} (pipeline {})", self.lake_root, self.pipeline);
        match &self.last_run {
            Some(runs) => {
                let _ = writeln!(out, "last run: {}", runs.last.describe());
                if let Some(ok) = runs
                    .last_ok
                    .as_ref()
                    .filter(|ok| ok.run_id != runs.last.run_id)
                {
                    let _ = writeln!(out, "last successful run: {}", ok.describe());
                }
            }
            None => {
                let _ = writeln!(out, "last run: none recorded in the ledger");
            }
        }
        for holder in &self.running {
            let _ = writeln!(out, "running now: {holder}");
        }
        let _ = writeln!(
            out,
            "\n{:<38} {:>12} {:>6} {:>21} {:>21} {:>8}  partitions",
            "source/dataset", "rows", "parts", "watermark", "newest event", "lag h"
        );
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        for source in &self.sources {
            if let Some(why) = &source.unreachable {
                problems.push(format!("source {} UNREACHABLE: {why}", source.name));
            }
            for d in &source.datasets {
                let name = format!("{}/{}", source.name, d.name);
                let span = match (&d.first_partition, &d.last_partition) {
                    (Some(a), Some(b)) => format!("{a} .. {b}"),
                    _ => "-".into(),
                };
                let _ = writeln!(
                    out,
                    "{name:<38} {:>12} {:>6} {:>21} {:>21} {:>8}  {span}",
                    d.lake_rows,
                    d.lake_partitions,
                    d.watermark_time
                        .clone()
                        .or(d.watermark.map(|w| w.to_string()))
                        .unwrap_or_else(|| "-".into()),
                    d.newest_event.as_deref().unwrap_or("-"),
                    d.lag_hours.map_or("-".into(), |h| format!("{h:.1}")),
                );
                if let Some(gap) = &d.purged {
                    problems.push(format!("GAP {name}: {}", gap.describe()));
                }
                if let Some(span) = &d.lost_span {
                    problems.push(format!("GAP {name}: {}", span.describe()));
                }
                notes.extend(d.notes.iter().map(|n| format!("note {name}: {n}")));
                if !d.empty_days.is_empty() {
                    problems.push(format!(
                        "GAP {name}: no rows on {} day(s) between days with rows: {}",
                        d.empty_days.len(),
                        d.empty_days.join(", ")
                    ));
                }
            }
        }
        out.push('\n');
        if problems.is_empty() {
            out.push_str("coverage: no gaps found\n");
        }
        for p in problems.iter().chain(&notes) {
            let _ = writeln!(out, "{p}");
        }
        out
    }
}

/// Lake-side facts always; source-side gaps for every source that answers.
pub async fn status(pipeline: &Pipeline) -> Result<Status, crate::load::LoadError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let ctx = SourceContext::new(pipeline, &layout, &[]);
    let now_us = Utc::now().timestamp_micros();
    let mut sources = Vec::new();
    for source in &pipeline.sources {
        sources.push(source.status(&ctx, now_us).await?);
    }
    Ok(Status {
        pipeline: pipeline.path.display().to_string(),
        // `root = "."` reads as `<dir>/.`; components() drops the trailing `.`.
        lake_root: layout
            .root
            .components()
            .collect::<std::path::PathBuf>()
            .display()
            .to_string(),
        checked_at: Utc::now().to_rfc3339(),
        last_run: last_runs(&layout),
        running: holders(&layout),
        sources,
    })
}
