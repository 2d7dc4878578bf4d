//! Which bytes of which files are new: file identity across growth, rotation and rewrites.
//!
//! A file read before is remembered by its inode, how far it was read, and two
//! fingerprints: a hash of its first bytes and a hash of the bytes just before the read
//! offset. A file found by the globs *continues* a remembered one when both fingerprints
//! still match and it is at least as long; it is then read from the remembered offset. So:
//! - a file that grew is read from where the last run stopped;
//! - rotation by rename (`a.log` → `a.log.1`, a new `a.log`): the renamed file keeps inode
//!   and content and continues; the new file is new;
//! - copy-and-truncate: the copy (new inode, same content) continues, so lines written
//!   between the last run and the copy are read from it; the truncated file is new;
//! - a file rewritten in place (same inode, different first bytes, or shorter than the
//!   offset) is new and read from the start — never treated as grown, which would skip or
//!   garble rows.
//!
//! Bytes already read are never read again, which is also why a bad row is reported once.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::reader::Resume;

/// Bytes hashed at the start of a file and before the read offset.
pub const FINGERPRINT_BYTES: u64 = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// Where the file was last seen (it may have been renamed since).
    pub path: String,
    pub device: u64,
    pub inode: u64,
    /// Hash of the first `min(offset, FINGERPRINT_BYTES)` bytes.
    pub head: String,
    /// Hash of the `min(offset, FINGERPRINT_BYTES)` bytes before `resume.offset`.
    pub tail: String,
    pub resume: Resume,
}

/// Every file the source has read, saved after the rows it produced are in the lake.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesState {
    pub files: Vec<FileState>,
}

/// A file the globs found now.
#[derive(Debug)]
pub struct FoundFile {
    pub path: PathBuf,
    pub device: u64,
    pub inode: u64,
    pub size: u64,
}

/// What to do with a found file.
#[derive(Debug)]
pub struct ReadPlan {
    pub file: FoundFile,
    /// Where to start; `Resume::start()` for a new file.
    pub resume: Resume,
    /// The remembered file it continues (index into the previous state), if any.
    pub continues: Option<usize>,
}

/// Lists the files matching `patterns` (sorted, each once).
pub fn find_files(patterns: &[String]) -> Result<Vec<FoundFile>, String> {
    let mut paths = Vec::new();
    for pattern in patterns {
        let matches = glob::glob(pattern).map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
        for entry in matches {
            let path = entry.map_err(|e| format!("{pattern}: {e}"))?;
            if path.is_file() {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| {
            let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(FoundFile {
                device: meta.dev(),
                inode: meta.ino(),
                size: meta.len(),
                path,
            })
        })
        .collect()
}

/// Pairs found files with remembered ones (see the module doc). Same-inode continuations
/// are claimed first, so a renamed file wins over a copy of it.
pub fn plan_reads(found: Vec<FoundFile>, previous: &FilesState) -> std::io::Result<Vec<ReadPlan>> {
    let mut claimed = vec![false; previous.files.len()];
    let mut plans: Vec<Option<usize>> = vec![None; found.len()];
    for same_inode_only in [true, false] {
        for (f, file) in found.iter().enumerate() {
            if plans[f].is_some() {
                continue;
            }
            let candidates: Vec<usize> = (0..previous.files.len())
                .filter(|&s| !claimed[s])
                .filter(|&s| {
                    let state = &previous.files[s];
                    !same_inode_only || (state.inode == file.inode && state.device == file.device)
                })
                .collect();
            // Prefer the remembered file with the same path (two copies of one log).
            let mut ordered = candidates;
            ordered.sort_by_key(|&s| previous.files[s].path != file.path.to_string_lossy());
            for s in ordered {
                if continues(file, &previous.files[s])? {
                    claimed[s] = true;
                    plans[f] = Some(s);
                    break;
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .zip(plans)
        .map(|(file, continues)| ReadPlan {
            resume: continues.map_or_else(Resume::start, |s| previous.files[s].resume.clone()),
            file,
            continues,
        })
        .collect())
}

fn continues(file: &FoundFile, state: &FileState) -> std::io::Result<bool> {
    if file.size < state.resume.offset {
        return Ok(false);
    }
    let (head, tail) = fingerprints(&file.path, state.resume.offset)?;
    Ok(head == state.head && tail == state.tail)
}

/// The head and tail fingerprints of `path` read up to `offset`.
pub fn fingerprints(path: &Path, offset: u64) -> std::io::Result<(String, String)> {
    let mut file = File::open(path)?;
    let len = offset.min(FINGERPRINT_BYTES);
    let head = hash_range(&mut file, 0, len)?;
    let tail = hash_range(&mut file, offset - len, len)?;
    Ok((head, tail))
}

fn hash_range(file: &mut File, start: u64, len: u64) -> std::io::Result<String> {
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < len {
        // Shrank between the size check and now: cannot be the remembered content.
        return Ok(String::new());
    }
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
