//! Run-start recovery and ownership of staging directories.
//!
//! A crash can leave (a) a journal of a legacy partition's merge into one file (see
//! `compact`): the new file may or may not be in place, the old files may or may not
//! be deleted; (b) a staging dir full of files
//! that were never published. Published partition files need no recovery: each was
//! renamed into place whole, and rows not covered by saved state are re-extracted
//! and merged by key on the next run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::compact::{finish_replacement, Journal};
use super::error::{IoContext, LoadError};
use super::fsutil::{atomic_write, fsync_dir, remove_file_if_exists};
use super::LakeLayout;

/// `owner.json` inside a staging dir: who is writing there.
#[derive(Debug, Serialize, Deserialize)]
struct Owner {
    pid: i32,
    host: String,
    /// RFC3339 UTC.
    started: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Merge journals whose new file was in place: the replaced files were deleted.
    pub compactions_completed: usize,
    /// Journals whose new file never got published: the staged file was deleted.
    pub compactions_rolled_back: usize,
    /// Old files deleted while completing compactions.
    pub files_deleted: usize,
    /// Staging dirs of runs that are no longer alive, removed.
    pub staging_removed: Vec<PathBuf>,
    /// Staging dirs kept: their run is alive (or runs on another host).
    pub staging_kept: Vec<PathBuf>,
}

/// Creates `staging/<run_id>/` with its `owner.json` (idempotent within a run).
pub(crate) fn ensure_staging_dir(layout: &LakeLayout, run_id: &str) -> Result<PathBuf, LoadError> {
    let dir = layout.staging_dir(run_id);
    let owner_path = dir.join("owner.json");
    if owner_path.is_file() {
        return Ok(dir);
    }
    super::fsutil::create_dir_all_durable(&dir).at(&dir)?;
    let owner = Owner {
        pid: std::process::id() as i32,
        host: host_name(),
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let json = serde_json::to_vec_pretty(&owner).expect("owner serializes");
    atomic_write(&owner_path, &json).at(&owner_path)?;
    Ok(dir)
}

/// Removes this run's staging dir and those of its parts (`<run_id>-<suffix>`, e.g. a
/// backfill's days), once the command is done with them: a finished command, failed or
/// not, leaves no staging behind (whatever it staged is either published or dropped).
pub fn end_run(layout: &LakeLayout, run_id: &str) -> Result<(), LoadError> {
    let staging_root = layout.internal_dir().join("staging");
    let entries = match std::fs::read_dir(&staging_root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(LoadError::Io {
                path: staging_root,
                source: e,
            })
        }
    };
    let part_prefix = format!("{run_id}-");
    for entry in entries {
        let entry = entry.at(&staging_root)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != run_id && !name.starts_with(&part_prefix) {
            continue;
        }
        let dir = entry.path();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(LoadError::Io {
                    path: dir,
                    source: e,
                })
            }
        }
    }
    Ok(())
}

/// Finishes or rolls back interrupted compactions, then removes staging dirs of dead
/// runs. Call at run start, before any writer opens (and under the run lock).
pub fn recover(layout: &LakeLayout) -> Result<RecoveryReport, LoadError> {
    let mut report = RecoveryReport::default();
    let journal_dir = layout.journal_dir();
    for path in json_files(&journal_dir)? {
        let bytes = std::fs::read(&path).at(&path)?;
        let journal: Journal =
            serde_json::from_slice(&bytes).map_err(|source| LoadError::Journal {
                path: path.clone(),
                source,
            })?;
        // The staged file is gone exactly when the rename that published it happened
        // (the merged file's target name may have existed before: `part-0.parquet`).
        let staged = layout.root.join(&journal.staged);
        if !staged.exists() && layout.root.join(&journal.new_file).is_file() {
            report.files_deleted += finish_replacement(&layout.root, &journal)?;
            report.compactions_completed += 1;
        } else {
            remove_file_if_exists(&staged).at(&staged)?;
            report.compactions_rolled_back += 1;
        }
        remove_file_if_exists(&path).at(&path)?;
        fsync_dir(&journal_dir).at(&journal_dir)?;
        tracing::info!(journal = %path.display(), "recovered interrupted compaction");
    }

    let staging_root = layout.internal_dir().join("staging");
    let entries = match std::fs::read_dir(&staging_root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(e) => {
            return Err(LoadError::Io {
                path: staging_root,
                source: e,
            })
        }
    };
    for entry in entries {
        let dir = entry.at(&staging_root)?.path();
        if !dir.is_dir() {
            continue;
        }
        if is_owner_alive(&dir) {
            report.staging_kept.push(dir);
        } else {
            std::fs::remove_dir_all(&dir).at(&dir)?;
            tracing::info!(staging = %dir.display(), "removed staging dir of a dead run");
            report.staging_removed.push(dir);
        }
    }
    fsync_dir(&staging_root).at(&staging_root)?;
    report.staging_kept.sort();
    report.staging_removed.sort();
    Ok(report)
}

/// A dir without a readable `owner.json` is treated as dead: the owner file is written
/// right after the dir is created, and recovery runs under the run lock. A dir owned by
/// another host is kept: its pid means nothing here (shared drives).
fn is_owner_alive(dir: &Path) -> bool {
    let Ok(bytes) = std::fs::read(dir.join("owner.json")) else {
        return false;
    };
    let Ok(owner) = serde_json::from_slice::<Owner>(&bytes) else {
        return false;
    };
    if owner.host != host_name() {
        return true;
    }
    if owner.pid <= 0 {
        return false;
    }
    // Signal 0 checks existence; EPERM means it exists but belongs to someone else.
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(owner.pid), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    super::visible_files(dir, ".json")
}

#[cfg(test)]
pub(crate) fn write_owner_for_test(dir: &Path, pid: i32) {
    let owner = Owner {
        pid,
        host: host_name(),
        started: "2026-01-01T00:00:00Z".into(),
    };
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("owner.json"), serde_json::to_vec(&owner).unwrap()).unwrap();
}
