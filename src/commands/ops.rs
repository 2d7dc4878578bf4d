//! The operations commands (`status`, `backfill`, `plan`): argument checks, printing
//! and exit codes. The work itself is in `pipeline::{backfill, plan}` and
//! `report::status`.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use super::UsageError;
use crate::cli::{BackfillArgs, PlanArgs, ReportFormat, StatusArgs};
use crate::config::{self, Pipeline};
use crate::days::DateRange;
use crate::pipeline::backfill::{backfill, BackfillRequest};
use crate::pipeline::plan::{plan_days, split_shards};
use crate::progress::Progress;
use crate::sources::plan::{Availability, DayPlan};

/// `status` found data the source purged before we archived it (or an empty day).
pub const EXIT_GAP: u8 = 3;

pub async fn status_command(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let pipeline = config::load_pipeline(&args.pipeline)?;
    let status = crate::report::status::status(&pipeline).await?;
    match args.format {
        ReportFormat::Table => emit(&status.to_table()),
        ReportFormat::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&status)?)),
    }
    if status.is_any_unreachable() {
        // The lake-side facts are printed; the coverage check is incomplete.
        anyhow::bail!("a source could not be reached, so coverage gaps were not checked for it");
    }
    Ok(if status.has_gap(args.ignore_empty_days) {
        ExitCode::from(EXIT_GAP)
    } else {
        ExitCode::SUCCESS
    })
}

fn date_range(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<DateRange, UsageError> {
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")));
    }
    Ok(DateRange { from, to })
}

pub async fn backfill_command(
    args: &BackfillArgs,
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<()> {
    let pipeline = config::load_pipeline(&args.pipeline)?;
    let range = date_range(args.from, args.to)?;
    if !args.dry_run {
        let request = BackfillRequest {
            range,
            datasets: args.datasets.clone(),
            jobs: usize::from(args.jobs),
        };
        return run_backfill(&pipeline, &request, progress, quiet).await;
    }
    let days = plan_days(&pipeline, range, &args.datasets).await?;
    match args.format {
        ReportFormat::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&days)?)),
        ReportFormat::Table => emit(&dry_run_table(&days)),
    }
    Ok(())
}

/// `run --from/--to` is a one-job backfill.
pub async fn backfill_range(
    pipeline: &Pipeline,
    range: DateRange,
    datasets: &[String],
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<()> {
    let request = BackfillRequest {
        range,
        datasets: datasets.to_vec(),
        jobs: 1,
    };
    run_backfill(pipeline, &request, progress, quiet).await
}

async fn run_backfill(
    pipeline: &Pipeline,
    request: &BackfillRequest,
    progress: &Progress,
    quiet: bool,
) -> anyhow::Result<()> {
    let summary = backfill(pipeline, request, progress).await?;
    tracing::info!(run_id = %summary.run_id, rows_written = summary.rows_written(), "backfill finished");
    if !quiet {
        print!("{}", summary.to_table());
    }
    Ok(())
}

fn dry_run_table(days: &[DayPlan]) -> String {
    use std::collections::BTreeSet;
    use std::fmt::Write as _;
    let mut out = format!(
        "{:<24} {:<32} {:>12} {:>12}  source can provide\n",
        "partition", "source/dataset", "source rows", "lake rows"
    );
    let mut lost = Vec::new();
    // Listed once below rather than on every day.
    let mut not_backfillable = BTreeSet::new();
    let (mut known, mut unknown_days, mut unknown_lake_rows) = (0u64, 0usize, 0u64);
    for day in days {
        for d in &day.datasets {
            let name = format!("{}/{}", d.source, d.dataset);
            let availability = match d.source_can_provide {
                Availability::All => "all",
                Availability::Part => "part (oldest day it holds)",
                Availability::None => "NONE (purged)",
                Availability::NotBackfillable => {
                    not_backfillable.insert(name);
                    continue;
                }
            };
            let source_rows = match d.source_rows {
                Some(rows) => {
                    known += rows;
                    rows.to_string()
                }
                None => {
                    unknown_days += 1;
                    unknown_lake_rows += d.lake_rows;
                    "unknown".into()
                }
            };
            let _ = writeln!(
                out,
                "{:<24} {name:<32} {source_rows:>12} {:>12}  {availability}",
                day.partition, d.lake_rows,
            );
            if d.source_can_provide == Availability::None {
                lost.push(format!("{} {name}", day.date));
            }
        }
    }
    let _ = write!(
        out,
        "\n{} day(s), {known} source rows to re-read",
        days.len()
    );
    if unknown_days > 0 {
        // ArcGIS history pages carry no total: counting a day means reading it.
        let _ = write!(
            out,
            " plus {unknown_days} dataset-day(s) the source cannot count \
             (the lake holds {unknown_lake_rows} rows on them)"
        );
    }
    let _ = writeln!(out, "; nothing was written (--dry-run).");
    if !lost.is_empty() {
        let _ = writeln!(
            out,
            "The source can no longer provide: {} (only what the lake holds remains).",
            lost.join(", ")
        );
    }
    if !not_backfillable.is_empty() {
        let _ = writeln!(
            out,
            "Not backfillable (the portal knows members only as they are now): {}.",
            not_backfillable.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    out
}

#[derive(Debug, Serialize)]
struct Shard {
    shard: usize,
    from: String,
    to: String,
    days: usize,
    estimated_rows: u64,
    command: String,
}

#[derive(Debug, Serialize)]
struct ShardPlan {
    pipeline: String,
    from: String,
    to: String,
    estimated_rows: u64,
    shards: Vec<Shard>,
}

pub async fn plan_command(args: &PlanArgs) -> anyhow::Result<()> {
    let pipeline = config::load_pipeline(&args.pipeline)?;
    let range = date_range(args.from, args.to)?;
    let days = plan_days(&pipeline, range, &args.datasets).await?;
    let dates = range.days();
    let weights: Vec<u64> = days.iter().map(DayPlan::estimated_rows).collect();
    let shards = split_shards(&weights, usize::from(args.shards))
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let (from, to) = (dates[r.start], dates[r.end - 1]);
            let mut command = format!(
                "usagelake backfill {} --from {from} --to {to}",
                shell_word(&args.pipeline)
            );
            for dataset in &args.datasets {
                command.push_str(&format!(" --dataset {}", shell_word(Path::new(dataset))));
            }
            Shard {
                shard: i + 1,
                from: from.to_string(),
                to: to.to_string(),
                days: r.len(),
                estimated_rows: weights[r].iter().sum(),
                command,
            }
        })
        .collect();
    let plan = ShardPlan {
        pipeline: args.pipeline.display().to_string(),
        from: range.from.to_string(),
        to: range.to.to_string(),
        estimated_rows: weights.iter().sum(),
        shards,
    };
    match args.format {
        ReportFormat::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&plan)?)),
        ReportFormat::Table => emit(
            &plan
                .shards
                .iter()
                .map(|s| {
                    format!(
                        "# shard {} ({} days, ~{} rows)\n{}\n",
                        s.shard, s.days, s.estimated_rows, s.command
                    )
                })
                .collect::<String>(),
        ),
    }
    Ok(())
}

/// Reports go to stdout; a reader that stops early (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let is_plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if is_plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
