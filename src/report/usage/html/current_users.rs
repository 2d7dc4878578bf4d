//! "Current users": who is logged in on which machine at the page's instant, and the
//! sessions that began on each day of the range, from the `sessions` datasets through
//! the same functions as `report current-users` and `report sessions`. Shown only when
//! the pipeline has a source with sessions and the lake holds some in the range.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::blocks::{days_of, table};
use super::page::PageQuery;
use super::svg::{self, escape};
use crate::report::sessions::{current_users, format_local, sessions_between, SessionFilter};
use crate::report::usage::{Cell, ReportError, Section};

pub fn section(out: &mut String, query: &PageQuery) -> Result<(), ReportError> {
    let pipeline = query.pipeline;
    let tz = pipeline.time_zone;
    let read_error = |e: crate::report::sessions::SessionsReportError| ReportError::Read {
        path: pipeline.output.root.clone(),
        message: format!("{e:#}"),
    };
    let filter = SessionFilter::default();
    let range = query.range;
    let sessions = sessions_between(pipeline, range.from, range.to, &filter).map_err(read_error)?;
    let machines = current_users(pipeline, query.at, &filter).map_err(read_error)?;
    if sessions.is_empty() && machines.is_empty() {
        return Ok(());
    }

    let mut now = Section::new(
        "current_users",
        "Logged in now",
        &["machine", "users", "who"],
    );
    for (machine, users) in &machines {
        now.push(vec![
            Cell::text(machine),
            Cell::Int(users.len() as i64),
            Cell::text(users.iter().cloned().collect::<Vec<_>>().join(", ")),
        ]);
    }
    let people: std::collections::BTreeSet<&String> = machines.values().flatten().collect();

    // Sessions per day by the login's local date (an orphan logout: its logout's date),
    // the date `report sessions` selects them by.
    let days = days_of(range);
    let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for session in &sessions {
        let Some(at) = session.login_at.or(session.logout_at) else {
            continue;
        };
        let date = crate::days::local_date(at, tz);
        let values = series
            .entry(session.source.clone())
            .or_insert_with(|| vec![0; days.len()]);
        if let Some(i) = days.iter().position(|d| *d == date) {
            values[i] += 1;
        }
    }
    let series: Vec<(String, Vec<i64>)> = series.into_iter().collect();

    let at = format_local(query.at, tz);
    let at = at.split('.').next().unwrap_or(&at);
    let _ = write!(
        out,
        r#"<section id="current-users"><h2>Current users</h2><p class="note">Logged in at {at} ({tz}): {people} people on {machines} machines. Same list: <code>usagelake report current-users … --at "{at}"</code>.</p>"#,
        at = escape(at),
        tz = escape(tz.name()),
        people = people.len(),
        machines = machines.len(),
    );
    table(out, &now, None);
    let _ = write!(
        out,
        r#"<h3>Sessions per day</h3><p class="note">Sessions that began each day ({total} from {from} to {to}; <code>usagelake report sessions … --from {from} --to {to}</code> lists them).</p>{}"#,
        svg::column_chart(&days, &series, "Sessions"),
        total = sessions.len(),
        from = range.from,
        to = range.to,
    );
    out.push_str("</section>");
    Ok(())
}

/// The instant "Current users" shows: `--at`, else the last second of the `--as-of` day,
/// else now.
pub fn page_instant(args: &crate::cli::HtmlArgs, tz: chrono_tz::Tz) -> Result<i64, ReportError> {
    use crate::sources::events::time::{parse_event_time, AmbiguousTime};
    if let Some(text) = &args.at {
        return parse_event_time(text, tz, AmbiguousTime::Earliest)
            .map_err(|e| ReportError::BadArgument(format!("--at: {e}")));
    }
    Ok(match args.as_of.and_then(|d| d.succ_opt()) {
        Some(next) => crate::days::local_day_start_us(next, tz) - 1_000_000,
        None => chrono::Utc::now().timestamp_micros(),
    })
}
