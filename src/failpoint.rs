//! Test-only crash injection.
//!
//! `USAGELAKE_FAILPOINT=<name>[:<n>]` aborts the process the n-th time (default: first)
//! the named point is reached. `abort` skips destructors and buffered flushes, which is
//! as close to `kill -9` as a process can do to itself, so crash tests see exactly what a
//! real crash leaves behind. Unset (the normal case), a hit costs one relaxed load.
//!
//! `USAGELAKE_PAUSEPOINT=<name>[:<n>]` with `USAGELAKE_PAUSEPOINT_DIR=<dir>` pauses there
//! instead: the process creates `<dir>/<name>.reached`, then waits (at most
//! [`PAUSE_LIMIT`]) until `<dir>/<name>.resume` exists. A test looks at the outside world
//! (the source database's sessions, say) while the process stands at that point.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Armed {
    name: String,
    nth: u64,
    seen: AtomicU64,
}

/// Longest a pause point waits for its resume file: a test that died must not leave a
/// process hanging for ever.
pub const PAUSE_LIMIT: Duration = Duration::from_secs(120);

impl Armed {
    fn from_env(var: &str) -> Option<Armed> {
        let spec = std::env::var(var).ok()?;
        let (name, nth) = match spec.split_once(':') {
            Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
            None => (spec, 1),
        };
        Some(Armed {
            name,
            nth,
            seen: AtomicU64::new(0),
        })
    }

    fn is_due(&self, name: &str) -> bool {
        self.name == name && self.seen.fetch_add(1, Ordering::Relaxed) + 1 == self.nth
    }
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| Armed::from_env("USAGELAKE_FAILPOINT"))
        .as_ref()
}

fn pause_armed() -> Option<&'static (Armed, PathBuf)> {
    static ARMED: OnceLock<Option<(Armed, PathBuf)>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let dir = std::env::var_os("USAGELAKE_PAUSEPOINT_DIR")?;
            Some((Armed::from_env("USAGELAKE_PAUSEPOINT")?, PathBuf::from(dir)))
        })
        .as_ref()
}

/// Marks a crash point. Names in use: `stage_written`, `published`, `before_state`,
/// `state_written`, `compaction_published`, `compaction_cleaned`, `snapshot_published`,
/// `publish_started` (a staged dataset starts publishing).
pub fn hit(name: &str) {
    if let Some(armed) = armed() {
        if armed.is_due(name) {
            eprintln!("usagelake: failpoint {name} reached, aborting");
            std::process::abort();
        }
    }
    if let Some((armed, dir)) = pause_armed() {
        if armed.is_due(name) {
            pause(name, dir);
        }
    }
}

/// Blocks the calling thread (callers are synchronous or on a blocking thread) until the
/// test says resume, or [`PAUSE_LIMIT`] passed.
fn pause(name: &str, dir: &Path) {
    let resume = dir.join(format!("{name}.resume"));
    if let Err(e) = std::fs::write(dir.join(format!("{name}.reached")), b"") {
        eprintln!("usagelake: pause point {name}: {e}");
        return;
    }
    let deadline = Instant::now() + PAUSE_LIMIT;
    while !resume.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}
