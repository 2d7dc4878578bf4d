//! `status` of an `arcgis` source: lake facts like any source, and for `history` a
//! coverage check against the portal's retention.
//!
//! ArcGIS history retention is undocumented (reference §1.6), and events carry no
//! sequence number, so the only evidence of a purge is time: one page of one event,
//! `sortOrder=asc` from epoch 0, gives the oldest event the portal still returns.
//! - Oldest > our watermark (every event `created` before the watermark is archived):
//!   events between the two were purged before any run copied them. A gap (exit 3).
//! - `history_start` configured, the lake's first day later than it, and the portal's
//!   oldest event no earlier than that first day: the first run asked for history the
//!   portal no longer had. A gap (exit 3) with the span, unless that start was quiet
//!   (the portal cannot tell); set `history_start` to the lake's first day to accept it.
//! - The portal still returns events from before the lake's first day (e.g. the default
//!   30-day first run): not lost yet, so only a note with the backfill that archives
//!   them. Not a gap: it would fire on every default install for as long as the
//!   portal keeps more than 30 days.
//!
//! The derived `auth_events` and `sessions` are listed with what the lake holds.
//!
//! `users` and `logins` have no coverage check (the portal knows members only as they
//! are now), so an Enterprise source (no history) is not contacted at all.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::backfill::HistoryBackfill;
use super::ArcgisSource;
use crate::days::{format_us, local_date_of_ms, DateRange};
use crate::load::state::{SourceState, StateStore};
use crate::load::{list_partitions, LoadError};
use crate::sources::status::{
    derived_status, error_chain, lake_status, load_state, DatasetStatus, LostSpan, SourceStatus,
};
use crate::sources::{RunError, SourceContext};
use crate::transform::auth_events::AUTH_EVENTS;
use crate::transform::sessions::SESSIONS;

pub async fn status(
    source: &ArcgisSource,
    ctx: &SourceContext<'_>,
    now_us: i64,
) -> Result<SourceStatus, LoadError> {
    let layout = ctx.layout;
    let name = source.name();
    let state = load_state(&StateStore::new(layout), name);
    let mut datasets = Vec::new();
    for dataset in source.datasets() {
        let partitions = list_partitions(layout, name, dataset)?;
        let ds = state.datasets.get(dataset);
        let mut status = lake_status(dataset, dataset != "users", &partitions, ds, now_us);
        match dataset {
            "history" => {
                status.watermark = ds.and_then(|d| d.watermark_key);
                status.watermark_time = status.watermark.map(|ms| format_us(Some(ms * 1000)));
            }
            // Days without a changed sign-in are normal: no empty-day check.
            _ => {
                status.watermark_time = status.newest_event.clone();
                status.empty_days.clear();
            }
        }
        datasets.push(status);
    }
    if source.datasets().contains(&"history") {
        // Derived after every run that archives `history` (`sessions`).
        for dataset in [AUTH_EVENTS, SESSIONS] {
            datasets.push(derived_status(layout, name, dataset, now_us)?);
        }
    }
    let mut unreachable = None;
    if let Some(history) = datasets.iter_mut().find(|d| d.name == "history") {
        let first_day = first_day(&history.first_partition);
        let oldest = oldest_event_ms(source).await;
        match oldest {
            Ok(oldest_ms) => {
                let coverage = Coverage {
                    time_zone: ctx.time_zone,
                    source,
                    state: &state,
                    lake_first_day: first_day,
                };
                coverage.check(oldest_ms, history);
            }
            Err(e) => unreachable = Some(error_chain(&e)),
        }
    }
    Ok(SourceStatus {
        name: name.to_string(),
        unreachable,
        datasets,
    })
}

async fn oldest_event_ms(source: &ArcgisSource) -> Result<Option<i64>, RunError> {
    let portal = HistoryBackfill::connect(source).await?;
    portal
        .portal()
        .oldest_event_ms()
        .await
        .map_err(|e| RunError::Api {
            api: "ArcGIS",
            source_name: source.name().to_string(),
            dataset: "history".into(),
            source: Box::new(e),
        })
}

/// The lake's first history day (the NULL-time bucket is not one).
fn first_day(first_partition: &Option<String>) -> Option<NaiveDate> {
    first_partition
        .as_deref()
        .and_then(crate::load::event_partition_date)
        .filter(|d| *d != crate::load::NULL_EVENT_DATE)
}

struct Coverage<'a> {
    time_zone: Tz,
    source: &'a ArcgisSource,
    state: &'a SourceState,
    lake_first_day: Option<NaiveDate>,
}

impl Coverage<'_> {
    fn check(&self, oldest_ms: Option<i64>, status: &mut DatasetStatus) {
        let tz = self.time_zone;
        let Some(oldest_ms) = oldest_ms else {
            return; // the portal returns nothing: no evidence either way
        };
        let oldest_us = oldest_ms * 1000;
        let oldest_day = local_date_of_ms(oldest_ms, tz);
        let watermark = self
            .state
            .datasets
            .get("history")
            .and_then(|d| d.watermark_key);
        if let Some(watermark_ms) = watermark.filter(|w| oldest_ms > *w) {
            status.lost_span = Some(LostSpan::new(
                watermark_ms * 1000,
                oldest_us,
                "the portal's oldest remaining event is newer than our watermark: \
                 events in between were purged before a run archived them"
                    .into(),
            ));
            return;
        }
        let (Some(first), Some(oldest_day)) = (self.lake_first_day, oldest_day) else {
            return;
        };
        match self.source.history_start {
            Some(start) if start < first && oldest_day >= first => {
                let (start_us, _) = DateRange::day(start).to_utc_micros(tz);
                status.lost_span = Some(LostSpan::new(
                    start_us,
                    oldest_us,
                    format!(
                        "history_start is {start} but the portal's oldest event is newer: \
                         it purged them before the first run (or there were none); set \
                         history_start = \"{first}\" to accept this"
                    ),
                ));
            }
            _ if oldest_day < first => status.notes.push(format!(
                "the portal still returns events from {oldest_day} on, before the lake's \
                 first day {first}; `usagelake backfill PIPELINE --from {oldest_day} --to {}` \
                 archives them before retention (undocumented) purges them",
                first.pred_opt().unwrap_or(first)
            )),
            _ => {}
        }
    }
}
