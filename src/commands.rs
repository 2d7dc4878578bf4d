//! Runs a parsed command line. The only place that turns stage errors into `anyhow`.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CheckArgs, Cli, Command, LogFormat, RunArgs};
use crate::config::{self, ConfigErrors, Source};
use crate::extract::postgres::{PgSession, TableKind};
use crate::extract::tableau;
use crate::pipeline::progress::Progress;
use crate::pipeline::tableau::connect_options;
use crate::pipeline::{run_pipeline, DateRange, RunError, RunRequest};

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
            Command::Status(args) => return crate::ops::status_command(&args).await,
            Command::Backfill(args) => crate::ops::backfill_command(&args, &progress, quiet).await,
            Command::Plan(args) => crate::ops::plan_command(&args).await,
            Command::Report(command) => crate::report::sessions_output::run(&command),
            // Synchronous (subprocesses and psql): off the async workers.
            Command::Bench(args) => {
                tokio::task::spawn_blocking(move || crate::bench::run(&args, quiet))
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
    let pipeline = config::load_pipeline(&args.pipeline)?;
    let range = match (args.from, args.to) {
        (Some(from), Some(to)) if from > to => {
            return Err(UsageError(format!("--from {from} is after --to {to}")).into())
        }
        (Some(from), Some(to)) => Some(DateRange { from, to }),
        _ => None,
    };
    if let Some(range) = range {
        // A date-range run is a backfill: index-backed reads, resumable, same guarantees.
        return crate::ops::backfill_range(&pipeline, range, &args.datasets, progress, quiet).await;
    }
    let request = RunRequest {
        datasets: args.datasets.clone(),
        range,
    };
    let summary = run_pipeline(&pipeline, &request, progress).await?;
    tracing::info!(run_id = %summary.run_id, rows_written = summary.rows_written(), "run finished");
    if !quiet {
        print!("{}", summary.to_table());
    }
    Ok(())
}

async fn check_command(args: &CheckArgs, quiet: bool) -> anyhow::Result<()> {
    let pipeline = config::load_pipeline(&args.pipeline)?;
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
        let tableau_source = match source {
            Source::Tableau(tableau_source) => tableau_source,
            Source::Arcgis(arcgis_source) => {
                problems += crate::pipeline::arcgis::check_connect(arcgis_source, quiet).await;
                continue;
            }
            Source::Events(events_source) => {
                problems += crate::sources::events::check_files(events_source, quiet);
                continue;
            }
        };
        let options = connect_options(tableau_source)?;
        let mut session = PgSession::connect(&options)
            .await
            .with_context(|| format!("source `{}`", tableau_source.name))?;
        session.begin_snapshot().await?;
        let datasets: Vec<&str> = match &tableau_source.datasets {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => tableau::DATASETS.to_vec(),
        };
        for dataset in datasets {
            let spec = tableau::table_spec(dataset, tableau_source.include_incomplete_jobs)
                .expect("validated dataset name");
            let line = match session.resolve(&spec).await {
                Ok(None) => "absent on this server (optional, skipped)".to_string(),
                Ok(Some(table)) => {
                    // Reading the key bounds proves the table is readable, cheaply (index).
                    let readable = match &table.spec.kind {
                        TableKind::Event { .. } => session.key_bounds(&table).await.map(|_| ()),
                        TableKind::Snapshot => Ok(()),
                    };
                    match readable {
                        Ok(()) => format!(
                            "ok ({} columns, {} optional missing, {} unknown ignored)",
                            table.present.len(),
                            table.missing.len(),
                            table.ignored.len()
                        ),
                        Err(e) => {
                            problems += 1;
                            format!("NOT READABLE: {e}")
                        }
                    }
                }
                Err(e) => {
                    problems += 1;
                    format!("PROBLEM: {e}")
                }
            };
            if !quiet {
                println!("  {}/{dataset}: {line}", tableau_source.name);
            }
        }
        session.finish().await?;
    }
    if problems > 0 {
        anyhow::bail!("{problems} dataset(s) cannot be read");
    }
    Ok(())
}
