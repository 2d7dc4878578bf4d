//! Source kind `events`: login/logout events from files a system exports (CSV or JSON
//! Lines, a glob of paths that includes rotated names).
//!
//! - `config`: the section's settings; `time`: event times and zones;
//! - `record`: named fields → an event or a bad row; `reader`: the new bytes of one file;
//! - `files`: file identity across growth, rotation and rewrites (what is new).
//!
//! `scan_rows` ties them together: every new event and bad row, streamed to the caller
//! (`run` deduplicates and writes them in bounded batches), plus the file state to save
//! once they are in the lake.

pub mod config;
pub mod csv_records;
mod dedup;
pub mod files;
pub mod lake;
pub mod reader;
pub mod record;
mod run;
pub mod status;
pub mod time;

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

pub use config::{EventsSource, FileFormat};
pub use files::{FileState, FilesState};
pub use reader::{ReadError, Row};
pub use record::{AuthEventType, EventRow, RejectedRow};
pub(crate) use run::run;
pub use run::run_events;

/// The datasets an `events` source writes.
pub const DATASETS: &[&str] = &[lake::EVENTS, lake::EVENTS_REJECTED, "sessions"];

/// `check --connect`: the globs match readable files. Returns the problems found.
pub fn check_files(source: &EventsSource, quiet: bool) -> usize {
    match files::find_files(&source.paths) {
        Ok(found) if found.is_empty() => {
            eprintln!(
                "{}: no file matches {}",
                source.name,
                source.paths.join(", ")
            );
            1
        }
        Ok(found) => {
            let unreadable: Vec<_> = found
                .iter()
                .filter(|f| File::open(&f.path).is_err())
                .map(|f| f.path.display().to_string())
                .collect();
            for path in &unreadable {
                eprintln!("{}: cannot open {path}", source.name);
            }
            if !quiet && unreadable.is_empty() {
                println!("{}: {} file(s) readable", source.name, found.len());
            }
            unreadable.len()
        }
        Err(message) => {
            eprintln!("{}: {message}", source.name);
            1
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("source `{source_name}`: {message}")]
    Glob {
        source_name: String,
        message: String,
    },
    #[error("source `{source_name}`: reading {path}: {error}")]
    Read {
        source_name: String,
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("source `{source_name}`: state file {path}: {message}")]
    State {
        source_name: String,
        path: PathBuf,
        message: String,
    },
    #[error("source `{source_name}`, dataset `{dataset}`: writing the lake failed")]
    Load {
        source_name: String,
        dataset: &'static str,
        /// Boxed: the lake errors carry paths and partition names.
        #[source]
        source: Box<crate::load::LoadError>,
    },
    #[error("source `{source_name}`: {what} failed")]
    Lake {
        source_name: String,
        what: &'static str,
        #[source]
        source: Box<crate::transform::TransformError>,
    },
}

/// What one look at every file found, besides the rows.
#[derive(Debug, Default)]
pub struct ScanStats {
    pub files_seen: usize,
    /// Files with new bytes.
    pub files_read: usize,
    pub bytes_read: u64,
}

/// The outcome of looking at every file once, rows collected in memory (tests).
#[derive(Debug, Default)]
pub struct Scan {
    /// New events, each (machine, user, type, instant) once.
    pub events: Vec<EventRow>,
    /// Events dropped because the same (machine, user, type, instant) came earlier in
    /// this scan.
    pub duplicates: u64,
    pub rejected: Vec<RejectedRow>,
    pub stats: ScanStats,
    /// The state to save after the rows are published.
    pub state: FilesState,
}

/// Reads what is new in the source's files since `previous` into memory, deduplicated.
pub fn scan(source: &EventsSource, previous: &FilesState) -> Result<Scan, EventsError> {
    let mut out = Scan::default();
    let mut seen = HashSet::new();
    let (stats, state) = scan_rows(source, previous, &mut |row| {
        match row {
            Row::Event(event) if seen.insert(event.dedup_key()) => out.events.push(event),
            Row::Event(_) => out.duplicates += 1,
            Row::Rejected(rejected) => out.rejected.push(rejected),
        }
        Ok(())
    })?;
    out.stats = stats;
    out.state = state;
    Ok(out)
}

/// Reads what is new in the source's files since `previous`, handing every event and bad
/// row to `sink` as it is read (files in path order, rows in file order). Returns the
/// statistics and the file state to save once the sink's rows are in the lake.
pub fn scan_rows(
    source: &EventsSource,
    previous: &FilesState,
    sink: &mut impl FnMut(Row) -> Result<(), EventsError>,
) -> Result<(ScanStats, FilesState), EventsError> {
    let glob_err = |message: String| EventsError::Glob {
        source_name: source.name.clone(),
        message,
    };
    let found = files::find_files(&source.paths).map_err(glob_err)?;
    let read_err = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |error| EventsError::Read {
            source_name: source.name.clone(),
            path,
            error,
        }
    };
    let mut stats = ScanStats {
        files_seen: found.len(),
        ..ScanStats::default()
    };
    let plans = files::plan_reads(found, previous).map_err(|e| EventsError::Read {
        source_name: source.name.clone(),
        path: PathBuf::from(source.paths.join(", ")),
        error: e,
    })?;
    let claimed: HashSet<usize> = plans.iter().filter_map(|p| p.continues).collect();
    let mut states = Vec::new();
    for plan in plans {
        let path = &plan.file.path;
        let label = path.to_string_lossy().into_owned();
        let mut file = File::open(path).map_err(read_err(path))?;
        let resume = match reader::read_rows(
            source,
            &mut file,
            &label,
            &plan.resume,
            plan.file.size,
            sink,
        ) {
            Ok(resume) => resume,
            Err(ReadError::Io(e)) => return Err(read_err(path)(e)),
            Err(ReadError::Sink(e)) => return Err(e),
        };
        if resume.offset > plan.resume.offset {
            stats.files_read += 1;
            stats.bytes_read += resume.offset - plan.resume.offset;
        }
        let (head, tail) = files::fingerprints(path, resume.offset).map_err(read_err(path))?;
        states.push(FileState {
            path: label,
            device: plan.file.device,
            inode: plan.file.inode,
            head,
            tail,
            resume,
        });
    }
    // Remembered files not found now keep their state: a rotated file may come back
    // under a name the globs match again.
    states.extend(
        previous
            .files
            .iter()
            .enumerate()
            .filter(|(i, _)| !claimed.contains(i))
            .map(|(_, s)| s.clone()),
    );
    Ok((stats, FilesState { files: states }))
}
