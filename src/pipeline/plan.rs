//! `usagelake plan` and `backfill --dry-run`: what a backfill would read, per day, and
//! how to split a long range into shards of similar size. Each source kind says what it
//! can provide per day (`SourceConfig::plan_days`); this module asks every source and
//! splits the days.

use std::ops::Range;

use crate::config::Pipeline;
use crate::days::DateRange;
use crate::load::{event_partition_name, LakeLayout};
use crate::sources::plan::DayPlan;
use crate::sources::{RunError, SourceContext};

/// Per day of `range`, per selected dataset of every source: what the source can still
/// provide and what the lake holds. Reads only; writes nothing.
pub async fn plan_days(
    pipeline: &Pipeline,
    range: DateRange,
    requested: &[String],
) -> Result<Vec<DayPlan>, RunError> {
    let layout = LakeLayout::new(pipeline.output.root.clone());
    let days = range.days();
    let mut plans: Vec<DayPlan> = days
        .iter()
        .map(|d| DayPlan {
            date: d.to_string(),
            partition: event_partition_name(*d),
            datasets: Vec::new(),
        })
        .collect();
    let ctx = SourceContext::new(pipeline, &layout, requested);
    for source in &pipeline.sources {
        source.plan_days(&ctx, &days, &mut plans).await?;
    }
    Ok(plans)
}

/// Splits days (with their weights) into at most `shards` contiguous, non-overlapping,
/// non-empty index ranges that cover all days: the k-th cut goes to the day boundary
/// whose running total is nearest to k/shards of the whole. Empty days weigh 1 so a
/// quiet stretch still spreads.
pub fn split_shards(weights: &[u64], shards: usize) -> Vec<Range<usize>> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let shards = shards.clamp(1, n);
    let mut prefix = vec![0u128; n + 1];
    for (i, &w) in weights.iter().enumerate() {
        prefix[i + 1] = prefix[i] + u128::from(w.max(1));
    }
    let total = prefix[n];
    let mut cuts = vec![0usize];
    for k in 1..shards {
        let target = total * k as u128 / shards as u128;
        let previous = *cuts.last().expect("starts with 0");
        // Leave at least one day for this shard and each one after it.
        let candidates = previous + 1..=n - (shards - k);
        let best = candidates
            .min_by_key(|&j| prefix[j].abs_diff(target))
            .expect("range is not empty");
        cuts.push(best);
    }
    cuts.push(n);
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(weights: &[u64], shards: usize) -> Vec<Range<usize>> {
        let out = split_shards(weights, shards);
        assert_eq!(out.len(), shards.min(weights.len()));
        assert_eq!(out.first().unwrap().start, 0);
        assert_eq!(out.last().unwrap().end, weights.len());
        for pair in out.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "contiguous: {out:?}");
        }
        assert!(out.iter().all(|r| !r.is_empty()), "{out:?}");
        out
    }

    #[test]
    fn shards_are_contiguous_balanced_and_never_empty() {
        assert_eq!(check(&[10; 10], 2), vec![0..5, 5..10]);
        assert_eq!(check(&[100, 1, 1, 1, 1, 100], 2), vec![0..3, 3..6]);
        // One heavy day early: later shards still get a day each.
        assert_eq!(check(&[1000, 1, 1, 1], 3), vec![0..1, 1..2, 2..4]);
        check(&[0, 0, 0], 5);
        check(&[5, 0, 0, 0, 0, 0, 9], 4);
        assert!(split_shards(&[], 3).is_empty());
    }
}
