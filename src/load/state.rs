//! Per-source cursor state: `<root>/_usagelake/state/<source>.json`.
//!
//! Human-readable so an operator can inspect or hand-edit a watermark (e.g. to force a
//! re-read). Saved with `atomic_write`, and only after the data it covers is durable:
//! the caller commits the writers first, then saves (state ahead of data would skip
//! rows forever). A corrupt file is an error naming the path, never a silent reset:
//! an empty state would re-extract everything, or worse, hide the corruption.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::load::{fsutil, LakeLayout};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "state file {path} is corrupt; fix or move it aside (it is never reset automatically)"
    )]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write state file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid source name {name:?} for a state file")]
    SourceName { name: String },
}

/// Unknown fields are ignored (serde's default) so an older binary can read a newer
/// file; they are not preserved on save.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    #[serde(default)]
    pub datasets: BTreeMap<String, DatasetState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetState {
    /// Each source kind defines it per dataset: for a table read by key, the highest key
    /// durable in the lake; for an API read by time, an instant (UTC epoch
    /// **milliseconds**) before which every event is durable (see the kind's docs).
    pub watermark_key: Option<i64>,
    /// Key the next run starts re-reading from (watermark minus the lookback window).
    pub lookback_key: Option<i64>,
    /// Highest event time durable in the lake, µs since the epoch (UTC).
    pub max_event_time_us: Option<i64>,
    /// Database event tables: event time (µs UTC) of the row at `watermark_key`. The
    /// source row at that key must keep it; if it changed, ids were handed out again
    /// (see `coverage::key_restart`).
    pub watermark_time_us: Option<i64>,
    /// Database event tables: key generation the lake writes (see `load::generation`);
    /// raised by `run --new-key-generation` after the source's ids restarted.
    #[serde(skip_serializing_if = "is_zero")]
    pub key_generation: u32,
    /// RFC3339 UTC.
    pub updated_at: String,
    pub run_id: String,
    pub rows_total: Option<u64>,
    /// `YYYY-MM-DD` of the last snapshot written, for snapshot datasets.
    pub last_snapshot_date: Option<String>,
    /// Derived datasets: partitions built from inputs known to be incomplete (e.g. a
    /// lookup snapshot older than the events), which the next run that has complete
    /// inputs rebuilds. Recorded before the partition is published.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rebuild_pending: Vec<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    pub fn new(layout: &LakeLayout) -> Self {
        Self {
            dir: layout.state_dir(),
        }
    }

    pub fn path(&self, source: &str) -> Result<PathBuf, StateError> {
        let valid = !source.is_empty()
            && !source.starts_with('.')
            && source
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(StateError::SourceName {
                name: source.to_string(),
            });
        }
        Ok(self.dir.join(format!("{source}.json")))
    }

    /// Missing file: empty state (first run). Unreadable or corrupt: error.
    pub fn load(&self, source: &str) -> Result<SourceState, StateError> {
        let path = self.path(source)?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SourceState::default()),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt { path, source })
    }

    pub fn save(&self, source: &str, state: &SourceState) -> Result<(), StateError> {
        let path = self.path(source)?;
        let mut json = serde_json::to_vec_pretty(state).expect("state serializes");
        json.push(b'\n');
        fsutil::atomic_write(&path, &json).map_err(|source| StateError::Write { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, StateStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(&LakeLayout::new(dir.path()));
        (dir, store)
    }

    #[test]
    fn missing_file_is_empty_state_and_round_trip_keeps_everything() {
        let (_dir, store) = store();
        assert_eq!(store.load("repo").unwrap(), SourceState::default());
        let mut state = SourceState::default();
        state.datasets.insert(
            "http_requests".into(),
            DatasetState {
                watermark_key: Some(9_000_000_001),
                lookback_key: Some(8_999_000_000),
                max_event_time_us: Some(1_772_950_000_000_000),
                watermark_time_us: Some(1_772_949_000_000_000),
                key_generation: 1,
                updated_at: "2026-03-08T07:30:00Z".into(),
                run_id: "20260308T073000Z-4242".into(),
                rows_total: Some(10_000_000),
                last_snapshot_date: None,
                rebuild_pending: vec!["event_date=2026-03-07".into()],
            },
        );
        store.save("repo", &state).unwrap();
        assert_eq!(store.load("repo").unwrap(), state);
        let text = std::fs::read_to_string(store.path("repo").unwrap()).unwrap();
        assert!(
            text.contains("\"watermark_key\": 9000000001"),
            "human-readable: {text}"
        );
    }

    #[test]
    fn unknown_fields_are_tolerated() {
        let (_dir, store) = store();
        let path = store.path("repo").unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"datasets":{"users":{"run_id":"r1","future":1}},"v":2}"#,
        )
        .unwrap();
        let state = store.load("repo").unwrap();
        assert_eq!(state.datasets["users"].run_id, "r1");
    }

    #[test]
    fn corrupt_file_is_an_error_naming_the_path() {
        let (_dir, store) = store();
        let path = store.path("repo").unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"{\"datasets\": {").unwrap();
        let err = store.load("repo").unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }));
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"{\"datasets\": {",
            "never reset"
        );
    }

    #[test]
    fn source_names_cannot_escape_the_state_dir() {
        let (_dir, store) = store();
        assert!(store.path("../etc").is_err());
        assert!(store.path("a/b").is_err());
    }
}
