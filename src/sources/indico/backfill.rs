//! Backfill and plan of an `indico` source, by UTC day.
//!
//! Every dataset can be re-read for a past day: the summary and the snapshot take a
//! date, the changelog a date range. A backfilled day replaces its `snapshot_date=`
//! partitions and merges its changelog entries by key; state is never moved. Days
//! that are not over yet (UTC) are skipped with a warning: their snapshot would be a
//! moving target. The driver's days are dates in the pipeline's zone; Indico's are UTC
//! days of the same date.

use chrono::NaiveDate;

use super::archive::{last_complete_day, today_utc, IndicoArchive};
use super::coverage::day_partition;
use super::{connect, IndicoReader, IndicoSource};
use crate::load::list_partitions;
use crate::sources::plan::{Availability, DatasetDay, DayPlan};
use crate::sources::{DatasetSummary, RunContext, RunError, SourceContext};

/// One connected source: the token is exchanged once and shared by every day.
pub struct IndicoBackfill<'a> {
    source: &'a IndicoSource,
    reader: IndicoReader,
    wanted: Vec<&'a str>,
}

impl<'a> IndicoBackfill<'a> {
    /// Connected when a dataset of this source is selected; None otherwise.
    pub async fn open(
        source: &'a IndicoSource,
        ctx: &SourceContext<'_>,
    ) -> Result<Option<Self>, RunError> {
        let wanted = source.selected(ctx.requested);
        if wanted.is_empty() {
            return Ok(None);
        }
        Ok(Some(IndicoBackfill {
            source,
            reader: connect(source).await?,
            wanted,
        }))
    }

    /// Re-reads UTC `day` of every selected dataset.
    pub async fn day(
        &self,
        ctx: &RunContext<'_>,
        day: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        let started = std::time::Instant::now();
        if day > last_complete_day(today_utc()) {
            return Ok(self
                .wanted
                .iter()
                .map(|d| DatasetSummary {
                    name: d.to_string(),
                    warnings: vec![format!("{day} is not over yet (UTC): not backfilled")],
                    ..Default::default()
                })
                .collect());
        }
        let archive = IndicoArchive::new(self.source, ctx);
        let mut summaries = archive
            .backfill_day(&self.reader, &self.wanted, day)
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        for s in &mut summaries {
            s.seconds = seconds;
        }
        Ok(summaries)
    }
}

/// The `plan` / dry-run rows: per selected dataset and day, what the lake holds and
/// whether the platform can provide the day (every complete day; a day's size is
/// unknown without reading it).
pub fn plan_days(
    source: &IndicoSource,
    ctx: &SourceContext<'_>,
    days: &[NaiveDate],
    plans: &mut [DayPlan],
) -> Result<(), RunError> {
    let name = source.name();
    let yesterday = last_complete_day(today_utc());
    for dataset in source.selected(ctx.requested) {
        let partitions =
            list_partitions(ctx.layout, name, dataset).map_err(|e| RunError::Load {
                source_name: name.to_string(),
                dataset: dataset.to_string(),
                source: e,
            })?;
        for (day, plan) in days.iter().zip(plans.iter_mut()) {
            let partition = day_partition(dataset, *day);
            let lake_rows = partitions
                .iter()
                .find(|p| p.name == partition)
                .map_or(0, |p| p.rows);
            plan.datasets.push(DatasetDay {
                source: name.to_string(),
                dataset: dataset.to_string(),
                source_rows: None,
                lake_rows,
                source_can_provide: if *day <= yesterday {
                    Availability::All
                } else {
                    Availability::None
                },
            });
        }
    }
    Ok(())
}
