//! Who may write to a lake right now: `<root>/_usagelake/locks/`.
//!
//! Every writing command holds one *entry* file there for its whole life, `flock`ed
//! exclusively and holding JSON that names it (host, pid, start time, command, scope).
//! Two scopes:
//! - `Lake` (`run`, `demo`): the whole lake, alone. It also recovers the lake at start
//!   (finishes other runs' compactions), which is only safe with nobody else writing.
//! - `Days` (`backfill`): event partitions of an inclusive date range. Backfills over
//!   disjoint ranges may run at once (several machines on one shared root, see
//!   `usagelake plan`): they write disjoint partitions, no state and no snapshots.
//!
//! Taking a lock happens under a second, short-held exclusive `flock` on `registry`, so
//! two takers never both see "free" (no check-then-create race). An entry whose `flock`
//! can be taken belongs to a dead process: the kernel drops a process's locks when it
//! exits, however it died, so a stale entry is detected without trusting pids and is
//! removed ("taken over") with a warning naming the previous holder.
//!
//! Caveats, why the pid is still recorded: `flock` is local to one kernel. On NFS, Linux
//! emulates it with NFS byte-range locks (works with NFSv4 or a running lockd; NFSv3
//! mounted `nolock` makes it purely local); CIFS/SMB mounts honour it only between
//! clients of the same server and not with `nobrl`. Where `flock` fails outright
//! (ENOLCK, EOPNOTSUPP) we fall back to the JSON: an entry is stale only when it names
//! this host and a pid that no longer exists; an entry from another host is respected
//! until someone removes it by hand.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, SecondsFormat, Utc};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::load::LakeLayout;

/// What a lock holder may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LockScope {
    /// Everything: state, snapshots, any event partition, recovery.
    Lake,
    /// Event partitions whose date is in `from..=to` (pipeline time zone).
    Days { from: NaiveDate, to: NaiveDate },
}

impl LockScope {
    fn conflicts_with(&self, other: &LockScope) -> bool {
        match (self, other) {
            (LockScope::Days { from, to }, LockScope::Days { from: f2, to: t2 }) => {
                from <= t2 && f2 <= to
            }
            _ => true,
        }
    }
}

/// The JSON inside an entry file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockHolder {
    pub host: String,
    pub pid: i32,
    /// RFC3339 UTC.
    pub started: String,
    pub command: String,
    pub pipeline: String,
    pub scope: LockScope,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = match self.scope {
            LockScope::Lake => "the whole lake".to_string(),
            LockScope::Days { from, to } => format!("days {from}..{to}"),
        };
        write!(
            f,
            "`{}` (pipeline {}) on host {} pid {} since {}, holding {scope}",
            self.command, self.pipeline, self.host, self.pid, self.started
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another usagelake process is writing to this lake: {holder}; nothing was done \
         (lock file {path}). Retry when it has finished; the nightly run catches up by itself"
    )]
    Busy {
        holder: Box<LockHolder>,
        path: PathBuf,
    },
    #[error("cannot use the lake lock at {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held for the life of a writing command; dropping it removes the entry and unlocks.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    _file: Option<Flock<File>>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Remove while still locked, so no taker ever sees a half-released entry.
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn locks_dir(layout: &LakeLayout) -> PathBuf {
    layout.locks_dir()
}

impl RunLock {
    /// Takes the lock for `scope` or fails at once with [`LockError::Busy`] naming the
    /// holder that conflicts; never waits for a running holder.
    pub fn acquire(
        layout: &LakeLayout,
        scope: LockScope,
        command: &str,
        pipeline: &Path,
    ) -> Result<RunLock, LockError> {
        let dir = locks_dir(layout);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LockError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let registry_path = dir.join("registry");
        let registry = open_rw(&registry_path).map_err(io(&registry_path))?;
        // Held only while we look and register: takers queue here for milliseconds.
        let _registry = match Flock::lock(registry, FlockArg::LockExclusive) {
            Ok(lock) => Some(lock),
            Err((_, errno)) if is_unsupported(errno) => None,
            Err((_, errno)) => return Err(io(&registry_path)(errno.into())),
        };

        for entry in entry_files(&dir).map_err(io(&dir))? {
            if let Some(holder) = live_holder(&entry).map_err(io(&entry))? {
                if holder.scope.conflicts_with(&scope) {
                    return Err(LockError::Busy {
                        holder: Box::new(holder),
                        path: entry,
                    });
                }
            }
        }

        let holder = LockHolder {
            host: host_name(),
            pid: std::process::id() as i32,
            started: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            command: command.to_string(),
            pipeline: pipeline.display().to_string(),
            scope,
        };
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let path = dir.join(format!("{}-{}-{nanos}.lock", holder.host, holder.pid));
        let file = open_rw(&path).map_err(io(&path))?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Some(lock),
            Err((_, errno)) if is_unsupported(errno) => None,
            Err((_, errno)) => return Err(io(&path)(errno.into())),
        };
        let json = serde_json::to_vec_pretty(&holder).expect("holder serializes");
        let written = match file.as_mut() {
            Some(f) => f.write_all(&json).and_then(|_| f.sync_all()),
            None => std::fs::write(&path, &json),
        };
        written.map_err(io(&path))?;
        tracing::debug!(lock = %path.display(), "lake lock taken");
        Ok(RunLock { path, _file: file })
    }
}

/// The holder of an entry if it is alive; a stale entry is removed (taken over).
fn live_holder(entry: &Path) -> std::io::Result<Option<LockHolder>> {
    let file = match open_rw(entry) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let is_alive = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(_unlocked_on_drop) => false,
        Err((_, Errno::EWOULDBLOCK)) => true,
        Err((_, errno)) if is_unsupported(errno) => {
            read_holder(entry).is_some_and(|h| h.host != host_name() || is_pid_alive(h.pid))
        }
        Err((_, errno)) => return Err(errno.into()),
    };
    let holder = read_holder(entry);
    if is_alive {
        // An entry being written by a live taker cannot be seen here (registry lock), so
        // unreadable JSON under a live flock is a foreign file: report it generically.
        return Ok(Some(holder.unwrap_or_else(|| LockHolder {
            host: "?".into(),
            pid: 0,
            started: "?".into(),
            command: "?".into(),
            pipeline: "?".into(),
            scope: LockScope::Lake,
        })));
    }
    match &holder {
        Some(h) => {
            tracing::warn!(lock = %entry.display(), previous = %h, "taking over a stale lake lock: its process is gone")
        }
        None => {
            tracing::warn!(lock = %entry.display(), "removing an unreadable, unlocked lake lock entry")
        }
    }
    match std::fs::remove_file(entry) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(None),
    }
}

/// Who holds locks now (for `status`); never takes or removes anything.
pub fn holders(layout: &LakeLayout) -> Vec<LockHolder> {
    let dir = locks_dir(layout);
    let Ok(entries) = entry_files(&dir) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|e| {
            File::open(e).is_ok_and(|f| {
                matches!(
                    Flock::lock(f, FlockArg::LockSharedNonblock),
                    Err((_, Errno::EWOULDBLOCK))
                )
            })
        })
        .filter_map(|e| read_holder(e))
        .collect()
}

fn read_holder(path: &Path) -> Option<LockHolder> {
    let mut text = Vec::new();
    File::open(path).ok()?.read_to_end(&mut text).ok()?;
    serde_json::from_slice(&text).ok()
}

fn entry_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "lock") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn open_rw(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn is_unsupported(errno: Errno) -> bool {
    matches!(errno, Errno::ENOLCK | Errno::EOPNOTSUPP | Errno::ENOSYS)
}

fn is_pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks existence; EPERM means it exists but belongs to another user.
    matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Ok(()) | Err(Errno::EPERM)
    )
}

pub(crate) fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn lake_scope_excludes_everything_and_days_only_overlaps() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let p = Path::new("p.toml");
        let first = RunLock::acquire(&layout, LockScope::Lake, "run", p).unwrap();
        let err = RunLock::acquire(&layout, LockScope::Lake, "run", p).unwrap_err();
        assert!(err.to_string().contains("pid"), "{err}");
        drop(first);

        let days = |f, t| LockScope::Days {
            from: day(f),
            to: day(t),
        };
        let a = RunLock::acquire(&layout, days("2026-11-01", "2026-11-03"), "backfill", p);
        let a = a.unwrap();
        let b = RunLock::acquire(&layout, days("2026-11-04", "2026-11-05"), "backfill", p);
        assert!(b.is_ok(), "disjoint ranges run together");
        let c = RunLock::acquire(&layout, days("2026-11-03", "2026-11-03"), "backfill", p);
        assert!(matches!(c, Err(LockError::Busy { .. })));
        assert!(RunLock::acquire(&layout, LockScope::Lake, "run", p).is_err());
        assert_eq!(holders(&layout).len(), 2);
        drop((a, b));
        assert!(holders(&layout).is_empty());
        assert!(RunLock::acquire(&layout, LockScope::Lake, "run", p).is_ok());
    }

    #[test]
    fn an_unlocked_entry_is_stale_and_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let layout = LakeLayout::new(dir.path());
        let locks = locks_dir(&layout);
        std::fs::create_dir_all(&locks).unwrap();
        let dead = LockHolder {
            host: host_name(),
            pid: i32::MAX,
            started: "2026-01-01T00:00:00Z".into(),
            command: "run".into(),
            pipeline: "p.toml".into(),
            scope: LockScope::Lake,
        };
        let stale = locks.join("old.lock");
        std::fs::write(&stale, serde_json::to_vec(&dead).unwrap()).unwrap();
        let lock = RunLock::acquire(&layout, LockScope::Lake, "run", Path::new("p")).unwrap();
        assert!(!stale.exists());
        drop(lock);
        assert!(entry_files(&locks).unwrap().is_empty(), "released on drop");
    }
}
