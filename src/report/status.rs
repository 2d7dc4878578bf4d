//! `usagelake status`: per source and dataset, what the lake holds and whether anything
//! was lost. Lake-side facts come from state files, the ledger and Parquet footers only
//! (no data pages); the source is asked only for its oldest remaining row per event
//! table (Tableau: two index probes; ArcGIS history: one page of one event, see
//! `arcgis_status`). Writes nothing and takes no lock.

use std::fmt::Write as _;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::config::{Pipeline, Source};
use crate::extract::postgres::TableKind;
use crate::extract::tableau;
use crate::load::{list_partitions, LakeLayout};
use crate::pipeline::backfill::{event_tables, open_session};
use crate::pipeline::coverage::{format_us, purge_gap, source_extent, PurgeGap};
use crate::pipeline::lock::{holders, LockHolder};
use crate::pipeline::run::selected_datasets;
use crate::pipeline::state::{DatasetState, SourceState, StateStore};
use crate::report::arcgis_status::{arcgis_status, LostSpan};
use crate::report::ledger_read::{last_runs, LastRuns};

#[derive(Debug, Serialize)]
pub struct Status {
    pub pipeline: String,
    pub lake_root: String,
    pub checked_at: String,
    pub last_run: Option<LastRuns>,
    /// Processes writing to the lake right now.
    pub running: Vec<LockHolder>,
    pub sources: Vec<SourceStatus>,
}

#[derive(Debug, Serialize)]
pub struct SourceStatus {
    pub name: String,
    /// Why the source could not be asked; lake-side facts are still reported.
    pub unreachable: Option<String>,
    pub datasets: Vec<DatasetStatus>,
}

#[derive(Debug, Serialize)]
pub struct DatasetStatus {
    pub name: String,
    pub kind: &'static str,
    /// RFC3339: when a run last updated this dataset successfully (state file).
    pub last_success: Option<String>,
    /// Tableau: the highest id archived. ArcGIS `history`: UTC epoch ms.
    pub watermark: Option<i64>,
    /// The watermark as a time where it is one: ArcGIS `history` (everything created
    /// before it is archived) and `logins` (the newest `last_login` archived).
    pub watermark_time: Option<String>,
    pub newest_event: Option<String>,
    /// Hours between the newest archived event and now.
    pub lag_hours: Option<f64>,
    pub lake_rows: u64,
    pub lake_partitions: usize,
    pub first_partition: Option<String>,
    pub last_partition: Option<String>,
    /// Ids the source purged before we copied them.
    pub purged: Option<PurgeGap>,
    /// A time span the source no longer provides and the lake does not hold (ArcGIS
    /// history: retention passed our watermark, or the first run's start).
    pub lost_span: Option<LostSpan>,
    /// Worth knowing but not a gap (e.g. events the portal still has before the lake's
    /// first day, which a backfill can still archive).
    pub notes: Vec<String>,
    /// Event days with no partition between days that have one.
    pub empty_days: Vec<String>,
}

impl Status {
    pub fn has_gap(&self, ignore_empty_days: bool) -> bool {
        self.sources.iter().flat_map(|s| &s.datasets).any(|d| {
            d.purged.is_some()
                || d.lost_span.is_some()
                || (!ignore_empty_days && !d.empty_days.is_empty())
        })
    }

    pub fn is_any_unreachable(&self) -> bool {
        self.sources.iter().any(|s| s.unreachable.is_some())
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "lake {} (pipeline {})", self.lake_root, self.pipeline);
        match &self.last_run {
            Some(runs) => {
                let _ = writeln!(out, "last run: {}", runs.last.describe());
                if let Some(ok) = runs
                    .last_ok
                    .as_ref()
                    .filter(|ok| ok.run_id != runs.last.run_id)
                {
                    let _ = writeln!(out, "last successful run: {}", ok.describe());
                }
            }
            None => {
                let _ = writeln!(out, "last run: none recorded in the ledger");
            }
        }
        for holder in &self.running {
            let _ = writeln!(out, "running now: {holder}");
        }
        let _ = writeln!(
            out,
            "\n{:<38} {:>12} {:>6} {:>21} {:>21} {:>8}  partitions",
            "source/dataset", "rows", "parts", "watermark", "newest event", "lag h"
        );
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        for source in &self.sources {
            if let Some(why) = &source.unreachable {
                problems.push(format!("source {} UNREACHABLE: {why}", source.name));
            }
            for d in &source.datasets {
                let name = format!("{}/{}", source.name, d.name);
                let span = match (&d.first_partition, &d.last_partition) {
                    (Some(a), Some(b)) => format!("{a} .. {b}"),
                    _ => "-".into(),
                };
                let _ = writeln!(
                    out,
                    "{name:<38} {:>12} {:>6} {:>21} {:>21} {:>8}  {span}",
                    d.lake_rows,
                    d.lake_partitions,
                    d.watermark_time
                        .clone()
                        .or(d.watermark.map(|w| w.to_string()))
                        .unwrap_or_else(|| "-".into()),
                    d.newest_event.as_deref().unwrap_or("-"),
                    d.lag_hours.map_or("-".into(), |h| format!("{h:.1}")),
                );
                if let Some(gap) = &d.purged {
                    problems.push(format!("GAP {name}: {}", gap.describe()));
                }
                if let Some(span) = &d.lost_span {
                    problems.push(format!("GAP {name}: {}", span.describe()));
                }
                notes.extend(d.notes.iter().map(|n| format!("note {name}: {n}")));
                if !d.empty_days.is_empty() {
                    problems.push(format!(
                        "GAP {name}: no rows on {} day(s) between days with rows: {}",
                        d.empty_days.len(),
                        d.empty_days.join(", ")
                    ));
                }
            }
        }
        out.push('\n');
        if problems.is_empty() {
            out.push_str("coverage: no gaps found\n");
        }
        for p in problems.iter().chain(&notes) {
            let _ = writeln!(out, "{p}");
        }
        out
    }
}

/// Lake-side facts always; source-side gaps for every source that answers.
pub async fn status(pipeline: &Pipeline) -> Result<Status, crate::load::LoadError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let store = StateStore::new(&layout);
    let now_us = Utc::now().timestamp_micros();
    let mut sources = Vec::new();
    for source in &pipeline.sources {
        sources.push(match source {
            Source::Tableau(t) => tableau_status(t, &layout, &store, now_us).await?,
            Source::Arcgis(a) => arcgis_status(pipeline, a, &layout, &store, now_us).await?,
            Source::Events(e) => events_status(e, &layout, now_us)?,
        });
    }
    Ok(Status {
        pipeline: pipeline.path.display().to_string(),
        // `root = "."` reads as `<dir>/.`; components() drops the trailing `.`.
        lake_root: layout
            .root
            .components()
            .collect::<std::path::PathBuf>()
            .display()
            .to_string(),
        checked_at: Utc::now().to_rfc3339(),
        last_run: last_runs(&layout),
        running: holders(&layout),
        sources,
    })
}

async fn tableau_status(
    source: &crate::config::TableauSource,
    layout: &LakeLayout,
    store: &StateStore,
    now_us: i64,
) -> Result<SourceStatus, crate::load::LoadError> {
    let state = load_state(store, &source.name);
    let mut datasets = Vec::new();
    let as_source = Source::Tableau(source.clone());
    for dataset in selected_datasets(&as_source, &[]) {
        let is_event = tableau::table_spec(dataset, source.include_incomplete_jobs)
            .is_some_and(|s| matches!(s.kind, TableKind::Event { .. }));
        let partitions = list_partitions(layout, &source.name, dataset)?;
        let ds = state.datasets.get(dataset);
        let mut status = lake_status(dataset, is_event, &partitions, ds, now_us);
        status.watermark = ds.and_then(|d| d.watermark_key);
        datasets.push(status);
    }
    let unreachable = match source_gaps(source, &state, &mut datasets).await {
        Ok(()) => None,
        Err(e) => Some(error_chain(&e)),
    };
    Ok(SourceStatus {
        name: source.name.clone(),
        unreachable,
        datasets,
    })
}

/// An `events` source: what its datasets hold. Days without logins are normal (weekends),
/// so `events` is reported as a snapshot-like dataset for gaps; `events_rejected` counts
/// every bad row found so far.
fn events_status(
    source: &crate::sources::events::EventsSource,
    layout: &LakeLayout,
    now_us: i64,
) -> Result<SourceStatus, crate::load::LoadError> {
    let mut datasets = Vec::new();
    for dataset in crate::sources::events::DATASETS {
        let partitions = list_partitions(layout, &source.name, dataset)?;
        let mut status = lake_status(dataset, false, &partitions, None, now_us);
        status.kind = "event";
        if *dataset == crate::sources::events::lake::EVENTS_REJECTED && status.lake_rows > 0 {
            status
                .notes
                .push(format!("{} bad row(s) rejected (file, line, reason)", status.lake_rows));
        }
        datasets.push(status);
    }
    Ok(SourceStatus {
        name: source.name.clone(),
        unreachable: None,
        datasets,
    })
}

/// A state file that cannot be read is reported without (status must still answer).
pub(super) fn load_state(store: &StateStore, source: &str) -> SourceState {
    store.load(source).unwrap_or_else(|e| {
        tracing::warn!(source, error = %e, "state file unreadable; reporting without it");
        Default::default()
    })
}

/// What the lake and the state file say of one dataset (no watermark, no source facts).
pub(super) fn lake_status(
    dataset: &str,
    is_event: bool,
    partitions: &[crate::load::PartitionInfo],
    ds: Option<&DatasetState>,
    now_us: i64,
) -> DatasetStatus {
    let newest_us = ds.and_then(|d| d.max_event_time_us);
    DatasetStatus {
        name: dataset.to_string(),
        kind: if is_event { "event" } else { "snapshot" },
        last_success: ds.map(|d| d.updated_at.clone()).filter(|u| !u.is_empty()),
        watermark: None,
        watermark_time: None,
        newest_event: newest_us.map(|t| format_us(Some(t))),
        lag_hours: newest_us.map(|t| (now_us - t) as f64 / 3.6e9),
        lake_rows: partitions.iter().map(|p| p.rows).sum(),
        lake_partitions: partitions.len(),
        first_partition: partitions.first().map(|p| p.name.clone()),
        last_partition: partitions.last().map(|p| p.name.clone()),
        purged: None,
        lost_span: None,
        notes: Vec::new(),
        empty_days: if is_event {
            empty_days(partitions.iter().map(|p| p.name.as_str()))
        } else {
            Vec::new()
        },
    }
}

async fn source_gaps(
    source: &crate::config::TableauSource,
    state: &crate::pipeline::state::SourceState,
    datasets: &mut [DatasetStatus],
) -> Result<(), crate::pipeline::RunError> {
    let session = open_session(source).await?;
    for table in event_tables(&session, source, &[]).await? {
        let extent = source_extent(&session, &table).await.map_err(|e| {
            crate::pipeline::RunError::Extract {
                source_name: source.name.clone(),
                dataset: table.spec.dataset.clone(),
                source: Box::new(e),
            }
        })?;
        let ds = state.datasets.get(&table.spec.dataset);
        let gap = purge_gap(
            &extent,
            ds.and_then(|d| d.watermark_key),
            ds.and_then(|d| d.max_event_time_us),
        );
        if let Some(status) = datasets.iter_mut().find(|d| d.name == table.spec.dataset) {
            status.purged = gap;
        }
    }
    let _ = session.finish().await;
    Ok(())
}

/// Dates missing between the first and last `event_date=` partitions.
fn empty_days<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let dates: Vec<NaiveDate> = names
        .filter_map(|n| n.strip_prefix("event_date="))
        .filter_map(|d| d.parse().ok())
        // The NULL-time bucket (1970-01-01) is not a day of activity.
        .filter(|d: &NaiveDate| *d != crate::load::NULL_EVENT_DATE)
        .collect();
    let present: std::collections::BTreeSet<_> = dates.iter().copied().collect();
    let (Some(first), Some(last)) = (present.first(), present.last()) else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| d <= last)
        .filter(|d| !present.contains(d))
        .map(|d| d.to_string())
        .collect()
}

pub(super) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let _ = write!(text, ": {c}");
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_days_are_the_holes_between_partitions() {
        let names = [
            "event_date=1970-01-01",
            "event_date=2026-11-01",
            "event_date=2026-11-02",
            "event_date=2026-11-05",
        ];
        assert_eq!(
            empty_days(names.iter().copied()),
            vec!["2026-11-03", "2026-11-04"]
        );
        assert!(empty_days(std::iter::empty()).is_empty());
    }
}
