//! Archiving Indico days into the lake: the nightly run and the backfill of one day.
//!
//! Days are UTC days, as the API defines them, and a day is archived once it is over
//! (`userSnapshot(date)` is the state "at this date 23:59 UTC"). The nightly run
//! archives every complete day after the last one archived, so missed nights catch up
//! by themselves; the last archived day per dataset lives in the state file and is
//! saved after the day's files are published (a crash re-reads that day, and a
//! snapshot day rewrites its one file, so nothing is doubled).
//!
//! - `user_summary` + `user_summary_roles` come from one query per day, and
//!   `user_snapshots` + `user_snapshot_datasets` from one paged read per day; each day
//!   is a `snapshot_date=` partition replaced whole by a rerun.
//! - `user_changelog` is read by date range, in chunks of [`CHANGELOG_CHUNK_DAYS`],
//!   starting `changelog_overlap_days` before the day after the last archived one, and
//!   merged by its string key `id` into `event_date=` partitions (the pipeline's zone).

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use chrono::{Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::datasets::{
    USER_CHANGELOG, USER_SNAPSHOTS, USER_SNAPSHOT_DATASETS, USER_SUMMARY, USER_SUMMARY_ROLES,
};
use super::{IndicoError, IndicoReader, IndicoSourceConfig};
use crate::config::Compression;
use crate::failpoint;
use crate::load::state::{SourceState, StateStore};
use crate::load::{LakeLayout, Partitioning, WriteSummary};
use crate::progress::Progress;
use crate::sources::BatchTarget;
use crate::sources::{DatasetSummary, RunContext, RunError};

/// Changelog days per request range: bounds one read's memory on busy days.
pub const CHANGELOG_CHUNK_DAYS: u64 = 7;

/// The datasets filled by one per-day read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRead {
    Summary,
    Snapshot,
}

impl DayRead {
    pub const ALL: [DayRead; 2] = [DayRead::Summary, DayRead::Snapshot];

    pub fn datasets(self) -> [&'static str; 2] {
        match self {
            DayRead::Summary => [USER_SUMMARY, USER_SUMMARY_ROLES],
            DayRead::Snapshot => [USER_SNAPSHOTS, USER_SNAPSHOT_DATASETS],
        }
    }
}

/// Today's UTC date; `USAGELAKE_TODAY=YYYY-MM-DD` overrides it (tests of missed nights
/// and catch-up; never set in production), as the other kinds' snapshot dates.
pub fn today_utc() -> NaiveDate {
    std::env::var("USAGELAKE_TODAY")
        .ok()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| Utc::now().date_naive())
}

/// The newest day that is over in UTC.
pub fn last_complete_day(today: NaiveDate) -> NaiveDate {
    today.pred_opt().unwrap_or(today)
}

/// The first day a source with nothing archived reads.
pub fn first_day(config: &IndicoSourceConfig, today: NaiveDate) -> NaiveDate {
    config.history_start.unwrap_or_else(|| {
        today
            .checked_sub_days(Days::new(super::config::DEFAULT_HISTORY_DAYS))
            .unwrap_or(today)
    })
}

/// Inclusive days `from..=to` (none when `from > to`).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).collect()
}

fn parse_day(text: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text?, "%Y-%m-%d").ok()
}

/// The last archived day of `dataset`, from its state.
pub fn last_archived(state: &SourceState, dataset: &str) -> Option<NaiveDate> {
    parse_day(state.datasets.get(dataset)?.last_snapshot_date.as_deref())
}

/// What archiving one source needs; one per run (or backfill day).
pub struct IndicoArchive<'a> {
    pub name: &'a str,
    pub config: &'a IndicoSourceConfig,
    pub layout: &'a LakeLayout,
    /// The pipeline's zone: `event_date` of changelog entries.
    pub tz: Tz,
    pub compression: Compression,
    pub row_group_rows: usize,
    pub run_id: &'a str,
    pub progress: &'a Progress,
}

impl<'a> IndicoArchive<'a> {
    pub fn new(source: &'a super::IndicoSource, ctx: &RunContext<'a>) -> Self {
        IndicoArchive {
            name: source.name(),
            config: &source.config,
            layout: ctx.source.layout,
            tz: ctx.source.time_zone,
            compression: ctx.source.output.compression,
            row_group_rows: ctx.source.output.row_group_rows,
            run_id: ctx.run_id,
            progress: ctx.progress,
        }
    }

    fn extract_error(&self, dataset: &str) -> impl FnOnce(IndicoError) -> RunError {
        let source_name = self.name.to_string();
        let dataset = dataset.to_string();
        move |source| RunError::Api {
            source_name,
            dataset,
            api: "Indico",
            source: Box::new(source),
        }
    }

    fn state_error(&self) -> impl FnOnce(crate::load::state::StateError) -> RunError {
        let source_name = self.name.to_string();
        move |source| RunError::State {
            source_name,
            source,
        }
    }

    /// The nightly run of the `wanted` datasets: every complete day not archived yet.
    pub async fn run(
        &self,
        reader: &IndicoReader,
        wanted: &[&str],
        today: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        let store = StateStore::new(self.layout);
        let mut state = store.load(self.name).map_err(self.state_error())?;
        let mut summaries = Summaries::new(wanted);
        let yesterday = last_complete_day(today);
        let start = first_day(self.config, today);
        for read in DayRead::ALL {
            let datasets: Vec<&str> = read
                .datasets()
                .into_iter()
                .filter(|d| wanted.contains(d))
                .collect();
            if datasets.is_empty() {
                continue;
            }
            // The laggard decides: a dataset added to the pipeline later starts from
            // history_start while its sibling is rewritten (same read, same files).
            let from = datasets
                .iter()
                .map(|d| {
                    last_archived(&state, d)
                        .and_then(|l| l.succ_opt())
                        .unwrap_or(start)
                })
                .min()
                .unwrap_or(start);
            for day in days_between(from, yesterday) {
                self.archive_day(reader, read, day, &datasets, &mut summaries)
                    .await?;
                for dataset in &datasets {
                    mark_archived(&mut state, dataset, day, self.run_id);
                }
                failpoint::hit("before_state");
                store.save(self.name, &state).map_err(self.state_error())?;
            }
        }
        if wanted.contains(&USER_CHANGELOG) {
            self.run_changelog(reader, &store, &mut state, start, yesterday, &mut summaries)
                .await?;
        }
        Ok(summaries.into_vec())
    }

    async fn run_changelog(
        &self,
        reader: &IndicoReader,
        store: &StateStore,
        state: &mut SourceState,
        start: NaiveDate,
        yesterday: NaiveDate,
        summaries: &mut Summaries,
    ) -> Result<(), RunError> {
        let last = last_archived(state, USER_CHANGELOG);
        if last.is_some_and(|l| l >= yesterday) {
            return Ok(()); // no new complete day: nothing to re-read either
        }
        let from = match last {
            Some(last) => last
                .checked_sub_days(Days::new(u64::from(self.config.changelog_overlap_days)))
                .and_then(|d| d.succ_opt())
                .unwrap_or(last),
            None => start,
        };
        let mut chunk_start = from;
        while chunk_start <= yesterday {
            let chunk_end = chunk_start
                .checked_add_days(Days::new(CHANGELOG_CHUNK_DAYS - 1))
                .unwrap_or(yesterday)
                .min(yesterday);
            self.archive_changelog(reader, chunk_start, chunk_end, summaries)
                .await?;
            if last.is_none_or(|l| chunk_end > l) {
                mark_archived(state, USER_CHANGELOG, chunk_end, self.run_id);
                failpoint::hit("before_state");
                store.save(self.name, state).map_err(self.state_error())?;
            }
            chunk_start = chunk_end.succ_opt().unwrap_or(chunk_end);
            if chunk_end == yesterday {
                break;
            }
        }
        Ok(())
    }

    /// A backfill of one UTC day: the selected per-day datasets are read again and
    /// replace their partition; the day's changelog entries merge by key. State is
    /// never moved (a backfill has not seen the days in between).
    pub async fn backfill_day(
        &self,
        reader: &IndicoReader,
        wanted: &[&str],
        day: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        let mut summaries = Summaries::new(wanted);
        for read in DayRead::ALL {
            let datasets: Vec<&str> = read
                .datasets()
                .into_iter()
                .filter(|d| wanted.contains(d))
                .collect();
            if !datasets.is_empty() {
                self.archive_day(reader, read, day, &datasets, &mut summaries)
                    .await?;
            }
        }
        if wanted.contains(&USER_CHANGELOG) {
            self.archive_changelog(reader, day, day, &mut summaries)
                .await?;
        }
        Ok(summaries.into_vec())
    }

    async fn archive_day(
        &self,
        reader: &IndicoReader,
        read: DayRead,
        day: NaiveDate,
        datasets: &[&str],
        summaries: &mut Summaries,
    ) -> Result<(), RunError> {
        let [first, second] = read.datasets();
        let bar = self.progress.dataset(self.name, &format!("{first} {day}"));
        let batches = match read {
            DayRead::Summary => reader.summary(day).await,
            DayRead::Snapshot => reader.snapshot(day).await,
        }
        .map_err(self.extract_error(first))?;
        for (dataset, batch) in [(first, batches.0), (second, batches.1)] {
            if !datasets.contains(&dataset) {
                continue;
            }
            bar.add_rows(batch.num_rows() as u64);
            let rows = batch.num_rows() as u64;
            let written = self
                .write(dataset, batch, Partitioning::SnapshotDate { date: day })
                .await?;
            summaries.add(dataset, rows, &written);
        }
        bar.finish("done");
        Ok(())
    }

    async fn archive_changelog(
        &self,
        reader: &IndicoReader,
        from: NaiveDate,
        to: NaiveDate,
        summaries: &mut Summaries,
    ) -> Result<(), RunError> {
        let bar = self
            .progress
            .dataset(self.name, &format!("{USER_CHANGELOG} {from}..{to}"));
        let batch = reader
            .changelog(from, to)
            .await
            .map_err(self.extract_error(USER_CHANGELOG))?;
        let rows = batch.num_rows() as u64;
        bar.add_rows(rows);
        if rows > 0 {
            let partitioning = Partitioning::EventDate {
                time_column: "date".into(),
                key_column: "id".into(),
                tz: self.tz,
            };
            let written = self.write(USER_CHANGELOG, batch, partitioning).await?;
            summaries.add(USER_CHANGELOG, rows, &written);
        } else {
            summaries.add(USER_CHANGELOG, 0, &WriteSummary::default());
        }
        bar.finish("done");
        Ok(())
    }

    /// Writes and commits one batch on a blocking thread (Parquet encoding, fsync).
    async fn write(
        &self,
        dataset: &str,
        batch: RecordBatch,
        partitioning: Partitioning,
    ) -> Result<WriteSummary, RunError> {
        BatchTarget {
            layout: self.layout,
            source_name: self.name,
            compression: self.compression,
            row_group_rows: self.row_group_rows,
            run_id: self.run_id,
        }
        .write(dataset, batch, partitioning)
        .await
    }
}

fn mark_archived(state: &mut SourceState, dataset: &str, day: NaiveDate, run_id: &str) {
    let entry = state.datasets.entry(dataset.to_string()).or_default();
    entry.last_snapshot_date = Some(day.format("%Y-%m-%d").to_string());
    entry.updated_at = Utc::now().to_rfc3339();
    entry.run_id = run_id.to_string();
}

/// Per-dataset totals of a run, in the order the datasets were asked for.
struct Summaries {
    order: Vec<String>,
    by_name: BTreeMap<String, DatasetSummary>,
}

impl Summaries {
    fn new(wanted: &[&str]) -> Self {
        Summaries {
            order: wanted.iter().map(|d| d.to_string()).collect(),
            by_name: BTreeMap::new(),
        }
    }

    fn add(&mut self, dataset: &str, rows_read: u64, written: &WriteSummary) {
        let summary = self
            .by_name
            .entry(dataset.to_string())
            .or_insert_with(|| DatasetSummary {
                name: dataset.to_string(),
                ..Default::default()
            });
        summary.rows_read += rows_read;
        summary.rows_written += written.rows_written;
        summary.rows_already_present += written.rows_already_present;
        for (partition, rows) in &written.partitions {
            *summary.partitions.entry(partition.clone()).or_default() += rows;
        }
    }

    /// Every wanted dataset, also those with nothing to do (0 rows).
    fn into_vec(mut self) -> Vec<DatasetSummary> {
        self.order
            .iter()
            .map(|name| {
                self.by_name.remove(name).unwrap_or_else(|| DatasetSummary {
                    name: name.clone(),
                    ..Default::default()
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_first_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(days_between(d("2026-11-30"), d("2026-12-02")).len(), 3);
        assert!(days_between(d("2026-12-02"), d("2026-12-01")).is_empty());
        assert_eq!(last_complete_day(d("2026-12-01")), d("2026-11-30"));
        let mut config =
            IndicoSourceConfig::new("i", "h", crate::config::SecretRef::Env("T".into()));
        assert_eq!(first_day(&config, d("2026-12-03")), d("2026-11-03"));
        config.history_start = Some(d("2026-01-01"));
        assert_eq!(first_day(&config, d("2026-12-03")), d("2026-01-01"));
    }
}
