//! Running a report's per-partition work on every core: [`par_map`] (results in order)
//! and [`par_fold`] (one accumulator per thread).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::report::usage::ReportError;

/// `f` over every item on up to `available_parallelism` threads; results in item order.
pub fn par_map<I: Sync, T: Send>(
    items: &[I],
    f: impl Fn(&I) -> Result<T, ReportError> + Sync,
) -> Result<Vec<T>, ReportError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, ReportError>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().expect("no worker panics while holding it")[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// `fold` over every item on up to `available_parallelism` threads, each thread into an
/// accumulator of its own; the accumulators come back (one per thread that did any work,
/// in no particular order) for the caller to merge. Cheaper than [`par_map`] when the
/// per-item results are large and merging them costs as much as making them (the distinct
/// user sets of `content`). On failure, the error of the first failing item.
pub fn par_fold<I: Sync, A: Default + Send>(
    items: &[I],
    fold: impl Fn(&mut A, &I) -> Result<(), ReportError> + Sync,
) -> Result<Vec<A>, ReportError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut acc = A::default();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return Ok(acc);
            };
            // Items are claimed in order and a failed thread claims no more, so every item
            // before the lowest failing one was folded by someone: that error is the first.
            fold(&mut acc, item).map_err(|e| (i, e))?;
        }
    };
    let results: Vec<Result<A, (usize, ReportError)>> = if workers <= 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no worker panics"))
                .collect()
        })
    };
    let mut accumulators = Vec::new();
    let mut first_error: Option<(usize, ReportError)> = None;
    for result in results {
        match result {
            Ok(acc) => accumulators.push(acc),
            Err((i, e)) => {
                if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_error = Some((i, e));
                }
            }
        }
    }
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(accumulators),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_fold_folds_every_item_once_and_reports_the_first_error() {
        let items: Vec<u64> = (1..=200).collect();
        let sums = par_fold(&items, |acc: &mut (u64, u64), i| {
            acc.0 += i;
            acc.1 += 1;
            Ok(())
        })
        .unwrap();
        assert!(!sums.is_empty());
        let total = sums.iter().fold((0, 0), |t, s| (t.0 + s.0, t.1 + s.1));
        assert_eq!(total, (200 * 201 / 2, 200));
        let failed = par_fold(&items, |_: &mut (), i| {
            if *i == 30 || *i == 150 {
                Err(ReportError::BadArgument(format!("item {i}")))
            } else {
                Ok(())
            }
        });
        assert!(matches!(failed, Err(ReportError::BadArgument(m)) if m == "item 30"));
    }

    #[test]
    fn par_map_keeps_item_order_and_the_first_error() {
        let items: Vec<u32> = (0..50).collect();
        let doubled = par_map(&items, |i| Ok(i * 2)).unwrap();
        assert_eq!(doubled, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        let failed = par_map(&items, |i| {
            if *i == 7 {
                Err(ReportError::BadArgument("seven".into()))
            } else {
                Ok(*i)
            }
        });
        assert!(matches!(failed, Err(ReportError::BadArgument(m)) if m == "seven"));
    }
}
