//! Usage reports read back from the lake: the questions admins ask every month, answered
//! offline from the whole archive (`usagelake report <name> <pipeline.toml> …`).
//!
//! - `lake`: partition pruning by folder name, column projection, parallel partitions;
//!   `activity`: accounts and "active" per platform, shared by every report;
//!   `clock`: local dates, hours and periods in the pipeline's zone.
//! - One module per report (`inactive`, `content`, `adoption`, `maintenance`, `logins`,
//!   `indico` for the three Indico user-metrics reports),
//!   each a function `(&Lake, query) -> Report`; `table` renders any [`Report`] as a text
//!   table, CSV or JSON; `html` puts several reports on one static page.
//! - A new report (Indico, sessions) is a module with such a function, a
//!   [`ReportCommand`](crate::cli::ReportCommand) variant and one arm in [`build`]; a
//!   page section is one entry in `html::page::sections`.

mod activity;
mod adoption;
pub mod clock;
mod content;
mod error;
pub mod html;
mod inactive;
mod indico;
mod lake;
mod logins;
mod maintenance;
pub mod table;
mod user_set;

use std::path::Path;

use chrono::NaiveDate;

pub use adoption::adoption;
pub use clock::Period;
pub use content::{content, ContentQuery};
pub use error::ReportError;
pub use inactive::{inactive_users, InactiveQuery};
pub use indico::{indico_changelog, indico_snapshot, indico_summary, ChangelogQuery, UserFilter};
pub use lake::{Lake, Platform};
pub use logins::logins;
pub use maintenance::{maintenance_window, WindowQuery};
pub use table::{Cell, Report, Section};

use crate::cli::{OutputFormat, ReportCommand};

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ReportError> {
        if from > to {
            return Err(ReportError::BackwardsRange { from, to });
        }
        Ok(DateRange { from, to })
    }
}

/// Runs one `report` subcommand: reads the pipeline, builds the report, writes it.
pub fn run(command: &ReportCommand) -> anyhow::Result<()> {
    let pipeline = crate::pipeline::load_pipeline(command.pipeline())?;
    let lake = Lake::new(&pipeline);
    let output = match (command, command.output()) {
        (_, Some(output)) => output,
        (ReportCommand::Html(args), None) => {
            let range = DateRange::new(args.range.from, args.range.to)?;
            let page = html::render_page(
                &lake,
                &html::PageQuery {
                    range,
                    inactive_days: args.inactive_days,
                    window_hours: args.hours,
                    as_of: args.as_of.unwrap_or_else(|| clock::today(lake.tz)),
                    at: html::page_instant(args, lake.tz)?,
                    pipeline: &pipeline,
                },
            )?;
            write_output(Some(&args.out), &page)?;
            return Ok(());
        }
        (_, None) => {
            return Err(build(&lake, command)
                .err()
                .unwrap_or_else(|| {
                    ReportError::BadArgument("this report has no table output".into())
                })
                .into())
        }
    };
    let mut report = build(&lake, command)?;
    if let Some(section) = &output.section {
        report = report
            .only_section(section)
            .map_err(ReportError::BadArgument)?;
    }
    let text = match output.format {
        OutputFormat::Table => report.to_table(),
        OutputFormat::Csv => report.to_csv(),
        OutputFormat::Json => format!("{:#}\n", report.to_json()),
    };
    write_output(output.out.as_deref(), &text)?;
    Ok(())
}

/// The report a (non-HTML) command asks for.
pub fn build(lake: &Lake, command: &ReportCommand) -> Result<Report, ReportError> {
    match command {
        ReportCommand::InactiveUsers(args) => inactive_users(
            lake,
            &InactiveQuery {
                days: args.days,
                source: args.source.as_deref(),
                as_of: args.as_of.unwrap_or_else(|| clock::today(lake.tz)),
            },
        ),
        ReportCommand::Content(args) => {
            let mut report = content(
                lake,
                &ContentQuery {
                    range: DateRange::new(args.range.from, args.range.to)?,
                    site: args.site.as_deref(),
                },
            )?;
            if let Some(top) = args.top {
                for section in &mut report.sections {
                    if section.name != "stale" {
                        section.rows.truncate(top);
                    }
                }
            }
            Ok(report)
        }
        ReportCommand::Adoption(args) => adoption(
            lake,
            DateRange::new(args.range.from, args.range.to)?,
            args.by,
        ),
        ReportCommand::MaintenanceWindow(args) => {
            let at = match &args.at {
                None => None,
                Some(text) => Some(clock::parse_hour_of_week(text).ok_or_else(|| {
                    ReportError::BadArgument(format!(
                        "--at `{text}` is not a weekday and hour like \"Sat 22:00\""
                    ))
                })?),
            };
            maintenance_window(
                lake,
                &WindowQuery {
                    range: DateRange::new(args.range.from, args.range.to)?,
                    hours: args.hours,
                    windows: args.windows,
                    at,
                },
            )
        }
        ReportCommand::Logins(args) => logins(
            lake,
            DateRange::new(args.range.from, args.range.to)?,
            args.user.as_deref(),
        ),
        ReportCommand::IndicoSummary(args) => {
            let range = match (args.date, args.from, args.to) {
                (Some(date), None, None) => DateRange::new(date, date)?,
                (None, Some(from), Some(to)) => DateRange::new(from, to)?,
                _ => {
                    return Err(ReportError::BadArgument(
                        "give --date D, or --from D and --to D".into(),
                    ))
                }
            };
            indico_summary(lake, range, args.source.as_deref())
        }
        ReportCommand::IndicoSnapshot(args) => indico_snapshot(
            lake,
            args.date,
            UserFilter {
                id: args.user_id,
                email: args.email.as_deref(),
            },
            args.source.as_deref(),
        ),
        ReportCommand::IndicoChangelog(args) => indico_changelog(
            lake,
            &ChangelogQuery {
                range: DateRange::new(args.from, args.to)?,
                user: UserFilter {
                    id: args.user_id,
                    email: args.email.as_deref(),
                },
                limit: args.limit,
                source: args.source.as_deref(),
            },
        ),
        ReportCommand::Html(_) => Err(ReportError::BadArgument(
            "`report html` writes a page, not a table".into(),
        )),
        // Answered from the sessions dataset (`report::sessions_output`), dispatched there
        // by `commands`.
        ReportCommand::CurrentUsers(_)
        | ReportCommand::Sessions(_)
        | ReportCommand::Concurrency(_) => Err(ReportError::BadArgument(
            "session reports are not usage reports".into(),
        )),
    }
}

fn write_output(out: Option<&Path>, text: &str) -> Result<(), ReportError> {
    match out {
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a stack of causes.
            let _ = stdout.write_all(text.as_bytes());
            Ok(())
        }
        Some(path) => std::fs::write(path, text).map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// "no X between A and B", naming what the lake does hold.
pub(crate) fn empty_range(
    lake: &Lake,
    what: &str,
    range: DateRange,
    datasets: &[&str],
) -> ReportError {
    let mut spans = Vec::new();
    for source in &lake.sources {
        for dataset in datasets {
            if let Some((first, last)) = lake.held_span(&source.name, dataset) {
                spans.push(format!("{}/{dataset} {first} … {last}", source.name));
            }
        }
    }
    ReportError::empty_range(what, range.from, range.to, &spans)
}

pub(crate) fn unknown_user(user: &str, known: &[String]) -> ReportError {
    let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
    let hint = crate::config::did_you_mean(user, &candidates)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    ReportError::UnknownUser {
        user: user.to_string(),
        hint,
    }
}
