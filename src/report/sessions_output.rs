//! `usagelake report current-users | sessions | concurrency`: runs a session report and
//! prints it as a table, CSV or JSON.

use std::io::Write;

use anyhow::Context;
use chrono::Utc;

use super::sessions::{
    current_users, format_local, peak_concurrency, sessions_between, SessionFilter,
};
use crate::cli::{OutputFormat, ReportCommand, SessionScope};
use crate::commands::UsageError;
use crate::pipeline::{load_pipeline, Pipeline};
use crate::sources::events::csv_records::quote_field;
use crate::sources::events::time::{parse_event_time, AmbiguousTime};

pub fn run(command: &ReportCommand) -> anyhow::Result<()> {
    let scope = match command {
        ReportCommand::CurrentUsers(a) => &a.scope,
        ReportCommand::Sessions(a) | ReportCommand::Concurrency(a) => &a.scope,
        other => {
            return Err(UsageError(format!("{other:?} is not a session report")).into());
        }
    };
    let pipeline = load_pipeline(&scope.pipeline)?;
    let filter = SessionFilter {
        machine: scope.machine.clone(),
        source: scope.source.clone(),
    };
    let mut out = std::io::stdout().lock();
    match command {
        ReportCommand::CurrentUsers(args) => {
            let at = match &args.at {
                None => Utc::now().timestamp_micros(),
                Some(text) => parse_event_time(text, pipeline.time_zone, AmbiguousTime::Earliest)
                    .map_err(|e| UsageError(format!("--at: {e}")))?,
            };
            let machines = current_users(&pipeline, at, &filter)?;
            print_current_users(&mut out, &pipeline, scope, at, &machines)?;
        }
        ReportCommand::Sessions(args) => {
            check_range(args.from, args.to)?;
            let rows = sessions_between(&pipeline, args.from, args.to, &filter)?;
            print_sessions(&mut out, &pipeline, scope, &rows)?;
        }
        ReportCommand::Concurrency(args) => {
            check_range(args.from, args.to)?;
            let peaks = peak_concurrency(&pipeline, args.from, args.to, &filter)?;
            let tz = pipeline.time_zone;
            let rows: Vec<[String; 3]> = peaks
                .iter()
                .map(|p| {
                    [
                        p.machine.clone(),
                        format_local(p.hour_start, tz),
                        p.peak_sessions.to_string(),
                    ]
                })
                .collect();
            print_rows(
                &mut out,
                scope.format,
                &["machine", "hour_start", "peak_sessions"],
                &rows,
            )?;
        }
        _ => unreachable!("not a session report: returned above"),
    }
    out.flush().context("writing the report")
}

fn check_range(from: chrono::NaiveDate, to: chrono::NaiveDate) -> anyhow::Result<()> {
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")).into());
    }
    Ok(())
}

fn print_current_users(
    out: &mut impl Write,
    pipeline: &Pipeline,
    scope: &SessionScope,
    at: i64,
    machines: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> anyhow::Result<()> {
    match scope.format {
        // The familiar scripts' format: one line per machine with someone logged in.
        OutputFormat::Table => {
            for (machine, users) in machines {
                let users: Vec<&str> = users.iter().map(String::as_str).collect();
                writeln!(out, "{machine}: {}", users.join(", "))?;
            }
        }
        OutputFormat::Csv => {
            let rows: Vec<[String; 2]> = machines
                .iter()
                .flat_map(|(m, users)| users.iter().map(move |u| [m.clone(), u.clone()]))
                .collect();
            print_rows(out, OutputFormat::Csv, &["machine", "user"], &rows)?;
        }
        OutputFormat::Json => {
            let machines: Vec<serde_json::Value> = machines
                .iter()
                .map(|(m, users)| serde_json::json!({ "machine": m, "users": users }))
                .collect();
            let value = serde_json::json!({
                "at": format_local(at, pipeline.time_zone),
                "machines": machines,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
    }
    Ok(())
}

fn print_sessions(
    out: &mut impl Write,
    pipeline: &Pipeline,
    scope: &SessionScope,
    rows: &[super::sessions::SessionRow],
) -> anyhow::Result<()> {
    let tz = pipeline.time_zone;
    let time = |t: Option<i64>| t.map(|t| format_local(t, tz)).unwrap_or_default();
    let header = [
        "source",
        "machine",
        "user",
        "login_at",
        "logout_at",
        "duration_seconds",
        "end_reason",
    ];
    let rows: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let duration = match (r.login_at, r.logout_at) {
                (Some(a), Some(b)) => format!("{}", (b - a) as f64 / 1e6),
                _ => String::new(),
            };
            [
                r.source.clone(),
                r.machine.clone(),
                r.user.clone(),
                time(r.login_at),
                time(r.logout_at),
                duration,
                r.end_reason.clone(),
            ]
        })
        .collect();
    print_rows(out, scope.format, &header, &rows)
}

/// A header and rows of strings as an aligned table, CSV or a JSON array of objects.
fn print_rows<const N: usize>(
    out: &mut impl Write,
    format: OutputFormat,
    header: &[&str; N],
    rows: &[[String; N]],
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => {
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for row in rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(header.to_vec()))?;
            for row in rows {
                writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
            }
        }
        OutputFormat::Csv => {
            let line = |cells: &mut dyn Iterator<Item = &str>| {
                cells
                    .map(|c| quote_field(c, ','))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            writeln!(out, "{}", line(&mut header.iter().copied()))?;
            for row in rows {
                writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
            }
        }
        OutputFormat::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .iter()
                .map(|row| {
                    header
                        .iter()
                        .zip(row)
                        .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.clone())))
                        .collect()
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&objects)?)?;
        }
    }
    Ok(())
}
