//! Command-line definitions (clap). Nothing here runs anything.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

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

/// `usagelake report <name> <pipeline.toml> …`: one variant per report. A new report is
/// a variant here and one arm in `report::usage::build`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Every account with its license/role, last activity the lake knows and days since
    /// (accounts idle at least --days, or never seen): the license-reclamation list.
    InactiveUsers(InactiveUsersArgs),
    /// Tableau views and workbooks by distinct users and view loads, and stale content
    /// (no view load in the range).
    Content(ContentArgs),
    /// Active users per day, week or month, per platform and site.
    Adoption(AdoptionArgs),
    /// Active users per hour of the week, the quietest windows, who was active in one.
    MaintenanceWindow(MaintenanceWindowArgs),
    /// ArcGIS sign-ins (the login log) and Tableau users' first/last request per day.
    Logins(LoginsArgs),
    /// Indico: enabled and disabled users and users per app role, on an Indico day (the
    /// state at 23:59 UTC) or each day of a range.
    IndicoSummary(IndicoSummaryArgs),
    /// Indico: each user's app roles and dataset access on a day (or one user's).
    IndicoSnapshot(IndicoSnapshotArgs),
    /// Indico: role, dataset-access and enablement changes, newest first.
    IndicoChangelog(IndicoChangelogArgs),
    /// One self-contained HTML page with charts and tables (no network needed to view).
    Html(HtmlArgs),
    /// The users logged in at an instant (default now), per machine: `machine: user, user`.
    CurrentUsers(CurrentUsersArgs),
    /// Sessions that began (orphans: ended) on the local dates --from..--to.
    Sessions(SessionsArgs),
    /// Per machine and hour, the most sessions open at once.
    Concurrency(SessionsArgs),
}

impl ReportCommand {
    /// The output options of a table report; `None` for `html`, which writes a page.
    pub fn output(&self) -> Option<&ReportOutput> {
        match self {
            ReportCommand::InactiveUsers(a) => Some(&a.output),
            ReportCommand::Content(a) => Some(&a.output),
            ReportCommand::Adoption(a) => Some(&a.output),
            ReportCommand::MaintenanceWindow(a) => Some(&a.output),
            ReportCommand::Logins(a) => Some(&a.output),
            ReportCommand::IndicoSummary(a) => Some(&a.output),
            ReportCommand::IndicoSnapshot(a) => Some(&a.output),
            ReportCommand::IndicoChangelog(a) => Some(&a.output),
            ReportCommand::Html(_)
            | ReportCommand::CurrentUsers(_)
            | ReportCommand::Sessions(_)
            | ReportCommand::Concurrency(_) => None,
        }
    }

    pub fn pipeline(&self) -> &std::path::Path {
        match (self, self.output()) {
            (ReportCommand::Html(a), _) => &a.pipeline,
            (ReportCommand::CurrentUsers(a), _) => &a.scope.pipeline,
            (ReportCommand::Sessions(a) | ReportCommand::Concurrency(a), _) => &a.scope.pipeline,
            (_, Some(output)) => &output.pipeline,
            (_, None) => unreachable!("every table report has output options"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportOutput {
    /// Pipeline file (TOML): the lake root and time zone. Only the lake is read.
    pub pipeline: PathBuf,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only this section of a report with several (e.g. `stale` of `content`).
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,
}

#[derive(Debug, Args)]
pub struct InactiveUsersArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// List accounts idle at least this many days (and those never seen).
    #[arg(long)]
    pub days: u32,
    /// Only this source (its name) or platform (`tableau`, `arcgis`).
    #[arg(long)]
    pub source: Option<String>,
    /// Count days up to this date instead of today (pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct ContentArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only this Tableau site (name or URL namespace).
    #[arg(long)]
    pub site: Option<String>,
    /// Only the first N views and workbooks (stale content is always complete).
    #[arg(long)]
    pub top: Option<usize>,
}

#[derive(Debug, Args)]
pub struct AdoptionArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    #[arg(long, value_enum, default_value_t = crate::report::usage::Period::Day)]
    pub by: crate::report::usage::Period,
}

#[derive(Debug, Args)]
pub struct MaintenanceWindowArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Length of the outage window in hours.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=168))]
    pub hours: u32,
    /// Quietest windows listed per source.
    #[arg(long, default_value_t = 3)]
    pub windows: usize,
    /// List who was active in the window starting here (e.g. "Sat 22:00"); default: each
    /// source's quietest window.
    #[arg(long, value_name = "WEEKDAY HH:00")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginsArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only this user (Tableau user name or ArcGIS username, case-insensitive).
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Debug, Args)]
pub struct IndicoSummaryArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// The Indico day (YYYY-MM-DD; Indico's days end at 23:59 UTC).
    #[arg(long, value_parser = parse_date, conflicts_with_all = ["from", "to"])]
    pub date: Option<NaiveDate>,
    /// First day of a range (inclusive), instead of --date.
    #[arg(long, value_parser = parse_date, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day of the range (inclusive).
    #[arg(long, value_parser = parse_date, requires = "from")]
    pub to: Option<NaiveDate>,
    /// Only this Indico source (default: every one).
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Debug, Args)]
pub struct IndicoSnapshotArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// The Indico day (YYYY-MM-DD; the state at 23:59 UTC).
    #[arg(long, value_parser = parse_date)]
    pub date: NaiveDate,
    /// Only the user with this Indico user id.
    #[arg(long, conflicts_with = "email")]
    pub user_id: Option<i32>,
    /// Only the user with this email (case-insensitive).
    #[arg(long)]
    pub email: Option<String>,
    /// Only this Indico source (default: every one).
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Debug, Args)]
pub struct IndicoChangelogArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    /// First day (inclusive, YYYY-MM-DD, the local date of the change in the pipeline's
    /// time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// Only changes to the user with this Indico user id.
    #[arg(long)]
    pub user_id: Option<i32>,
    /// Only changes to the user with this email (case-insensitive; with --user-id, both
    /// must match).
    #[arg(long)]
    pub email: Option<String>,
    /// Only the newest N changes.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only this Indico source (default: every one).
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Debug, Args)]
pub struct HtmlArgs {
    /// Pipeline file (TOML).
    pub pipeline: PathBuf,
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
    /// The page to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// "Inactive licenses" lists accounts idle at least this many days.
    #[arg(long, default_value_t = 90)]
    pub inactive_days: u32,
    /// Maintenance window length in hours.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=168))]
    pub hours: u32,
    /// Count inactivity up to this date instead of today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// "Current users": who was logged in at this instant (RFC 3339, or a local time in
    /// the pipeline's zone like `2026-03-08 15:00`). Default: the end of the --as-of day
    /// (23:59:59), else now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionScope {
    /// Pipeline file (TOML): the lake root, time zone and session sources. Only the lake
    /// is read.
    pub pipeline: PathBuf,
    /// Only this machine (exact name).
    #[arg(long)]
    pub machine: Option<String>,
    /// Only this source.
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CurrentUsersArgs {
    #[command(flatten)]
    pub scope: SessionScope,
    /// The instant: RFC 3339 (`2026-03-08T03:00:00Z`, `…+01:00`) or a local time in the
    /// pipeline's zone (`2026-03-08 03:00`). Default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub scope: SessionScope,
    /// First local date (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last local date (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
}
