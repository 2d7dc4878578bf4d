//! Reading the new part of one file, CSV or JSON Lines, into events and bad rows.
//!
//! A read starts at a byte offset whose physical line number is known (`Resume`) and stops
//! at the size the file had when the run looked at it, so a line appended meanwhile is
//! read by the next run, whole. A last line without a newline is read; if the writer later
//! finishes it with a newline, that newline is skipped rather than read as an empty line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use serde::{Deserialize, Serialize};

use super::config::{EventsSource, FileFormat};
use super::csv_records::CsvRecords;
use super::record::{cut_raw, map_fields, EventRow, RejectedRow};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the next read of a file starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub offset: u64,
    /// Physical line number (1-based) of the byte at `offset`.
    pub next_line: u64,
    /// The bytes before `offset` end inside a line (the last line had no newline).
    pub ends_mid_line: bool,
    /// CSV column names, once the header was read.
    pub header: Option<Vec<String>>,
}

impl Resume {
    pub fn start() -> Self {
        Self {
            next_line: 1,
            ..Self::default()
        }
    }
}

#[derive(Debug, Default)]
pub struct ReadResult {
    pub events: Vec<EventRow>,
    pub rejected: Vec<RejectedRow>,
}

/// One row of a file: an event or a bad row, handed to the caller as it is read.
#[derive(Debug)]
pub enum Row {
    Event(EventRow),
    Rejected(RejectedRow),
}

/// Why a streaming read stopped: the file, or the caller's sink (the lake).
#[derive(Debug)]
pub enum ReadError<E> {
    Io(std::io::Error),
    Sink(E),
}

impl<E> From<std::io::Error> for ReadError<E> {
    fn from(error: std::io::Error) -> Self {
        ReadError::Io(error)
    }
}

/// Reads `file` from `resume` up to byte `end` into memory; returns what it found and
/// where the next read starts. For tests and small files: runs use [`read_rows`].
pub fn read_from(
    source: &EventsSource,
    file: &mut File,
    label: &str,
    resume: &Resume,
    end: u64,
) -> std::io::Result<(ReadResult, Resume)> {
    let mut result = ReadResult::default();
    let mut collect = |row: Row| -> Result<(), std::convert::Infallible> {
        match row {
            Row::Event(event) => result.events.push(event),
            Row::Rejected(rejected) => result.rejected.push(rejected),
        }
        Ok(())
    };
    match read_rows(source, file, label, resume, end, &mut collect) {
        Ok(next) => Ok((result, next)),
        Err(ReadError::Io(e)) => Err(e),
        Err(ReadError::Sink(never)) => match never {},
    }
}

/// Reads `file` from `resume` up to byte `end`, handing each row to `sink` as soon as it
/// is read (memory does not grow with the file); returns where the next read starts.
/// `label` names the file in events and bad rows.
pub fn read_rows<E>(
    source: &EventsSource,
    file: &mut File,
    label: &str,
    resume: &Resume,
    end: u64,
    sink: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<Resume, ReadError<E>> {
    let mut next = resume.clone();
    if end <= resume.offset {
        return Ok(next);
    }
    file.seek(SeekFrom::Start(resume.offset))?;
    let mut limited = file.take(end - resume.offset);
    // Skip what must not be read as data: a BOM at the start of the file, or the newline
    // that finishes a line the previous read already took.
    let mut prefix = Vec::new();
    (&mut limited).take(3).read_to_end(&mut prefix)?;
    let skip = if resume.offset == 0 && prefix.starts_with(BOM) {
        3
    } else if resume.ends_mid_line && prefix.starts_with(b"\r\n") {
        next.next_line += 1;
        2
    } else if resume.ends_mid_line && prefix.starts_with(b"\n") {
        next.next_line += 1;
        1
    } else {
        0
    };
    let body = std::io::Cursor::new(prefix[skip..].to_vec()).chain(limited);
    let mut counting = Counting::new(body);
    match source.format {
        FileFormat::Csv => read_csv(source, &mut counting, label, &mut next, sink)?,
        FileFormat::JsonLines => {
            read_json_lines(source, &mut counting, label, next.next_line, sink)?
        }
    };
    next.offset = end;
    next.next_line += counting.newlines;
    if let Some(last) = counting.last {
        next.ends_mid_line = last != b'\n';
    }
    Ok(next)
}

fn read_csv<E>(
    source: &EventsSource,
    input: &mut impl Read,
    label: &str,
    next: &mut Resume,
    sink: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), ReadError<E>> {
    let mut records = CsvRecords::new(input, source.delimiter);
    let first_line = next.next_line;
    let mut emit = |row: Row| sink(row).map_err(ReadError::Sink);
    while let Some(record) = records.next_record()? {
        let line = first_line + record.line - 1;
        let raw = || {
            let text: Vec<String> = record
                .fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            cut_raw(&text.join(&char::from(source.delimiter).to_string()))
        };
        let reject = |reason: String| RejectedRow {
            file: label.to_string(),
            line,
            reason,
            raw: raw(),
        };
        if record.is_unterminated {
            emit(Row::Rejected(reject(
                "a quoted field is not closed before the end of the file".into(),
            )))?;
            continue;
        }
        let fields: Result<Vec<&str>, _> = record
            .fields
            .iter()
            .map(|f| std::str::from_utf8(f))
            .collect();
        let fields = match fields {
            Ok(fields) => fields,
            Err(_) => {
                emit(Row::Rejected(reject("not valid UTF-8".into())))?;
                continue;
            }
        };
        let Some(header) = &next.header else {
            next.header = Some(fields.iter().map(|f| f.trim().to_string()).collect());
            continue;
        };
        if fields.len() != header.len() {
            let reason = format!("{} fields, the header has {}", fields.len(), header.len());
            emit(Row::Rejected(reject(reason)))?;
            continue;
        }
        let named: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(fields.iter().map(|f| f.to_string()))
            .collect();
        match map_fields(source, named) {
            Ok(event) => emit(Row::Event(event.at(label, line)))?,
            Err(reason) => emit(Row::Rejected(reject(reason)))?,
        }
    }
    Ok(())
}

fn read_json_lines<E>(
    source: &EventsSource,
    input: &mut impl Read,
    label: &str,
    first_line: u64,
    sink: &mut impl FnMut(Row) -> Result<(), E>,
) -> Result<(), ReadError<E>> {
    let mut reader = BufReader::new(input);
    let mut emit = |row: Row| sink(row).map_err(ReadError::Sink);
    let mut buffer = Vec::new();
    let mut line = first_line;
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        let this_line = line;
        line += 1;
        let mut text: &[u8] = &buffer;
        if let Some(rest) = text.strip_suffix(b"\n") {
            text = rest;
        }
        if let Some(rest) = text.strip_suffix(b"\r") {
            text = rest;
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reject = |reason: String| RejectedRow {
            file: label.to_string(),
            line: this_line,
            reason,
            raw: cut_raw(&String::from_utf8_lossy(text)),
        };
        let object = match serde_json::from_slice::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                emit(Row::Rejected(reject("not a JSON object".into())))?;
                continue;
            }
            Err(e) => {
                emit(Row::Rejected(reject(format!("invalid JSON: {e}"))))?;
                continue;
            }
        };
        let named: BTreeMap<String, String> = object
            .into_iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((key, text))
            })
            .collect();
        match map_fields(source, named) {
            Ok(event) => emit(Row::Event(event.at(label, this_line)))?,
            Err(reason) => emit(Row::Rejected(reject(reason)))?,
        }
    }
    Ok(())
}

/// Counts the newlines passing through and remembers the last byte.
struct Counting<R> {
    inner: R,
    newlines: u64,
    last: Option<u8>,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            newlines: 0,
            last: None,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.newlines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
