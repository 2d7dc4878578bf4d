//! `status` of an `indico` source: lake facts per dataset, the last archived day, and
//! every complete UTC day the lake should hold and does not (a gap: exit 3). The
//! platform is not asked: it can provide any past day, so only the lake can be behind.

use super::archive::today_utc;
use super::coverage::coverage;
use super::datasets::USER_CHANGELOG;
use super::IndicoSource;
use crate::load::state::StateStore;
use crate::load::{list_partitions, LoadError};
use crate::sources::status::{lake_status, load_state, SourceStatus};
use crate::sources::SourceContext;

pub fn status(
    source: &IndicoSource,
    ctx: &SourceContext<'_>,
    now_us: i64,
) -> Result<SourceStatus, LoadError> {
    let name = source.name();
    let state = load_state(&StateStore::new(ctx.layout), name);
    let datasets = source.datasets();
    let coverage = coverage(
        ctx.layout,
        name,
        &source.config,
        &state,
        &datasets,
        today_utc(),
    )?;
    let mut out = Vec::new();
    for (dataset, covered) in datasets.iter().zip(coverage) {
        let partitions = list_partitions(ctx.layout, name, dataset)?;
        let is_changelog = *dataset == USER_CHANGELOG;
        let ds = state.datasets.get(*dataset);
        let mut status = lake_status(dataset, is_changelog, &partitions, ds, now_us);
        status.watermark_time = covered.last_archived.map(|d| d.to_string());
        // Days without a permission change are normal: no empty-day check.
        status.empty_days.clear();
        status.missing_days = covered.missing_days.iter().map(|d| d.to_string()).collect();
        out.push(status);
    }
    Ok(SourceStatus {
        name: name.to_string(),
        unreachable: None,
        datasets: out,
    })
}
