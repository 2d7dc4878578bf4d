//! The Indico user-metrics reports: `indico-summary` (enabled/disabled users and users
//! per app role, per day), `indico-snapshot` (each user's roles and dataset access on a
//! day) and `indico-changelog` (who changed whose roles, access or enablement).
//!
//! Dates: the summary and the snapshot are Indico's own days (the API's `date`, the state
//! at 23:59 UTC), which the archive keeps as `snapshot_date=` partitions; the changelog is
//! partitioned by the local `event_date` of each change in the pipeline's zone, and its
//! `--from`/`--to` are those local dates, like every other report's.
//!
//! Reading goes through [`Lake`]: partitions pruned by folder name, only the columns
//! shown decoded. The list columns are read from their flat `_text` twins where one
//! exists (`roles_text`); dataset access from `user_snapshot_datasets` (flat) or, for
//! the changelog, its `List<Struct<dataset_id, role>>` columns.
//!
//! One file per report (`summary`, `snapshot`, `changelog`) and `accounts`, the Indico
//! part of `inactive-users`.

mod accounts;
mod changelog;
mod snapshot;
mod summary;

pub use accounts::indico_accounts;
pub use changelog::{indico_changelog, ChangelogQuery};
pub use snapshot::indico_snapshot;
pub use summary::indico_summary;

use chrono::NaiveDate;

use super::lake::{Lake, Partition, Platform};
use super::table::{Cell, Report, Section};
use super::{DateRange, ReportError};

const SUMMARY: &str = "user_summary";
const SUMMARY_ROLES: &str = "user_summary_roles";
const SNAPSHOTS: &str = "user_snapshots";
const SNAPSHOT_DATASETS: &str = "user_snapshot_datasets";
const CHANGELOG: &str = "user_changelog";
const HINT: &str = " — the Indico source archives it with `usagelake run` (unless its `datasets` list leaves it out)";

/// Which user(s) a report is about; both given means both must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserFilter<'a> {
    pub id: Option<i32>,
    /// Case-insensitive.
    pub email: Option<&'a str>,
}

impl UserFilter<'_> {
    fn is_any(&self) -> bool {
        self.id.is_none() && self.email.is_none()
    }

    fn matches(&self, id: Option<i32>, email: Option<&str>) -> bool {
        self.id.is_none_or(|want| id == Some(want))
            && self
                .email
                .is_none_or(|want| email.is_some_and(|e| e.eq_ignore_ascii_case(want)))
    }

    fn label(&self) -> String {
        match (self.id, self.email) {
            (Some(id), Some(email)) => format!("id {id} with email {email}"),
            (Some(id), None) => format!("id {id}"),
            (None, Some(email)) => email.to_string(),
            (None, None) => "(any)".to_string(),
        }
    }

    fn push_filters(&self, filters: &mut Vec<(&'static str, String)>) {
        if let Some(id) = self.id {
            filters.push(("user_id", id.to_string()));
        }
        if let Some(email) = self.email {
            filters.push(("email", email.to_string()));
        }
    }
}

/// The Indico sources of the pipeline (only `name` when given).
fn indico_sources(lake: &Lake, name: Option<&str>) -> Result<Vec<String>, ReportError> {
    let chosen: Vec<String> = lake
        .select_sources(name)?
        .into_iter()
        .filter(|s| s.platform == Platform::Indico)
        .map(|s| s.name.clone())
        .collect();
    if chosen.is_empty() {
        let known: Vec<&str> = lake.sources.iter().map(|s| s.name.as_str()).collect();
        return Err(ReportError::NoSource {
            kind: match name {
                Some(name) => format!("indico source named `{name}`"),
                None => "indico".to_string(),
            },
            hint: format!(
                " (its sources: {}); add a `kind = \"indico\"` source and run it",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    Ok(chosen)
}

/// The first and last `snapshot_date` of a dataset.
fn snapshot_span(lake: &Lake, source: &str, dataset: &str) -> Option<(NaiveDate, NaiveDate)> {
    let all = lake.partitions(source, dataset, "snapshot_date").ok()?;
    Some((all.first()?.date, all.last()?.date))
}

fn empty_range(lake: &Lake, what: &str, range: DateRange, sources: &[String]) -> ReportError {
    let spans: Vec<String> = sources
        .iter()
        .filter_map(|s| {
            let (first, last) = snapshot_span(lake, s, SUMMARY)?;
            Some(format!("{s} days {first} … {last}"))
        })
        .collect();
    ReportError::empty_range(what, range.from, range.to, &spans)
}

fn yes_no(value: Option<bool>) -> Cell {
    value.map_or(Cell::Null, |v| Cell::text(if v { "yes" } else { "no" }))
}

fn report(
    name: &'static str,
    lake: &Lake,
    filters: Vec<(&'static str, String)>,
    sections: Vec<Section>,
) -> Report {
    Report {
        name,
        time_zone: lake.tz.name().to_string(),
        filters,
        sections,
    }
}

fn range_filters(range: DateRange) -> Vec<(&'static str, String)> {
    if range.from == range.to {
        vec![("date", range.from.to_string())]
    } else {
        vec![
            ("from", range.from.to_string()),
            ("to", range.to.to_string()),
        ]
    }
}

fn in_range(partitions: Vec<Partition>, range: DateRange) -> impl Iterator<Item = Partition> {
    partitions
        .into_iter()
        .filter(move |p| p.date >= range.from && p.date <= range.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_filter_needs_every_given_field_and_ignores_email_case() {
        let f = UserFilter {
            id: Some(5),
            email: Some("User5@Indico.example"),
        };
        assert!(f.matches(Some(5), Some("user5@indico.example")));
        assert!(!f.matches(Some(6), Some("user5@indico.example")));
        assert!(!f.matches(Some(5), None));
        assert!(UserFilter::default().matches(None, None));
    }
}
