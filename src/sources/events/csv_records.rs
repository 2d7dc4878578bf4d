//! CSV records (RFC 4180 as real exports write it) with the physical line each starts on.
//!
//! Fields are separated by the delimiter; a field that starts with `"` is quoted: it may
//! hold delimiters, `""` (one quote) and line breaks. Records end at LF or CRLF; a last
//! record without a line break is a record. An empty line is no record (exports end with
//! one). Bytes stay bytes here: the caller decides what invalid UTF-8 means.
//!
//! Why not the `csv` crate: it turns on serde's `default` feature, which changes the build
//! fingerprint of every crate that depends on serde (polars included) — a 40-minute
//! rebuild on the 2-core build machine for every branch — for a grammar this small.

use std::io::{BufRead, BufReader, Read};

/// One record: its fields and the 1-based physical line it starts on, counted from the
/// start of the reader.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CsvRecord {
    pub fields: Vec<Vec<u8>>,
    pub line: u64,
    /// A quoted field was still open at the end of the input.
    pub is_unterminated: bool,
}

pub struct CsvRecords<R> {
    input: BufReader<R>,
    delimiter: u8,
    /// Physical line number of the next byte.
    next_line: u64,
    line_buffer: Vec<u8>,
}

impl<R: Read> CsvRecords<R> {
    pub fn new(input: R, delimiter: u8) -> Self {
        Self {
            input: BufReader::with_capacity(256 * 1024, input),
            delimiter,
            next_line: 1,
            line_buffer: Vec::new(),
        }
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<CsvRecord>> {
        loop {
            let start_line = self.next_line;
            if !self.read_line()? {
                return Ok(None);
            }
            if is_blank(&self.line_buffer) {
                continue;
            }
            let mut record = CsvRecord {
                line: start_line,
                ..CsvRecord::default()
            };
            let mut field = Vec::new();
            let mut in_quotes = false;
            let mut at_field_start = true;
            let mut position = 0;
            loop {
                let line = &self.line_buffer;
                if position >= line.len() {
                    if in_quotes {
                        // A quoted line break: the field continues on the next line.
                        if !self.read_line()? {
                            record.is_unterminated = true;
                            break;
                        }
                        position = 0;
                        continue;
                    }
                    break;
                }
                let byte = line[position];
                position += 1;
                if in_quotes {
                    if byte == b'"' {
                        if line.get(position) == Some(&b'"') {
                            field.push(b'"');
                            position += 1;
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        field.push(byte);
                    }
                } else if byte == self.delimiter {
                    record.fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                    continue;
                } else if byte == b'"' && at_field_start {
                    in_quotes = true;
                } else if byte == b'\n' || (byte == b'\r' && line.get(position) == Some(&b'\n')) {
                    break;
                } else {
                    field.push(byte);
                }
                at_field_start = false;
            }
            record.fields.push(field);
            return Ok(Some(record));
        }
    }

    /// Reads one physical line (with its line break) into `line_buffer`; false at the end.
    fn read_line(&mut self) -> std::io::Result<bool> {
        self.line_buffer.clear();
        let n = self.input.read_until(b'\n', &mut self.line_buffer)?;
        if n == 0 {
            return Ok(false);
        }
        if self.line_buffer.ends_with(b"\n") {
            self.next_line += 1;
        }
        Ok(true)
    }
}

fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n" | b"")
}

/// A field for a CSV file: quoted when it holds the delimiter, a quote or a line break.
pub fn quote_field(field: &str, delimiter: char) -> String {
    if field.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<(u64, Vec<String>, bool)> {
        let mut reader = CsvRecords::new(text.as_bytes(), b',');
        let mut out = Vec::new();
        while let Some(record) = reader.next_record().unwrap() {
            let fields = record
                .fields
                .iter()
                .map(|f| String::from_utf8(f.clone()).unwrap())
                .collect();
            out.push((record.line, fields, record.is_unterminated));
        }
        out
    }

    fn owned(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn plain_quoted_and_crlf_records_with_their_lines() {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,,3";
        assert_eq!(
            records(text),
            vec![
                (1, owned(&["a", "b", "c"]), false),
                (2, owned(&["1", "x, y", "say \"hi\""]), false),
                (4, owned(&["2", "", "3"]), false),
            ]
        );
    }

    #[test]
    fn a_quoted_line_break_continues_the_record_and_lines_keep_counting() {
        let text = "1,\"two\nlines\",3\n4,5,6\n";
        assert_eq!(
            records(text),
            vec![
                (1, owned(&["1", "two\nlines", "3"]), false),
                (3, owned(&["4", "5", "6"]), false),
            ]
        );
    }

    #[test]
    fn an_unterminated_quote_is_flagged() {
        let got = records("1,\"open\n2,3\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].2);
    }

    #[test]
    fn quoting_for_output() {
        assert_eq!(quote_field("plain", ','), "plain");
        assert_eq!(quote_field("a,b", ','), "\"a,b\"");
        assert_eq!(quote_field("say \"hi\"", ','), "\"say \"\"hi\"\"\"");
    }
}
