//! Rebuilding a source's `sessions` dataset from its login/logout events.
//!
//! Sessions are derived from *all* of the source's events on every rebuild (10M events take
//! a few seconds, see README): a late login, a logout that closes an `open` session, or a
//! timeout that became due can change days far from the new events, and a full derivation
//! is the only way to be exactly right. What is *written* is incremental: each day's
//! sessions get an order-independent content hash, and only days whose hash differs from
//! the one saved (or whose partition is missing) are replaced, atomically, one file per
//! day; days that no longer have sessions (an orphan replaced by its session on another
//! day) are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::derive::{SessionDeriver, EVENT_AT, EVENT_TYPE, MACHINE, USER};
use super::rules::SessionRules;
use super::SESSIONS_SCHEMA;
use crate::config::Output;
use crate::load::partition_date;
use crate::load::PartitionPublisher;
use crate::load::{event_partition_name, fsutil, list_partitions, Compression, LakeLayout};
use crate::transform::lake::read_files_columns_as_dictionaries;
use crate::transform::TransformError;

pub const SESSIONS: &str = "sessions";

pub struct SessionsRequest<'a> {
    pub layout: &'a LakeLayout,
    pub source: &'a str,
    /// The dataset holding the events (`events`, `auth_events`), with the columns
    /// `machine`, `user`, `event_at`, `event_type`.
    pub events_dataset: &'a str,
    pub rules: SessionRules,
    pub tz: Tz,
    pub run_id: &'a str,
    pub compression: Compression,
    pub row_group_rows: usize,
}

impl<'a> SessionsRequest<'a> {
    /// A source's request, written with the pipeline's output settings.
    pub fn new(
        layout: &'a LakeLayout,
        source: &'a str,
        events_dataset: &'a str,
        rules: SessionRules,
        tz: Tz,
        run_id: &'a str,
        output: &Output,
    ) -> Self {
        SessionsRequest {
            layout,
            source,
            events_dataset,
            rules,
            tz,
            run_id,
            compression: output.compression,
            row_group_rows: output.row_group_rows,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionsSummary {
    pub events: u64,
    pub sessions: u64,
    pub open: u64,
    pub orphans: u64,
    /// Days whose partition was replaced or removed.
    pub days_rewritten: Vec<String>,
    pub derive_seconds: f64,
    pub seconds: f64,
}

/// Days published at once: more than the cores, so one day's fsync does not idle a core.
const PUBLISH_THREADS: usize = 8;

/// What publishing one day did.
struct DayWritten {
    date: NaiveDate,
    hash: u64,
    sessions: u64,
    open: u64,
    orphans: u64,
    rewritten: bool,
}

/// `<root>/_usagelake/state/<source>.sessions.json`: the content hash of each day written.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SessionsState {
    /// Day (`YYYY-MM-DD` in the file) → hash.
    days: BTreeMap<NaiveDate, u64>,
}

pub fn rebuild_sessions(request: &SessionsRequest<'_>) -> Result<SessionsSummary, TransformError> {
    let started = Instant::now();
    let label = format!("{}/{}", request.source, request.events_dataset);
    let list = |dataset: &str| {
        list_partitions(request.layout, request.source, dataset).map_err(|source| {
            TransformError::List {
                dataset: format!("{}/{dataset}", request.source),
                source,
            }
        })
    };
    // Each thread reads whole partitions into a deriver of its own; they are merged.
    let deriver = list(request.events_dataset)?
        .par_iter()
        .try_fold(SessionDeriver::default, |mut deriver, partition| {
            let columns = [MACHINE, USER, EVENT_AT, EVENT_TYPE];
            let dictionaries = [MACHINE, USER, EVENT_TYPE];
            for batch in
                read_files_columns_as_dictionaries(&partition.files, &columns, &dictionaries)?
            {
                deriver.add_batch(&batch)?;
            }
            Ok::<_, TransformError>(deriver)
        })
        .try_reduce(SessionDeriver::default, |a, b| Ok(a.merge(b)))?;
    let events = deriver.rows();
    let read_seconds = started.elapsed().as_secs_f64();
    let derived = deriver.derive(request.source, request.rules, request.tz);
    let names = &derived.names;
    let derive_seconds = started.elapsed().as_secs_f64();
    tracing::debug!(source = %label, events, read_seconds, derive_seconds, "sessions derived");

    let state_path = request
        .layout
        .state_dir()
        .join(format!("{}.sessions.json", request.source));
    let previous: SessionsState = match std::fs::read(&state_path) {
        // An unreadable state only costs rewriting every day.
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(_) => SessionsState::default(),
    };
    let on_disk: BTreeSet<NaiveDate> = list(SESSIONS)?
        .iter()
        .filter(|p| !p.files.is_empty())
        .filter_map(|p| partition_date(&p.name, "event_date"))
        .collect();
    let publisher = PartitionPublisher {
        layout: request.layout,
        source: request.source,
        dataset: SESSIONS,
        run_id: request.run_id,
        compression: request.compression,
        row_group_rows: request.row_group_rows,
        sort: None,
        plain_columns: &[],
    };
    let mut summary = SessionsSummary {
        events,
        derive_seconds,
        ..SessionsSummary::default()
    };
    // Days are encoded and published side by side: the CPU work spreads over the cores
    // and the fsyncs of different days overlap.
    publisher.prepare()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PUBLISH_THREADS)
        .build()
        .map_err(|e| TransformError::Thread {
            source: std::io::Error::other(e),
        })?;
    let written: Vec<DayWritten> = pool.install(|| {
        derived
            .days
            .par_iter()
            .map(|(&date, sessions)| {
                let hash = sessions.content_hash(names);
                let day = DayWritten {
                    date,
                    hash,
                    sessions: sessions.len() as u64,
                    open: sessions.open_count(),
                    orphans: sessions.orphan_count(),
                    rewritten: !(previous.days.get(&date) == Some(&hash)
                        && on_disk.contains(&date)),
                };
                if day.rewritten {
                    let name = event_partition_name(date);
                    publisher.replace(
                        &name,
                        &SESSIONS_SCHEMA,
                        &[sessions.to_batch(date, names)],
                    )?;
                }
                Ok::<_, TransformError>(day)
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut state = SessionsState::default();
    for day in &written {
        summary.sessions += day.sessions;
        summary.open += day.open;
        summary.orphans += day.orphans;
        state.days.insert(day.date, day.hash);
        if day.rewritten {
            summary.days_rewritten.push(day.date.to_string());
        }
    }
    for date in on_disk.iter().filter(|d| !state.days.contains_key(d)) {
        publisher.clear(&event_partition_name(*date))?;
        summary.days_rewritten.push(date.to_string());
    }
    let json = serde_json::to_vec_pretty(&state).expect("plain data serializes");
    std::fs::create_dir_all(request.layout.state_dir())
        .and_then(|_| fsutil::atomic_write(&state_path, &json))
        .map_err(|e| TransformError::Write {
            dataset: format!("{}/{SESSIONS}", request.source),
            partition: state_path.display().to_string(),
            message: e.to_string(),
        })?;
    summary.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        source = %label,
        events,
        sessions = summary.sessions,
        days_rewritten = summary.days_rewritten.len(),
        seconds = format!("{:.3}", summary.seconds),
        "sessions rebuilt"
    );
    Ok(summary)
}
