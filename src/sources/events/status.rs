//! `status` for an `events` source: what its datasets hold. Days without logins are
//! normal (weekends, holidays), so empty days are not reported as gaps; every bad row
//! found so far is counted from `events_rejected`.

use crate::load::{list_partitions, LoadError};
use crate::sources::status::{lake_status, DatasetStatus, SourceStatus};
use crate::sources::SourceContext;

use super::lake::EVENTS_REJECTED;
use super::{EventsSource, DATASETS};

pub fn status(
    source: &EventsSource,
    ctx: &SourceContext<'_>,
    now_us: i64,
) -> Result<SourceStatus, LoadError> {
    let mut datasets: Vec<DatasetStatus> = Vec::new();
    for dataset in DATASETS {
        let partitions = list_partitions(ctx.layout, &source.name, dataset)?;
        // Built as a snapshot-kind status (no empty-day gaps), labelled an event dataset.
        let mut status = lake_status(dataset, false, &partitions, None, now_us);
        status.kind = "event";
        if *dataset == EVENTS_REJECTED && status.lake_rows > 0 {
            status.notes.push(format!(
                "{} bad row(s) rejected (file, line, reason)",
                status.lake_rows
            ));
        }
        datasets.push(status);
    }
    Ok(SourceStatus {
        name: source.name.clone(),
        unreachable: None,
        datasets,
    })
}
