//! The shape every report returns, and its three renderings: an aligned text table, CSV
//! and JSON. Reports build [`Section`]s of typed [`Cell`]s; nothing else formats output,
//! so the formats cannot disagree about a value.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Map, Value};

/// One value. Times are local wall-clock times in the pipeline's zone (the report says
/// which zone once, in its header).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    Time(NaiveDateTime),
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    pub fn opt_text(value: Option<&str>) -> Cell {
        value.map_or(Cell::Null, Cell::text)
    }

    pub fn opt_int(value: Option<i64>) -> Cell {
        value.map_or(Cell::Null, Cell::Int)
    }

    pub fn opt_time(value: Option<NaiveDateTime>) -> Cell {
        value.map_or(Cell::Null, Cell::Time)
    }

    /// The text shown in the table and CSV formats ("" for NULL).
    pub fn display(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => format!("{f:.1}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Int(i) => json!(i),
            Cell::Float(f) => json!(f),
            other => Value::String(other.display()),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            _ => None,
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Float(_))
    }
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Machine name: the JSON key, the `--section` value.
    pub name: &'static str,
    /// Heading in the table format and the HTML page.
    pub title: String,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Section {
    pub fn new(name: &'static str, title: impl Into<String>, columns: &[&'static str]) -> Self {
        Section {
            name,
            title: title.into(),
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.name);
        self.rows.push(row);
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == name)
    }
}

/// A report: what was asked (`filters`), in which zone, and its sections.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub name: &'static str,
    pub time_zone: String,
    /// The effective filters, e.g. ("from", "2026-11-01"), echoed in every format.
    pub filters: Vec<(&'static str, String)>,
    pub sections: Vec<Section>,
}

impl Report {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Keeps only the section `name` (`--section`).
    pub fn only_section(mut self, name: &str) -> Result<Report, String> {
        let known: Vec<&str> = self.sections.iter().map(|s| s.name).collect();
        match self.sections.iter().position(|s| s.name == name) {
            Some(i) => {
                self.sections = vec![self.sections.swap_remove(i)];
                Ok(self)
            }
            None => Err(format!(
                "report `{}` has no section `{name}`; it has {}",
                self.name,
                known.join(", ")
            )),
        }
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let filters: Vec<String> = self
            .filters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(
            out,
            "{} ({}; times in {})",
            self.name,
            filters.join(" "),
            self.time_zone
        );
        for section in &self.sections {
            out.push('\n');
            let _ = writeln!(out, "{} ({} rows)", section.title, section.rows.len());
            render_aligned(&mut out, section);
        }
        out
    }

    /// CSV (RFC 4180). A report with several sections writes each after a `# <name>` line
    /// and a blank line between them; `--section` gives one plain CSV table.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let many = self.sections.len() > 1;
        for (i, section) in self.sections.iter().enumerate() {
            if many {
                if i > 0 {
                    out.push_str("\r\n");
                }
                let _ = write!(out, "# {}\r\n", section.name);
            }
            write_csv_row(&mut out, section.columns.iter().map(|c| c.to_string()));
            for row in &section.rows {
                write_csv_row(&mut out, row.iter().map(Cell::display));
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let mut sections = Map::new();
        for section in &self.sections {
            let rows: Vec<Value> = section
                .rows
                .iter()
                .map(|row| {
                    let object: Map<String, Value> = section
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (c.to_string(), v.to_json()))
                        .collect();
                    Value::Object(object)
                })
                .collect();
            sections.insert(section.name.to_string(), Value::Array(rows));
        }
        let filters: Map<String, Value> = self
            .filters
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
            .collect();
        json!({
            "report": self.name,
            "time_zone": self.time_zone,
            "filters": filters,
            "sections": sections,
        })
    }
}

fn render_aligned(out: &mut String, section: &Section) {
    let texts: Vec<Vec<String>> = section
        .rows
        .iter()
        .map(|row| row.iter().map(Cell::display).collect())
        .collect();
    let mut widths: Vec<usize> = section.columns.iter().map(|c| c.chars().count()).collect();
    for row in &texts {
        for (w, text) in widths.iter_mut().zip(row) {
            *w = (*w).max(text.chars().count());
        }
    }
    let header: Vec<String> = section
        .columns
        .iter()
        .zip(&widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    let _ = writeln!(out, "{}", header.join("  ").trim_end());
    for (row, cells) in texts.iter().zip(&section.rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(cells)
            .map(|((text, w), cell)| {
                if cell.is_numeric() {
                    format!("{text:>w$}")
                } else {
                    format!("{text:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

fn write_csv_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let quoted: Vec<String> = fields
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut a = Section::new("a", "Section A", &["name", "n"]);
        a.push(vec![Cell::text("x, \"y\""), Cell::Int(3)]);
        a.push(vec![Cell::Null, Cell::Int(12)]);
        let mut b = Section::new("b", "Section B", &["day"]);
        b.push(vec![Cell::Date(
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        )]);
        Report {
            name: "demo",
            time_zone: "UTC".into(),
            filters: vec![("from", "2026-11-01".into())],
            sections: vec![a, b],
        }
    }

    #[test]
    fn csv_quotes_fields_and_marks_sections() {
        let csv = report().to_csv();
        assert_eq!(
            csv,
            "# a\r\nname,n\r\n\"x, \"\"y\"\"\",3\r\n,12\r\n\r\n# b\r\nday\r\n2026-11-01\r\n"
        );
        let one = report().only_section("b").unwrap().to_csv();
        assert_eq!(one, "day\r\n2026-11-01\r\n");
        assert!(report().only_section("c").unwrap_err().contains("a, b"));
    }

    #[test]
    fn json_keeps_types_and_nulls() {
        let json = report().to_json();
        assert_eq!(json["sections"]["a"][1]["name"], Value::Null);
        assert_eq!(json["sections"]["a"][1]["n"], json!(12));
        assert_eq!(json["sections"]["b"][0]["day"], json!("2026-11-01"));
        assert_eq!(json["filters"]["from"], json!("2026-11-01"));
    }

    #[test]
    fn table_right_aligns_numbers() {
        let table = report().to_table();
        assert!(table.contains("\nname    n\n"), "{table}");
        assert!(table.contains("\n        12\n"), "{table}");
    }
}
