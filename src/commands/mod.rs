//! Runs a parsed command line. The only place that turns stage errors into `anyhow`.

mod ops;

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CheckArgs, Cli, Command, LogFormat, ReportCommand, RunArgs};
use crate::config::ConfigErrors;
use crate::days::DateRange;
use crate::pipeline::{load_pipeline, run_pipeline, RunRequest};
use crate::progress::Progress;
use crate::sources::RunError;

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let show_progress = !cli.output.quiet && cli.output.log_format == LogFormat::Text;
    let progress = Progress::new(show_progress);
    // One thread for all async work: tokio-postgres hands every socket read (~8 KB) from
    // its connection task to the COPY decoder, and on a multi-threaded runtime each
    // hand-off is a cross-core wake-up (~50k per 1M requests). On one thread it is a
    // task switch: `usagelake bench`, 1M rows, 1.33× → 1.04× the COPY floor. CPU-heavy
    // stages run off this thread anyway (the Parquet writer in `spawn_blocking`, the
    // polars transform on a thread of its own, see `transform::rebuild`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let quiet = cli.output.quiet;
    runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run_command(&args, &progress, quiet).await,
            Command::Check(args) => check_command(&args, quiet).await,
            Command::Demo(args) => crate::demo::run(&args, &progress, quiet).await,
            // Operations commands (status, backfill, plan) live in `ops`.
            Command::Status(args) => return ops::status_command(&args).await,
            Command::Backfill(args) => ops::backfill_command(&args, &progress, quiet).await,
            Command::Plan(args) => ops::plan_command(&args).await,
            Command::Report(
                command @ (ReportCommand::CurrentUsers(_)
                | ReportCommand::Sessions(_)
                | ReportCommand::Concurrency(_)),
            ) => crate::report::sessions_output::run(&command),
            // Reads Parquet on threads of its own: off the async runtime.
            Command::Report(command) => {
                tokio::task::spawn_blocking(move || crate::report::usage::run(&command))
                    .await
                    .context("the report thread panicked")?
            }
            // Synchronous (subprocesses and psql): off the async workers.
            Command::Bench(args) => {
                tokio::task::spawn_blocking(move || crate::sources::bench::run(&args, quiet))
                    .await
                    .context("the benchmark thread panicked")?
            }
        }
        .map(|()| ExitCode::SUCCESS)
    })
}

/// 2 for bad arguments or pipeline files, 1 for everything that failed while running.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let is_usage = error.chain().any(|cause| {
        cause.is::<ConfigErrors>()
            || cause.is::<UsageError>()
            || cause
                .downcast_ref::<crate::report::usage::ReportError>()
                .is_some_and(crate::report::usage::ReportError::is_usage_error)
            || cause
                .downcast_ref::<RunError>()
                .is_some_and(RunError::is_usage_error)
    });
    if is_usage {
        2
    } else {
        1
    }
}

async fn run_command(args: &RunArgs, progress: &Progress, quiet: bool) -> anyhow::Result<()> {
    let pipeline = load_pipeline(&args.pipeline)?;
    match (args.from, args.to) {
        (Some(from), Some(to)) if from > to => {
            return Err(UsageError(format!("--from {from} is after --to {to}")).into())
        }
        (Some(from), Some(to)) => {
            // A date-range run is a backfill: index-backed reads, resumable, same guarantees.
            let range = DateRange { from, to };
            return ops::backfill_range(&pipeline, range, &args.datasets, progress, quiet).await;
        }
        _ => {}
    }
    let request = RunRequest {
        datasets: args.datasets.clone(),
        new_key_generation: args.new_key_generation.clone(),
    };
    let summary = match run_pipeline(&pipeline, &request, progress).await {
        Ok(summary) => summary,
        Err(error) => {
            // Some datasets failed, the others ran: show what they did, then fail.
            if let (RunError::DatasetsFailed { summary, .. }, false) = (&error, quiet) {
                print!("{}", summary.to_table());
            }
            return Err(error.into());
        }
    };
    tracing::info!(run_id = %summary.run_id, rows_written = summary.rows_written(), "run finished");
    if !quiet {
        print!("{}", summary.to_table());
    }
    Ok(())
}

async fn check_command(args: &CheckArgs, quiet: bool) -> anyhow::Result<()> {
    let pipeline = load_pipeline(&args.pipeline)?;
    if !quiet {
        println!(
            "{}: valid ({} source(s))",
            args.pipeline.display(),
            pipeline.sources.len()
        );
    }
    if !args.connect {
        return Ok(());
    }
    let mut problems = 0;
    for source in &pipeline.sources {
        problems += source.check_connect(quiet).await?;
    }
    if problems > 0 {
        anyhow::bail!("{problems} dataset(s) cannot be read");
    }
    Ok(())
}
