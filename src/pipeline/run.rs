//! One incremental run of a pipeline: recover the lake, run each source, record the
//! summary.
//!
//! Ordering is what makes a crash harmless: data files are durable and published
//! before the state that covers them is written, and every event partition merges by
//! key, so a rerun after a crash at any point re-reads and adds only what is missing.

use crate::config::Pipeline;
use crate::load::lock::LockScope;
use crate::load::LakeLayout;
use crate::pipeline::skeleton::RunStart;
use crate::pipeline::RunSummary;
use crate::progress::Progress;
use crate::sources::{RunContext, RunError, SourceContext, SourceSummary};

#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Only these datasets; empty means every dataset of every source.
    pub datasets: Vec<String>,
}

pub async fn run_pipeline(
    pipeline: &Pipeline,
    request: &RunRequest,
    progress: &Progress,
) -> Result<RunSummary, RunError> {
    let run = RunStart::begin(pipeline, "run", LockScope::Lake, &request.datasets)?;
    let ctx = RunContext {
        source: SourceContext::new(pipeline, &run.layout, &request.datasets),
        run_id: &run.run_id,
        progress,
    };
    let mut sources = Vec::new();
    let outcome = run_sources(pipeline, &ctx, &mut sources).await;
    let layout = run.layout.clone();
    let summary = run.finish(pipeline, None, sources, outcome)?;
    save_summary(&layout, &summary);
    Ok(summary)
}

/// Recovery, then every source in turn; `sources` keeps what finished even on failure,
/// for the ledger.
async fn run_sources(
    pipeline: &Pipeline,
    ctx: &RunContext<'_>,
    sources: &mut Vec<SourceSummary>,
) -> Result<(), RunError> {
    let layout = ctx.source.layout;
    crate::load::recover(layout).map_err(RunError::Recover)?;
    for source in &pipeline.sources {
        sources.push(source.run(ctx).await?);
    }
    crate::load::end_run(layout, ctx.run_id).map_err(RunError::Recover)
}

fn save_summary(layout: &LakeLayout, summary: &RunSummary) {
    let path = layout.runs_dir().join(format!("{}.json", summary.run_id));
    let result = std::fs::create_dir_all(path.parent().expect("has parent")).and_then(|_| {
        let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
        crate::load::fsutil::atomic_write(&path, &json)
    });
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not save the run summary");
    }
}
