//! Source kinds, and the one contract the rest of the program knows them by.
//!
//! A source kind is one folder, `sources/<kind>/`, holding everything about it: its
//! pipeline-file section (`config.rs`, a [`SourceKind`]), its dataset specs, extraction,
//! incremental state, backfill by day, status facts, `check --connect`, and its test
//! fake. Everything else sees a source only as a [`SourceConfig`], whose methods below
//! are the single dispatch point:
//!
//! | method | what the kind does |
//! |---|---|
//! | `name`, `kind`, `datasets` | identity and the configured datasets |
//! | `run` | extract incrementally into the lake (through `load`), save state, return a [`SourceSummary`] |
//! | `open_backfill` → [`Backfill::day`] | re-read one local day into its partitions; state untouched |
//! | `plan_days` | what the source can still provide per day (`plan`, `backfill --dry-run`) |
//! | `status` | lake facts plus what the source no longer provides ([`status::SourceStatus`]) |
//! | `check_connect` | prove the credentials and one read per dataset (`check --connect`) |
//!
//! Adding a kind: a folder `sources/<kind>/`, one line in [`KINDS`], one variant in
//! [`SourceConfig`] and [`Backfill`] plus one arm in each method (the compiler lists
//! them). See `ARCHITECTURE.md`.
//!
//! Shared by several kinds: `pg_tables` (reading PostgreSQL tables by watermark, by day,
//! and their purge gaps), `summary`, `status`, `plan` (the facts kinds report),
//! `session_settings` (the `sessions` keys of every kind that derives them).

pub mod arcgis;
mod error;
pub mod events;
pub mod indico;
/// `kind = "postgres"` (folder `pg`: `crate::postgres` is the shared extractor).
pub mod pg;
pub mod pg_tables;
pub mod plan;
pub mod session_settings;
pub mod status;
mod summary;
pub mod tableau;
mod write;

use chrono::NaiveDate;
use chrono_tz::Tz;

pub use error::RunError;
pub use summary::{DatasetSummary, DerivedSummary, SourceSummary};
/// `usagelake bench` measures the extract of one kind: a generated Tableau-shaped table.
pub use tableau::bench;

use crate::config::{Output, SourceKind};
use crate::days::DateRange;
use crate::load::LakeLayout;
use crate::progress::Progress;
use plan::DayPlan;
use status::SourceStatus;
pub(crate) use write::BatchTarget;

/// Every source kind's pipeline-file section: one line per kind.
pub const KINDS: &[SourceKind<SourceConfig>] = &[
    tableau::config::KIND,
    arcgis::config::KIND,
    indico::config::KIND,
    events::config::KIND,
    pg::config::KIND,
];

/// One `[[sources]]` entry of a pipeline file, validated.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// Boxed like `Arcgis`: TLS and timeout settings made it a large variant.
    Tableau(Box<tableau::config::TableauSource>),
    /// Boxed: far larger than the other variants (filters, fields, HTTP options).
    Arcgis(Box<arcgis::config::ArcgisSource>),
    /// Boxed: filters and HTTP options.
    Indico(Box<indico::config::IndicoSource>),
    /// Login/logout events from exported files.
    Events(Box<events::config::EventsSource>),
    /// Any PostgreSQL tables or views.
    Postgres(Box<pg::config::PostgresSource>),
}

/// What every source needs to read into the lake, whatever the command.
#[derive(Debug, Clone, Copy)]
pub struct SourceContext<'a> {
    pub layout: &'a LakeLayout,
    /// Compression and row-group size of the files written.
    pub output: &'a Output,
    /// The zone that defines `event_date` and `snapshot_date`.
    pub time_zone: Tz,
    /// `--dataset` names; empty means every configured dataset.
    pub requested: &'a [String],
}

/// One run (or one backfilled day) of a source.
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    pub source: SourceContext<'a>,
    /// Names the staged and published files (`part-<run_id>-…`) and the state entries.
    pub run_id: &'a str,
    pub progress: &'a Progress,
    /// `run --new-key-generation`: event datasets whose source ids restarted, archived
    /// again in a new key generation (see `load::generation`). Empty in backfills.
    pub new_key_generation: &'a [String],
}

impl SourceConfig {
    pub fn name(&self) -> &str {
        match self {
            SourceConfig::Tableau(s) => &s.name,
            SourceConfig::Arcgis(s) => s.name(),
            SourceConfig::Indico(s) => s.name(),
            SourceConfig::Events(s) => &s.name,
            SourceConfig::Postgres(s) => &s.name,
        }
    }

    /// The `kind = "..."` value the source was declared with.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceConfig::Tableau(_) => "tableau",
            SourceConfig::Arcgis(_) => "arcgis",
            SourceConfig::Indico(_) => "indico",
            SourceConfig::Events(_) => "events",
            SourceConfig::Postgres(_) => "postgres",
        }
    }

    /// The datasets a run archives, in run order: the configured list or the kind's default.
    pub fn datasets(&self) -> Vec<&str> {
        match self {
            SourceConfig::Tableau(s) => s.datasets(),
            SourceConfig::Arcgis(s) => s.datasets(),
            SourceConfig::Indico(s) => s.datasets(),
            SourceConfig::Events(_) => events::DATASETS.to_vec(),
            SourceConfig::Postgres(s) => s.datasets(),
        }
    }

    /// How the source's sign-in events become `sessions`; None when it derives none.
    pub fn session_rules(&self) -> Option<crate::transform::sessions::SessionRules> {
        match self {
            SourceConfig::Tableau(s) => s.has_sessions().then(|| s.sessions.rules()),
            SourceConfig::Arcgis(s) => s.platform.has_history().then(|| s.sessions.rules()),
            SourceConfig::Indico(_) => None,
            SourceConfig::Events(s) => Some(s.session_rules()),
            SourceConfig::Postgres(s) => s.session_rules(),
        }
    }

    /// The configured datasets narrowed by `--dataset` (empty: all of them).
    pub fn selected_datasets<'a>(&'a self, requested: &'a [String]) -> Vec<&'a str> {
        self.datasets()
            .into_iter()
            .filter(|d| requested.is_empty() || requested.iter().any(|r| r == d))
            .collect()
    }

    /// Extracts every selected dataset incrementally into the lake and saves the state
    /// that covers what was committed.
    pub async fn run(&self, ctx: &RunContext<'_>) -> Result<SourceSummary, RunError> {
        match self {
            SourceConfig::Tableau(s) => tableau::run::run(s, ctx).await,
            SourceConfig::Arcgis(s) => arcgis::run(s, ctx).await,
            SourceConfig::Indico(s) => indico::run(s, ctx).await,
            SourceConfig::Events(s) => events::run(s, ctx).await,
            SourceConfig::Postgres(s) => pg::run::run(s, ctx).await,
        }
    }

    /// Whether a backfill of `requested` involves this source at all (it then appears
    /// in the summary, with a reason for every dataset it cannot re-read).
    pub fn is_in_backfill(&self, requested: &[String]) -> bool {
        match self {
            // Every source of this kind, even with no event dataset selected: the checkpoint
            // ids of interrupted backfills depend on this list.
            SourceConfig::Tableau(_) => true,
            SourceConfig::Arcgis(_) | SourceConfig::Indico(_) => {
                !self.selected_datasets(requested).is_empty()
            }
            // Tables are re-read by their partition column.
            SourceConfig::Postgres(s) => s
                .tables
                .iter()
                .any(|t| requested.is_empty() || requested.contains(&t.dataset)),
            // Files are read incrementally; there is no day to re-read from the source.
            SourceConfig::Events(_) => false,
        }
    }

    /// Where the source's name goes in a backfill's checkpoint id (then pipeline order).
    /// Fixed per kind: the ids of interrupted backfills in existing lakes depend on it,
    /// so new kinds come last.
    pub fn backfill_order(&self) -> u8 {
        match self {
            SourceConfig::Tableau(_) => 0,
            SourceConfig::Arcgis(_) => 1,
            SourceConfig::Indico(_) => 2,
            SourceConfig::Events(_) => 2,
            SourceConfig::Postgres(_) => 2,
        }
    }

    /// Connects once for a whole backfill (days share it); None when the source has
    /// nothing to re-read.
    pub async fn open_backfill(
        &self,
        ctx: &SourceContext<'_>,
    ) -> Result<Option<Backfill<'_>>, RunError> {
        Ok(match self {
            SourceConfig::Tableau(s) => {
                Some(Backfill::Tableau(tableau::backfill::Backfill::new(s)))
            }
            SourceConfig::Arcgis(s) => arcgis::backfill::HistoryBackfill::open(s, ctx)
                .await?
                .map(Backfill::Arcgis),
            SourceConfig::Indico(s) => indico::backfill::IndicoBackfill::open(s, ctx)
                .await?
                .map(|b| Backfill::Indico(Box::new(b))),
            SourceConfig::Events(_) => None,
            SourceConfig::Postgres(s) => Some(Backfill::Postgres(pg::backfill::PgBackfill::new(s))),
        })
    }

    /// Datasets of this source a backfill cannot re-read, each with the reason.
    pub fn not_backfilled(&self, requested: &[String]) -> Vec<DatasetSummary> {
        match self {
            SourceConfig::Tableau(_) => Vec::new(),
            SourceConfig::Arcgis(s) => arcgis::backfill::skipped_summaries(s, requested),
            // Every Indico dataset is re-read by day.
            SourceConfig::Indico(_) => Vec::new(),
            SourceConfig::Events(_) => Vec::new(),
            // auth_events, auth_rejected and sessions are derived again after the days.
            SourceConfig::Postgres(_) => Vec::new(),
        }
    }

    /// After every day of a backfill is in: rebuild what derives from the raw days.
    pub fn finish_backfill(
        &self,
        ctx: &RunContext<'_>,
        range: DateRange,
        datasets: &mut [DatasetSummary],
    ) -> Result<Option<DerivedSummary>, RunError> {
        match self {
            SourceConfig::Tableau(s) => {
                tableau::backfill::rebuild_backfilled(s, ctx, range, datasets)
            }
            SourceConfig::Postgres(s) => {
                pg::backfill::finish_backfill(s, ctx, range, datasets)?;
                Ok(None)
            }
            SourceConfig::Arcgis(_) | SourceConfig::Indico(_) | SourceConfig::Events(_) => Ok(None),
        }
    }

    /// Adds this source's rows (per selected dataset, per day) to `plans`.
    pub async fn plan_days(
        &self,
        ctx: &SourceContext<'_>,
        days: &[NaiveDate],
        plans: &mut [DayPlan],
    ) -> Result<(), RunError> {
        match self {
            SourceConfig::Tableau(s) => tableau::backfill::plan_days(s, ctx, days, plans).await,
            SourceConfig::Arcgis(s) => arcgis::backfill::plan_days(s, ctx, days, plans).await,
            SourceConfig::Indico(s) => indico::backfill::plan_days(s, ctx, days, plans),
            SourceConfig::Events(_) => Ok(()),
            SourceConfig::Postgres(s) => pg::backfill::plan_days(s, ctx, days, plans).await,
        }
    }

    /// Lake-side facts always; what the source no longer provides when it answers.
    pub async fn status(
        &self,
        ctx: &SourceContext<'_>,
        now_us: i64,
    ) -> Result<SourceStatus, crate::load::LoadError> {
        match self {
            SourceConfig::Tableau(s) => tableau::status::status(s, ctx, now_us).await,
            SourceConfig::Arcgis(s) => arcgis::status::status(s, ctx, now_us).await,
            SourceConfig::Indico(s) => indico::status::status(s, ctx, now_us),
            SourceConfig::Events(s) => events::status::status(s, ctx, now_us),
            SourceConfig::Postgres(s) => pg::status::status(s, ctx, now_us).await,
        }
    }

    /// `check --connect`: prints one line per check; returns how many failed. An error
    /// is a source that cannot be asked at all (the command stops there).
    pub async fn check_connect(&self, quiet: bool) -> Result<usize, RunError> {
        match self {
            SourceConfig::Tableau(s) => tableau::check::check_connect(s, quiet).await,
            SourceConfig::Arcgis(s) => Ok(arcgis::check_connect(s, quiet).await),
            SourceConfig::Indico(s) => Ok(indico::check_connect(s, quiet).await),
            SourceConfig::Events(s) => Ok(events::check_files(s, quiet)),
            SourceConfig::Postgres(s) => pg::check::check_connect(s, quiet).await,
        }
    }
}

/// A source connected for a backfill.
pub enum Backfill<'a> {
    Tableau(tableau::backfill::Backfill<'a>),
    Arcgis(arcgis::backfill::HistoryBackfill<'a>),
    /// Boxed: it holds the connected reader (HTTP client, token).
    Indico(Box<indico::backfill::IndicoBackfill<'a>>),
    Postgres(pg::backfill::PgBackfill<'a>),
}

impl Backfill<'_> {
    /// Re-reads local `day` of every selected dataset it can and merges it into that
    /// day's partitions only. `ctx.run_id` names the staging files; the caller ends the
    /// run once every source of the day is done.
    pub async fn day(
        &self,
        ctx: &RunContext<'_>,
        day: NaiveDate,
    ) -> Result<Vec<DatasetSummary>, RunError> {
        match self {
            Backfill::Tableau(b) => b.day(ctx, day).await,
            Backfill::Arcgis(b) => b.day(ctx, day).await.map(|d| vec![d]),
            Backfill::Indico(b) => b.day(ctx, day).await,
            Backfill::Postgres(b) => b.day(ctx, day).await,
        }
    }
}
