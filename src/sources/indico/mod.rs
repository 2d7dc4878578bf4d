//! `kind = "indico"`: the user metrics of an Indico Data platform, archived daily: who
//! could do what, on which dataset, on which day, and who changed it.
//!
//! Facts behind the choices here: `shared/reference/indico-user-metrics.md`.
//! - `config`: the pipeline-file section; `graphql`: the queries (`queries/*.graphql`)
//!   and their check against `schema.graphql`; `types`: typed responses; `client`: the
//!   token exchange, 401 refresh and GraphQL error rules; `paging`: `after`/`endCursor`
//!   with its guards; `datasets`: Arrow conversion; [`IndicoReader`]: one day's read.
//! - `archive`: the nightly run and one backfilled day into the lake; `backfill`,
//!   `status`, `coverage`: the contract's other commands; `fake`: the test/demo server.

pub mod archive;
pub mod backfill;
mod client;
pub mod config;
pub mod coverage;
pub mod datasets;
mod error;
pub mod fake;
pub mod graphql;
mod paging;
mod reader;
pub mod status;
pub mod types;

pub use config::{IndicoSource, IndicoSourceConfig};
pub use error::IndicoError;
pub use reader::IndicoReader;

use std::time::Instant;

use crate::sources::status::error_chain;
use crate::sources::{RunContext, RunError, SourceSummary};
use archive::{last_complete_day, today_utc, IndicoArchive};

/// Every dataset an `indico` source archives, in run order.
pub const DATASETS: &[&str] = &[
    datasets::USER_SUMMARY,
    datasets::USER_SUMMARY_ROLES,
    datasets::USER_SNAPSHOTS,
    datasets::USER_SNAPSHOT_DATASETS,
    datasets::USER_CHANGELOG,
];

/// The token exchange: a refused or unreadable token fails the source here.
pub(crate) async fn connect(source: &IndicoSource) -> Result<IndicoReader, RunError> {
    IndicoReader::connect(&source.config)
        .await
        .map_err(|e| RunError::ApiConnect {
            source_name: source.name().to_string(),
            api: "Indico platform",
            source: Box::new(e),
        })
}

/// The nightly run: every complete UTC day not archived yet, per selected dataset.
pub(crate) async fn run(
    source: &IndicoSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let name = source.name().to_string();
    let wanted = source.selected(ctx.source.requested);
    if wanted.is_empty() {
        return Ok(SourceSummary {
            name,
            datasets: Vec::new(),
            transform: None,
            error: None,
        });
    }
    let started = Instant::now();
    let reader = connect(source).await?;
    let archive = IndicoArchive::new(source, ctx);
    let mut datasets = archive.run(&reader, &wanted, today_utc()).await?;
    let seconds = started.elapsed().as_secs_f64();
    for d in &mut datasets {
        d.seconds = seconds;
    }
    Ok(SourceSummary {
        name,
        datasets,
        transform: None,
        error: None,
    })
}

/// `usagelake check --connect`: the token exchange, yesterday's summary, one snapshot
/// page and yesterday's changelog. Prints one line per check; returns how many failed.
pub async fn check_connect(source: &IndicoSource, quiet: bool) -> usize {
    let say = |what: &str, line: String| {
        if !quiet {
            println!("  {}/{what}: {line}", source.name());
        }
    };
    let reader = match connect(source).await {
        Ok(reader) => reader,
        Err(e) => {
            say("token", format!("PROBLEM: {}", error_chain(&e)));
            return 1;
        }
    };
    say("token", "ok".into());
    let day = last_complete_day(today_utc());
    let mut problems = 0;
    let mut report = |what: &str, outcome: Result<String, IndicoError>| match outcome {
        Ok(line) => say(what, format!("ok ({line})")),
        Err(e) => {
            problems += 1;
            say(what, format!("PROBLEM: {}", error_chain(&e)));
        }
    };
    let summary = reader.summary(day).await.map(|(totals, _)| {
        let enabled = totals
            .column_by_name("enabled")
            .and_then(|c| c.as_any().downcast_ref::<arrow_array::Int32Array>())
            .filter(|c| !c.is_empty() && arrow_array::Array::is_valid(*c, 0))
            .map(|c| c.value(0).to_string())
            .unwrap_or_else(|| "?".into());
        format!("{enabled} enabled users on {day}")
    });
    report("user_summary", summary);
    let users = reader
        .count_users(day)
        .await
        .map(|n| format!("{n} users on {day}, one page read"));
    report("user_snapshots", users);
    let changes = reader
        .changelog(day, day)
        .await
        .map(|batch| format!("{} change(s) on {day}", batch.num_rows()));
    report("user_changelog", changes);
    problems
}

#[cfg(test)]
mod tests;
