//! An incremental run of a tableau source: one snapshot transaction per run; event
//! tables read above their watermark, dimension tables snapshotted whole, each staged;
//! the transaction ends; then each dataset is published and its state saved, and the
//! derived datasets are rebuilt for what the run wrote.

mod dataset;

use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::config::SESSION_DATASETS;
use super::sessions::Lookups;
use super::{open_session, TableauSource};
use crate::failpoint;
use crate::load::state::StateStore;
use crate::sources::pg_tables::pump::publish;
use crate::sources::tableau::enrich::{RebuildRequest, TransformSummary};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};
pub(crate) use dataset::replace_while_null;
use dataset::{read_dataset, NextState, ReadDataset};

pub(crate) async fn run(
    source: &TableauSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let (layout, run_id) = (ctx.source.layout, ctx.run_id);
    let name = source.name.clone();
    let session_error = |what: &'static str| {
        let name = name.clone();
        move |e| RunError::Session {
            source_name: name,
            what,
            source: Box::new(e),
        }
    };
    let session = open_session(source).await?;

    let store = StateStore::new(layout);
    let mut state = store.load(&source.name).map_err(|e| RunError::State {
        source_name: name.clone(),
        source: e,
    })?;
    let run_date = snapshot_date_today(ctx.source.time_zone);

    let wanted = source
        .datasets()
        .into_iter()
        .filter(|d| ctx.source.requested.is_empty() || ctx.source.requested.iter().any(|r| r == d))
        .map(str::to_string)
        .collect::<Vec<_>>();
    // Read every table inside the one snapshot, staging its rows; publishing (merging
    // into existing partitions, renames, fsyncs) waits until the transaction has ended,
    // so a slow or hung lake drive never holds locks on the repository (issue 11 item 12).
    // What the transaction still covers: the COPYs and the staged files they stream into.
    let mut read = Vec::new();
    let mut read_error = None;
    for dataset in &wanted {
        match read_dataset(source, ctx, &session, &state, run_date, dataset).await {
            Ok(staged) => read.push(staged),
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    // A read-only snapshot's rows stay valid whatever its COMMIT says: what was read is
    // published before a closing error is reported, as when publishing came first.
    let finished = session
        .finish()
        .await
        .map_err(session_error("closing the snapshot transaction"));

    let mut datasets = Vec::new();
    for read in read {
        let ReadDataset {
            staged,
            mut summary,
            next,
            read_seconds,
        } = read;
        let started = Instant::now();
        let dataset = summary.name.clone();
        let written = match staged {
            Some(staged) => Some(publish(&name, &dataset, staged).await?),
            None => None,
        };
        if let Some(written) = &written {
            summary.rows_read = written.rows_in;
            summary.rows_written = written.rows_written;
            summary.rows_already_present = written.rows_already_present;
            summary.partitions = written.partitions.clone();
        }
        match next {
            NextState::Unchanged => {}
            NextState::Event(mut next) => {
                next.rows_total = Some(
                    next.rows_total.unwrap_or(0) + written.as_ref().map_or(0, |w| w.rows_written),
                );
                state.datasets.insert(dataset.clone(), *next);
                failpoint::hit("before_state");
                store.save(&name, &state).map_err(|e| RunError::State {
                    source_name: name.clone(),
                    source: e,
                })?;
                failpoint::hit("state_written");
            }
            NextState::Snapshot => {
                let entry = state.datasets.entry(dataset.clone()).or_default();
                entry.last_snapshot_date = Some(run_date.to_string());
                entry.updated_at = Utc::now().to_rfc3339();
                entry.run_id = run_id.to_string();
                store.save(&name, &state).map_err(|e| RunError::State {
                    source_name: name.clone(),
                    source: e,
                })?;
            }
        }
        summary.seconds = read_seconds + started.elapsed().as_secs_f64();
        datasets.push(summary);
    }
    if let Some(e) = read_error {
        return Err(e);
    }
    finished?;
    // Login/Logout → auth_events → sessions, after any run that refreshed one of their
    // inputs (also `--dataset historical_events`): the lookups it did not refresh are the
    // lake's snapshots. Only a hist_users snapshot of this run names every actor; with an
    // older one, days with newer actors wait for the next run that has one (`sessions`).
    let selected = |d: &str| wanted.iter().any(|w| w.as_str() == d);
    if source.has_sessions() && SESSION_DATASETS.iter().any(|d| selected(d)) {
        let written: std::collections::HashSet<String> = datasets
            .iter()
            .filter(|d| d.name == "historical_events")
            .flat_map(|d| d.partitions.keys().cloned())
            .collect();
        let users_read = datasets
            .iter()
            .any(|d| d.name == "hist_users" && d.skipped.is_none() && d.error.is_none());
        let lookups = if users_read {
            Lookups::Fresh
        } else {
            Lookups::Stored { record: true }
        };
        let derived = super::sessions::rebuild(source, ctx, &written, lookups)?;
        datasets.extend(derived);
    }
    let transform = if source.enrich {
        let transform = rebuild_derived(source, ctx, run_date, &datasets)?;
        set_resolution_rate(&mut datasets, &transform);
        Some(transform.to_derived(&name))
    } else {
        None
    };
    Ok(SourceSummary {
        name,
        datasets,
        transform,
        error: None,
    })
}

/// The ledger charts enrichment health next to the raw dataset it enriches.
pub(crate) fn set_resolution_rate(datasets: &mut [DatasetSummary], transform: &TransformSummary) {
    for d in datasets.iter_mut().filter(|d| d.name == "http_requests") {
        d.resolution_rate = Some(transform.resolution.resolved_share);
    }
}

/// Today in the pipeline's zone: the snapshot date of this run. `USAGELAKE_TODAY=YYYY-MM-DD`
/// overrides it; it exists for tests that need two runs on two snapshot dates (a rename
/// between snapshots) and is never set in production.
fn snapshot_date_today(tz: chrono_tz::Tz) -> NaiveDate {
    std::env::var("USAGELAKE_TODAY")
        .ok()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive())
}

/// Rebuilds `requests_enriched` and the seed datasets for what this run wrote (issue 5):
/// the event dates of `http_requests` and today's snapshots.
fn rebuild_derived(
    source: &TableauSource,
    ctx: &RunContext<'_>,
    run_date: NaiveDate,
    datasets: &[DatasetSummary],
) -> Result<TransformSummary, RunError> {
    let mut event_dates = std::collections::BTreeSet::new();
    for d in datasets.iter().filter(|d| d.name == "http_requests") {
        event_dates.extend(
            d.partitions
                .keys()
                .filter_map(|p| crate::load::event_partition_date(p)),
        );
    }
    let wrote_snapshots = datasets.iter().any(|d| {
        let is_snapshot = |p: &String| crate::load::partition_date(p, "snapshot_date").is_some();
        d.skipped.is_none() && d.partitions.keys().any(is_snapshot)
    });
    let rebuild = RebuildRequest {
        layout: ctx.source.layout,
        source: &source.name,
        run_id: ctx.run_id,
        tz: ctx.source.time_zone,
        compression: ctx.source.output.compression,
        row_group_rows: ctx.source.output.row_group_rows,
        event_dates,
        snapshot_dates: wrote_snapshots.then_some(run_date).into_iter().collect(),
        repairs_other_days: true,
    };
    crate::sources::tableau::enrich::rebuild(&rebuild).map_err(|e| RunError::Transform {
        source_name: source.name.clone(),
        source: e,
    })
}
