//! `kind = "arcgis"`: an ArcGIS Online organization or an ArcGIS Enterprise portal.
//! `history` checkpointed slice by slice, `users` snapshotted whole, `logins` derived
//! from the users' `lastLogin` against what the lake holds.
//!
//! - `config`: the pipeline-file section; `api`: the portal's REST API (token, paging,
//!   error envelopes, JSON → Arrow per dataset); `fake_portal`: the in-process fake the
//!   demo and the tests run against.
//! - this file: the incremental run and `check --connect`; `history`, `logins`: one
//!   dataset each; `backfill`: `history` by day and the plan; `status`: coverage against
//!   the portal's retention.
//!
//! One token and one HTTP client per run, shared by the three datasets; the users are
//! read once and feed both `users` and `logins`.

pub mod api;
pub mod backfill;
pub mod config;
pub mod fake_portal;
mod history;
mod logins;
pub mod sessions;
pub mod status;

pub use config::{ArcgisPlatform, ArcgisSource};

use std::sync::Arc;

use arrow_array::RecordBatch;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::Output;
use crate::http::ApiClient;
use crate::load::state::{SourceState, StateStore};
use crate::load::{LakeLayout, Partitioning, WriteSummary};
use crate::progress::Progress;
use crate::sources::arcgis::api::{ArcgisError, ArcgisPortal};
use crate::sources::BatchTarget;
use crate::sources::{DatasetSummary, RunContext, RunError, SourceSummary};

/// What every dataset of one source run needs.
struct ArcgisRun<'a> {
    time_zone: Tz,
    output: &'a Output,
    source: &'a ArcgisSource,
    layout: &'a LakeLayout,
    run_id: &'a str,
    progress: &'a Progress,
    store: StateStore,
    /// Today in the pipeline's zone: the `users` snapshot_date.
    run_date: NaiveDate,
}

pub(crate) async fn run(
    source: &ArcgisSource,
    ctx: &RunContext<'_>,
) -> Result<SourceSummary, RunError> {
    let (layout, run_id, progress) = (ctx.source.layout, ctx.run_id, ctx.progress);
    let requested = ctx.source.requested;
    let name = source.name().to_string();
    let mut datasets = Vec::new();
    if !source.platform.has_history() && requested.is_empty() {
        datasets.push(DatasetSummary {
            name: "history".into(),
            skipped: Some("ArcGIS Enterprise has no org history endpoint".into()),
            ..Default::default()
        });
    }
    let wanted: Vec<String> = source
        .datasets()
        .into_iter()
        .filter(|d| requested.is_empty() || requested.iter().any(|r| r == d))
        .map(str::to_string)
        .collect();
    if wanted.is_empty() {
        return Ok(SourceSummary {
            name,
            datasets,
            transform: None,
            error: None,
        });
    }
    let portal = Arc::new(connect(source).await?);
    let ctx = ArcgisRun {
        time_zone: ctx.source.time_zone,
        output: ctx.source.output,
        source,
        layout,
        run_id,
        progress,
        store: StateStore::new(layout),
        run_date: Utc::now().with_timezone(&ctx.source.time_zone).date_naive(),
    };
    let mut state = ctx.load_state()?;
    // Read once for `users` and `logins`; a failed read fails both, and only them.
    let mut users: Option<Result<RecordBatch, String>> = None;
    for dataset in &wanted {
        let started = std::time::Instant::now();
        let mut summary = DatasetSummary {
            name: dataset.clone(),
            ..Default::default()
        };
        // One dataset's failure must not stop the others (history has nothing to do
        // with users and logins): each failure is recorded in its summary, the run goes
        // on, and the run skeleton fails the run at the end. Every watermark stays right
        // because a dataset saves its state only after the data it covers is committed.
        let outcome = match dataset.as_str() {
            "history" => history::archive(&ctx, portal.clone(), &mut state, &mut summary)
                .await
                .map_err(Failed::from),
            "users" | "logins" => {
                if users.is_none() {
                    let bar = progress.dataset(&name, "users (reading)");
                    let read = portal.users().await;
                    bar.finish(if read.is_ok() { "done" } else { "failed" });
                    users = Some(read.map_err(|e| chain(&ctx.extract_error("users")(e))));
                }
                match users.as_ref().expect("read above") {
                    Ok(batch) if dataset == "users" => {
                        logins::archive_users(&ctx, batch, &mut state)
                            .await
                            .map_err(Failed::from)
                    }
                    Ok(batch) => logins::archive_logins(&ctx, batch, &mut state)
                        .await
                        .map_err(Failed::from),
                    Err(read_error) if dataset == "users" => Err(Failed(read_error.clone())),
                    Err(_) => Err(Failed(format!(
                        "source `{name}`, dataset `logins`: not run: it derives from the \
                         users, which could not be read (see `users`)"
                    ))),
                }
                .map(|done| summary = done)
            }
            other => unreachable!("config admits only known datasets, got {other}"),
        };
        if let Err(Failed(error)) = outcome {
            tracing::error!(source = %name, dataset = %dataset, error = %error, "dataset failed; going on with the others");
            summary.name = dataset.clone();
            summary.error = Some(error);
            if summary.watermark_before.is_none() {
                let watermark = state.datasets.get(dataset).and_then(|d| d.watermark_key);
                summary.watermark_before = watermark;
                summary.watermark_after = watermark;
            }
        }
        summary.seconds = started.elapsed().as_secs_f64();
        datasets.push(summary);
    }
    if wanted.iter().any(|d| d == "history") {
        // Sign-ins → auth_events and sessions (see `sessions`).
        let written: Vec<String> = datasets
            .iter()
            .filter(|d| d.name == "history")
            .flat_map(|d| d.partitions.keys().cloned())
            .collect();
        datasets.extend(sessions::rebuild(&ctx, &written)?);
    }
    Ok(SourceSummary {
        name,
        datasets,
        transform: None,
        error: None,
    })
}

/// A dataset's failure, formatted with its causes for the summary and the ledger.
struct Failed(String);

impl From<RunError> for Failed {
    fn from(error: RunError) -> Self {
        Failed(chain(&error))
    }
}

/// Resolves the credentials and mints the first token, so a bad password fails the
/// source before anything is planned.
async fn connect(source: &ArcgisSource) -> Result<ArcgisPortal, RunError> {
    let error = |source_error| RunError::ApiConnect {
        api: "ArcGIS portal",
        source_name: source.name().to_string(),
        source: Box::new(source_error),
    };
    let client =
        ApiClient::new(&source.portal.client_options()).map_err(|e| error(ArcgisError::Http(e)))?;
    ArcgisPortal::connect(&source.portal, client)
        .await
        .map_err(error)
}

impl ArcgisRun<'_> {
    fn name(&self) -> &str {
        self.source.name()
    }

    fn extract_error(&self, dataset: &str) -> impl FnOnce(ArcgisError) -> RunError {
        let source_name = self.name().to_string();
        let dataset = dataset.to_string();
        move |source| RunError::Api {
            api: "ArcGIS",
            source_name,
            dataset,
            source: Box::new(source),
        }
    }

    fn load_state(&self) -> Result<SourceState, RunError> {
        self.store
            .load(self.name())
            .map_err(|source| RunError::State {
                source_name: self.name().to_string(),
                source,
            })
    }

    /// Written only after the data it describes is committed (see `pipeline::state`).
    fn save_state(&self, state: &SourceState) -> Result<(), RunError> {
        self.store
            .save(self.name(), state)
            .map_err(|source| RunError::State {
                source_name: self.name().to_string(),
                source,
            })
    }

    /// Writes one batch into `dataset` and commits it, on a blocking thread (Parquet
    /// encoding and fsync), so the async workers keep fetching the next slices.
    async fn write(
        &self,
        dataset: &str,
        batch: RecordBatch,
        partitioning: Partitioning,
    ) -> Result<WriteSummary, RunError> {
        BatchTarget {
            layout: self.layout,
            source_name: self.name(),
            compression: self.output.compression,
            row_group_rows: self.output.row_group_rows,
            run_id: self.run_id,
        }
        .write(dataset, batch, partitioning)
        .await
    }
}

/// Adds one commit's counts to a dataset's run summary.
fn add_written(summary: &mut DatasetSummary, written: &WriteSummary) {
    summary.rows_written += written.rows_written;
    summary.rows_already_present += written.rows_already_present;
    for (partition, rows) in &written.partitions {
        *summary.partitions.entry(partition.clone()).or_default() += rows;
    }
}

/// `usagelake check --connect`: a token, one history page (Online), one users page.
/// Prints one line per check; returns how many failed.
pub async fn check_connect(source: &ArcgisSource, quiet: bool) -> usize {
    let say = |what: &str, line: String| {
        if !quiet {
            println!("  {}/{what}: {line}", source.name());
        }
    };
    let portal = match connect(source).await {
        Ok(portal) => portal,
        Err(e) => {
            say("token", format!("PROBLEM: {}", chain(&e)));
            return 1;
        }
    };
    say("token", "ok".into());
    let mut problems = 0;
    let datasets = source.datasets();
    if datasets.contains(&"history") {
        match portal.check_history().await {
            Ok(n) => say(
                "history",
                format!("ok (one page read, {n} event(s) of the last day)"),
            ),
            Err(e) => {
                problems += 1;
                say("history", format!("PROBLEM: {}", chain(&e)));
            }
        }
    } else if !source.platform.has_history() {
        say("history", "absent on ArcGIS Enterprise (skipped)".into());
    }
    if datasets.iter().any(|d| *d == "users" || *d == "logins") {
        match portal.check_users().await {
            Ok(total) => say("users", format!("ok (one page read, {total} members)")),
            Err(e) => {
                problems += 1;
                say("users", format!("PROBLEM: {}", chain(&e)));
            }
        }
    }
    problems
}

/// An error and its causes on one line: the cause carries the HTTP status and cursor.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
