//! Medians, ratios to the floor, and the two output formats of `usagelake bench`.

use serde::Serialize;

use super::measure::Sample;

/// All repetitions of one variant.
#[derive(Debug, Serialize)]
pub struct Variant {
    pub name: String,
    /// Rows the variant moves (new rows, for incremental runs); `None`: not meaningful.
    pub rows: Option<u64>,
    /// Name of the variant this one is compared with (its floor).
    pub floor: Option<String>,
    pub samples: Vec<Sample>,
    /// Why the variant did not run, when it did not.
    pub skipped: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub rows: u64,
    pub days: u32,
    pub reps: usize,
    pub floor_method: String,
    pub load_before: String,
    pub load_after: String,
    pub variants: Vec<Variant>,
}

/// Summary numbers of one variant, derived from its samples.
#[derive(Debug, Serialize)]
pub struct Line {
    pub name: String,
    pub wall_median_s: Option<f64>,
    pub wall_min_s: Option<f64>,
    pub wall_max_s: Option<f64>,
    pub rows_per_s: Option<f64>,
    pub ratio_to_floor: Option<f64>,
    pub peak_rss_mb: Option<f64>,
    pub output_bytes: Option<u64>,
    pub skipped: Option<String>,
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

impl Report {
    pub fn variant_median(&self, name: &str) -> Option<f64> {
        let v = self.variants.iter().find(|v| v.name == name)?;
        median(&mut v.samples.iter().map(|s| s.wall_s).collect::<Vec<_>>())
    }

    pub fn lines(&self) -> Vec<Line> {
        self.variants
            .iter()
            .map(|v| {
                let mut walls: Vec<f64> = v.samples.iter().map(|s| s.wall_s).collect();
                let med = median(&mut walls);
                let floor = v.floor.as_deref().and_then(|f| self.variant_median(f));
                // The largest peak: memory targets are about the worst case, not the typical.
                let rss = v.samples.iter().filter_map(|s| s.peak_rss_kb).max();
                Line {
                    name: v.name.clone(),
                    wall_median_s: med,
                    wall_min_s: walls.first().copied(),
                    wall_max_s: walls.last().copied(),
                    rows_per_s: med.zip(v.rows).map(|(m, r)| r as f64 / m),
                    ratio_to_floor: med.zip(floor).map(|(m, f)| m / f),
                    peak_rss_mb: rss.map(|kb| kb as f64 / 1024.0),
                    output_bytes: v.samples.iter().filter_map(|s| s.output_bytes).max(),
                    skipped: v.skipped.clone(),
                }
            })
            .collect()
    }

    pub fn to_json(&self) -> String {
        let value = serde_json::json!({ "report": self, "summary": self.lines() });
        serde_json::to_string_pretty(&value).expect("report serializes")
    }

    /// A Markdown table, ready to paste into a README.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "{} rows over {} days, {} reps (medians; min–max). Floor: {}.\nLoad average before: {}; after: {}.\n\n",
            self.rows, self.days, self.reps, self.floor_method, self.load_before, self.load_after
        );
        out.push_str(
            "| variant | wall median (min–max) | rows/s | × floor | peak RSS | output |\n",
        );
        out.push_str("|---|---|---|---|---|---|\n");
        for l in self.lines() {
            if let Some(why) = &l.skipped {
                out.push_str(&format!("| {} | skipped: {why} | | | | |\n", l.name));
                continue;
            }
            let wall = match (l.wall_median_s, l.wall_min_s, l.wall_max_s) {
                (Some(m), Some(a), Some(b)) => format!("{m:.2} s ({a:.2}–{b:.2})"),
                _ => "—".into(),
            };
            out.push_str(&format!(
                "| {} | {wall} | {} | {} | {} | {} |\n",
                l.name,
                l.rows_per_s
                    .map_or("—".into(), |r| format!("{:.0}k", r / 1000.0)),
                l.ratio_to_floor.map_or("—".into(), |r| format!("{r:.2}")),
                l.peak_rss_mb.map_or("—".into(), |m| format!("{m:.0} MB")),
                l.output_bytes
                    .map_or("—".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn ratio_is_against_the_named_floor_median() {
        let sample = |wall_s| Sample {
            wall_s,
            peak_rss_kb: Some(1024),
            output_bytes: None,
        };
        let report = Report {
            rows: 100,
            days: 1,
            reps: 2,
            floor_method: "x".into(),
            load_before: String::new(),
            load_after: String::new(),
            variants: vec![
                Variant {
                    name: "floor".into(),
                    rows: Some(100),
                    floor: None,
                    samples: vec![sample(1.0), sample(3.0)],
                    skipped: None,
                },
                Variant {
                    name: "run".into(),
                    rows: Some(100),
                    floor: Some("floor".into()),
                    samples: vec![sample(3.0), sample(5.0)],
                    skipped: None,
                },
            ],
        };
        let lines = report.lines();
        assert_eq!(lines[1].ratio_to_floor, Some(2.0));
        assert_eq!(lines[1].rows_per_s, Some(25.0));
        assert!(report.to_table().contains("| run | 4.00 s (3.00–5.00)"));
    }
}
