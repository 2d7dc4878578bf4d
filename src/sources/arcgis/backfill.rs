//! Backfill of ArcGIS `history`, one local day at a time (driven by `pipeline::backfill`).
//!
//! A day is `[local midnight, next local midnight)` in the pipeline's zone, asked as
//! `fromDate`/`toDate` (UTC epoch ms) in the source's usual slices; the extractor trims
//! every event to those bounds, so all rows fall in that day's `event_date` partition
//! and no other partition is opened. Rows merge by `event_key`, so re-reading a day the
//! lake already holds adds nothing. The state file (watermark) is never read or written.
//!
//! `users` and `logins` cannot be backfilled: the portal only knows each member *now*
//! (one `lastLogin` per member), so a past day cannot be asked for again.

use std::sync::Arc;

use arrow_select::concat::concat_batches;
use chrono::{NaiveDate, Utc};
use futures_util::TryStreamExt;

use super::{add_written, connect, ArcgisRun, ArcgisSource};
use crate::days::{day_bounds_ms, local_date_of_ms};
use crate::load::state::StateStore;
use crate::load::{event_partition_name, snapshot_partition_name, Partitioning};
use crate::sources::arcgis::api::{history_schema, ArcgisPortal};
use crate::sources::plan::{lake_rows, Availability, DatasetDay, DayPlan};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceContext};

const DATASET: &str = "history";

/// Why a dataset of an `arcgis` source has no backfill, or None when it has one.
pub fn not_backfillable(dataset: &str) -> Option<&'static str> {
    match dataset {
        "history" => None,
        "users" => Some("not backfillable: a snapshot of the members as they are now"),
        _ => Some(
            "not backfillable: the portal keeps only each member's latest lastLogin \
             (history `login` events are the backfillable record)",
        ),
    }
}

fn selected<'a>(source: &'a ArcgisSource, requested: &'a [String]) -> Vec<&'a str> {
    source
        .datasets()
        .into_iter()
        .filter(|d| requested.is_empty() || requested.iter().any(|r| r == d))
        .collect()
}

/// The selected datasets a backfill cannot re-read, said in the summary (and the
/// ledger) rather than skipped silently.
pub fn skipped_summaries(source: &ArcgisSource, requested: &[String]) -> Vec<DatasetSummary> {
    selected(source, requested)
        .into_iter()
        .filter_map(|d| {
            not_backfillable(d).map(|why| DatasetSummary {
                name: d.to_string(),
                skipped: Some(why.to_string()),
                ..Default::default()
            })
        })
        .collect()
}

/// One connected source: the token is minted once and shared by every day (and job).
pub struct HistoryBackfill<'a> {
    pub source: &'a ArcgisSource,
    portal: Arc<ArcgisPortal>,
}

impl<'a> HistoryBackfill<'a> {
    /// Connected when `history` is selected; None otherwise (nothing to re-read).
    pub async fn open(
        source: &'a ArcgisSource,
        ctx: &SourceContext<'_>,
    ) -> Result<Option<Self>, RunError> {
        if !selected(source, ctx.requested).contains(&DATASET) {
            return Ok(None);
        }
        Self::connect(source).await.map(Some)
    }

    pub async fn connect(source: &'a ArcgisSource) -> Result<Self, RunError> {
        Ok(HistoryBackfill {
            source,
            portal: Arc::new(connect(source).await?),
        })
    }

    pub fn portal(&self) -> &ArcgisPortal {
        &self.portal
    }

    /// Re-reads local `day` and merges it into its partition. `run_id` names the
    /// staging files (the caller ends the run once every source of the day is done).
    pub async fn day(
        &self,
        run: &RunContext<'_>,
        day: NaiveDate,
    ) -> Result<DatasetSummary, RunError> {
        let started = std::time::Instant::now();
        let progress = run.progress;
        let ctx = ArcgisRun {
            time_zone: run.source.time_zone,
            output: run.source.output,
            source: self.source,
            layout: run.source.layout,
            run_id: run.run_id,
            progress,
            store: StateStore::new(run.source.layout),
            run_date: day,
        };
        let (from_ms, to_ms) = day_bounds_ms(day, ctx.time_zone);
        let to_ms = to_ms.min(Utc::now().timestamp_millis());
        let bar = progress.dataset(ctx.name(), &format!("{DATASET} {day}"));
        // A day is one or two slices: hold them and write once, so the day's
        // partition is rewritten at most once.
        let slices: Vec<_> = self
            .portal
            .history(from_ms, to_ms)
            .try_collect()
            .await
            .map_err(ctx.extract_error(DATASET))?;
        let batches: Vec<_> = slices.into_iter().map(|s| s.batch).collect();
        let batch = concat_batches(&history_schema(), &batches).map_err(|e| RunError::Load {
            source_name: ctx.name().to_string(),
            dataset: DATASET.into(),
            source: crate::load::LoadError::Arrow {
                dataset: DATASET.into(),
                source: e,
            },
        })?;
        let mut summary = DatasetSummary {
            name: DATASET.into(),
            rows_read: batch.num_rows() as u64,
            ..Default::default()
        };
        bar.add_rows(batch.num_rows() as u64);
        if batch.num_rows() > 0 {
            let partitioning = Partitioning::EventDate {
                time_column: "created".into(),
                key_column: "event_key".into(),
                tz: ctx.time_zone,
            };
            let written = ctx.write(DATASET, batch, partitioning).await?;
            add_written(&mut summary, &written);
        }
        bar.finish("done");
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// The dry-run / `plan` rows of an `arcgis` source: `history` per day with what the
/// lake holds (footers) and whether the portal still has the day (one page: its oldest
/// event); its rows per day are unknown (see `DatasetDay::source_rows`). `users` and
/// `logins` are listed as not backfillable, with what the lake holds.
pub async fn plan_days(
    arcgis: &ArcgisSource,
    ctx: &SourceContext<'_>,
    days: &[NaiveDate],
    plans: &mut [DayPlan],
) -> Result<(), RunError> {
    let name = arcgis.name();
    for dataset in selected(arcgis, ctx.requested) {
        let lake = lake_rows(ctx.layout, name, dataset)?;
        let oldest = match not_backfillable(dataset) {
            Some(_) => None,
            None => {
                let portal = HistoryBackfill::connect(arcgis).await?;
                let oldest_ms =
                    portal
                        .portal()
                        .oldest_event_ms()
                        .await
                        .map_err(|e| RunError::Api {
                            api: "ArcGIS",
                            source_name: name.to_string(),
                            dataset: dataset.to_string(),
                            source: Box::new(e),
                        })?;
                Some(oldest_ms.and_then(|ms| local_date_of_ms(ms, ctx.time_zone)))
            }
        };
        for (day, plan) in days.iter().zip(plans.iter_mut()) {
            let partition = match dataset {
                "users" => snapshot_partition_name(*day),
                _ => event_partition_name(*day),
            };
            let source_can_provide = match oldest {
                None => Availability::NotBackfillable,
                // The portal returns no event at all: nothing to re-read.
                Some(None) => Availability::None,
                Some(Some(oldest)) if *day < oldest => Availability::None,
                Some(Some(oldest)) if *day == oldest => Availability::Part,
                Some(Some(_)) => Availability::All,
            };
            plan.datasets.push(DatasetDay {
                source: name.to_string(),
                dataset: dataset.to_string(),
                source_rows: None,
                lake_rows: lake.get(&partition).copied().unwrap_or(0),
                source_can_provide,
            });
        }
    }
    Ok(())
}
