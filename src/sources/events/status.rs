//! `status` for an `events` source: what its datasets hold. Days without logins are
//! normal (weekends, holidays), so empty days are not reported as gaps; every bad row
//! found so far is counted from `events_rejected`.

use crate::load::LoadError;
use crate::sources::status::{derived_status, DatasetStatus, SourceStatus};
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
        // Days without sign-ins are normal: no empty-day gaps (as for derived datasets).
        let mut status = derived_status(ctx.layout, &source.name, dataset, now_us)?;
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
