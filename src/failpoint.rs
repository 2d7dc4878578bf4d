//! Test-only crash injection.
//!
//! `USAGELAKE_FAILPOINT=<name>[:<n>]` aborts the process the n-th time (default: first)
//! the named point is reached. `abort` skips destructors and buffered flushes, which is
//! as close to `kill -9` as a process can do to itself, so crash tests see exactly what a
//! real crash leaves behind. Unset (the normal case), a hit costs one relaxed load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

struct Armed {
    name: String,
    nth: u64,
    seen: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var("USAGELAKE_FAILPOINT").ok()?;
            let (name, nth) = match spec.split_once(':') {
                Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
                None => (spec, 1),
            };
            Some(Armed {
                name,
                nth,
                seen: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// Marks a crash point. Names in use: `stage_written`, `published`, `before_state`,
/// `state_written`, `compaction_published`, `compaction_cleaned`, `snapshot_published`.
pub fn hit(name: &str) {
    if let Some(armed) = armed() {
        if armed.name == name && armed.seen.fetch_add(1, Ordering::Relaxed) + 1 == armed.nth {
            eprintln!("usagelake: failpoint {name} reached, aborting");
            std::process::abort();
        }
    }
}
