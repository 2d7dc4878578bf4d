//! The resume file of a backfill: `<root>/_usagelake/backfill/<id>.json` lists the days
//! already committed, keyed by range, datasets and sources so the same command resumes.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BackfillRequest;
use crate::load::{fsutil, LakeLayout};

/// `_usagelake/backfill/<id>.json`: which days of this backfill are done.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    pub(super) datasets: Vec<String>,
    pub(super) days_done: BTreeSet<NaiveDate>,
    pub(super) updated_at: String,
}

/// Same range, datasets and lake root → same file, so the same command resumes.
pub(super) fn checkpoint_path(
    layout: &LakeLayout,
    request: &BackfillRequest,
    sources: &[&str],
) -> std::path::PathBuf {
    let mut datasets = request.datasets.clone();
    datasets.sort();
    let identity = format!(
        "{}|{}|{}|{}",
        request.range.from,
        request.range.to,
        datasets.join(","),
        sources.join(",")
    );
    let hash = Sha256::digest(identity.as_bytes());
    let short: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    layout.backfill_dir().join(format!(
        "{}_{}-{short}.json",
        request.range.from, request.range.to
    ))
}

/// A missing or unreadable checkpoint starts from the first day: redoing a day is only
/// slower, never wrong (merge by key).
pub(super) fn load_checkpoint(path: &std::path::Path, request: &BackfillRequest) -> Checkpoint {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| Checkpoint {
            from: request.range.from,
            to: request.range.to,
            datasets: request.datasets.clone(),
            ..Default::default()
        })
}

pub(super) fn save_checkpoint(path: &std::path::Path, checkpoint: &Checkpoint) {
    let json = serde_json::to_vec_pretty(checkpoint).expect("checkpoint serializes");
    let result = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| fsutil::atomic_write(path, &json));
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not save the backfill checkpoint; an interruption would redo finished days");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checkpoints written before chrono's serde feature (hand-written `YYYY-MM-DD` text)
    /// must still resume: the on-disk shape is unchanged.
    #[test]
    fn a_checkpoint_keeps_its_plain_date_text_on_disk() {
        let old = r#"{"from":"2026-03-28","to":"2026-03-30","datasets":["http_requests"],
            "days_done":["2026-03-29","2026-03-28"],"updated_at":"2026-03-31T00:00:00Z"}"#;
        let checkpoint: Checkpoint = serde_json::from_str(old).unwrap();
        let day = |t: &str| t.parse::<NaiveDate>().unwrap();
        assert_eq!(checkpoint.from, day("2026-03-28"));
        assert_eq!(
            checkpoint.days_done.iter().copied().collect::<Vec<_>>(),
            vec![day("2026-03-28"), day("2026-03-29")]
        );
        let json: serde_json::Value = serde_json::to_value(&checkpoint).unwrap();
        assert_eq!(json["to"], "2026-03-30");
        assert_eq!(json["days_done"][1], "2026-03-29");
    }
}
