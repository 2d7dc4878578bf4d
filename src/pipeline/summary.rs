//! What a run did, per source and dataset: printed at the end and saved as JSON under
//! `<root>/_usagelake/runs/` for later inspection.

use std::fmt::Write as _;

use serde::Serialize;

use crate::sources::SourceSummary;

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub pipeline: String,
    pub lake_root: String,
    pub started_at: String,
    pub finished_at: String,
    /// `--from/--to` of a range run, as `YYYY-MM-DD..YYYY-MM-DD`.
    pub range: Option<String>,
    pub sources: Vec<SourceSummary>,
}

impl RunSummary {
    /// `source: error` for every failed source, then `source/dataset: error` for every
    /// failed dataset.
    pub fn failures(&self) -> Vec<String> {
        let sources = self
            .sources
            .iter()
            .filter_map(|s| Some(format!("{}: {}", s.name, s.error.as_ref()?)));
        let datasets = self
            .sources
            .iter()
            .flat_map(|s| s.datasets.iter().map(move |d| (s, d)))
            .filter_map(|(s, d)| Some(format!("{}/{}: {}", s.name, d.name, d.error.as_ref()?)));
        sources.chain(datasets).collect()
    }

    pub fn rows_written(&self) -> u64 {
        self.sources
            .iter()
            .flat_map(|s| &s.datasets)
            .map(|d| d.rows_written)
            .sum()
    }

    /// A fixed-width table for people; the JSON file carries the same facts.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<36} {:>12} {:>12} {:>12} {:>6} {:>8}",
            "source/dataset", "rows read", "written", "already had", "parts", "seconds"
        );
        for source in &self.sources {
            if source.error.is_some() {
                let _ = writeln!(out, "{:<36} FAILED (see below)", source.name);
            }
            for d in &source.datasets {
                let name = format!("{}/{}", source.name, d.name);
                match &d.skipped {
                    Some(why) => {
                        let _ = writeln!(out, "{name:<36} skipped: {why}");
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "{name:<36} {:>12} {:>12} {:>12} {:>6} {:>8.2}",
                            d.rows_read,
                            d.rows_written,
                            d.rows_already_present,
                            d.partitions.len(),
                            d.seconds
                        );
                    }
                }
            }
        }
        for source in &self.sources {
            if let Some(error) = &source.error {
                let _ = writeln!(out, "FAILED {}: {error}", source.name);
            }
            for d in &source.datasets {
                for warning in &d.warnings {
                    let _ = writeln!(out, "WARNING {}/{}: {warning}", source.name, d.name);
                }
                if let Some(error) = &d.error {
                    let _ = writeln!(out, "FAILED {}/{}: {error}", source.name, d.name);
                }
            }
            if let Some(t) = &source.transform {
                let _ = write!(out, "\n{}", t.text());
            }
        }
        out
    }
}
