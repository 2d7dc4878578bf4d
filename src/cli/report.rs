//! The `report` subcommands: one variant per report, the output options every table
//! report shares ([`ReportOutput`]) and the day range most of them take ([`ReportDays`]).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::parse_date;

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

/// The inclusive range of local days of a report (`--from`, `--to`).
#[derive(Debug, Args)]
pub struct ReportDays {
    /// First day (inclusive, YYYY-MM-DD, pipeline time zone).
    #[arg(long, value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_parser = parse_date)]
    pub to: NaiveDate,
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
    #[command(flatten)]
    pub range: ReportDays,
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
    #[command(flatten)]
    pub range: ReportDays,
    #[arg(long, value_enum, default_value_t = crate::report::usage::Period::Day)]
    pub by: crate::report::usage::Period,
}

#[derive(Debug, Args)]
pub struct MaintenanceWindowArgs {
    #[command(flatten)]
    pub output: ReportOutput,
    #[command(flatten)]
    pub range: ReportDays,
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
    #[command(flatten)]
    pub range: ReportDays,
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
    #[command(flatten)]
    pub range: ReportDays,
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
