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
            for d in &source.datasets {
                for warning in &d.warnings {
                    let _ = writeln!(out, "WARNING {}/{}: {warning}", source.name, d.name);
                }
            }
            if let Some(t) = &source.transform {
                let _ = write!(out, "\n{}", t.to_text(&source.name));
            }
        }
        out
    }
}
