//! Command-line definitions (clap). Nothing here runs anything.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod report;

pub use report::{
    AdoptionArgs, ContentArgs, CurrentUsersArgs, HtmlArgs, InactiveUsersArgs, IndicoChangelogArgs,
    IndicoSnapshotArgs, IndicoSummaryArgs, LoginsArgs, MaintenanceWindowArgs, OutputFormat,
    ReportCommand, ReportDays, ReportOutput, SessionScope, SessionsArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "usagelake",
    version,
    about = "Keeps a complete, never-lossy history of who used what on Tableau Server and ArcGIS, as Hive-partitioned Parquet",
    after_help = "Exit codes: 0 success, 1 run failed (or another run holds the lake lock), 2 bad arguments or pipeline file, 3 `status` found a coverage gap."
)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print only errors (no progress, no summary).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More detail in logs (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Log format on stderr; `json` is one object per line, for batch schedulers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The nightly job: incremental extract of every dataset in the pipeline.
    Run(RunArgs),
    /// Validate a pipeline file (every problem at once); --connect also checks the sources.
    Check(CheckArgs),
    /// Run the whole job offline on generated sources: a private PostgreSQL and local
    /// fakes of the platforms' APIs.
    Demo(DemoArgs),
    /// Per dataset: last run, watermark, lag, lake rows, coverage gaps (exit 3 on a gap).
    Status(StatusArgs),
    /// Re-extract event datasets over a date range, day by day, resumable.
    Backfill(BackfillArgs),
    /// Split a long backfill into shard commands of similar size (for several machines).
    Plan(PlanArgs),
    /// Reports from the lake (never the sources): inactive users, content, adoption,
    /// maintenance windows, logins, an HTML page of them, and who is logged in (sessions).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Developer benchmark: times `run` against a generated http_requests table and the
    /// COPY floor (see benches/README.md).
    #[command(hide = true)]
    Bench(BenchArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Do not count event days without rows as gaps (quiet servers, weekends).
    #[arg(long)]
    pub ignore_empty_days: bool,
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only these event datasets (repeatable); default: every event dataset.
    #[arg(long = "dataset", value_name = "NAME")]
    pub datasets: Vec<String>,
    /// Print the plan (per day: source rows, lake rows, availability) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Days extracted at once, each on its own source connection.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,
    /// Output of --dry-run.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Number of shards (at most one per day).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub shards: u16,
    /// Only these event datasets (repeatable).
    #[arg(long = "dataset", value_name = "NAME")]
    pub datasets: Vec<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    /// Only these datasets (repeatable); default: all datasets of every source.
    #[arg(long = "dataset", value_name = "NAME")]
    pub datasets: Vec<String>,
    /// Re-extract event tables from this date (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, requires = "to", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Re-extract event tables up to this date (inclusive).
    #[arg(long, requires = "from", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// After the source's ids restarted (restore, rebuild, TRUNCATE … RESTART IDENTITY):
    /// archive this event dataset again in a new key generation, keeping colliding ids
    /// apart (repeatable). See README, "When ids restart".
    #[arg(long, value_name = "DATASET", conflicts_with = "from")]
    pub new_key_generation: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    /// Also connect to each source and check the tables and columns it needs.
    #[arg(long)]
    pub connect: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo lake is written.
    #[arg(long, default_value = "usagelake-demo")]
    pub out: PathBuf,
    /// Keep the demo PostgreSQL running after the run (until Ctrl-C) so you can query it.
    #[arg(long)]
    pub keep: bool,
    /// http_requests rows to generate.
    #[arg(long, default_value_t = 100_000)]
    pub requests: u32,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// http_requests rows to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Repetitions of every variant.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Days the rows are spread over (one partition each).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Lakes, logs and the PostgreSQL data dir (kept: a rerun of the same size reuses it).
    #[arg(long, default_value = "usagelake-bench")]
    pub work_dir: PathBuf,
    /// Also time DuckDB and ConnectorX (benches/peers/*.py) where they are installed.
    #[arg(long)]
    pub peers: bool,
    /// Python interpreter for --peers.
    #[arg(long, default_value = "python3")]
    pub python: String,
    #[arg(long, value_enum, default_value_t = BenchFormat::Table)]
    pub format: BenchFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Table,
    Json,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a date like 2026-03-08"))
}
