//! `COPY … TO STDOUT (FORMAT binary)` framing → Arrow `RecordBatch`es.
//!
//! Owns the stream format (PostgreSQL docs, "COPY" → "Binary Format"): an 11-byte
//! signature, i32 flags, i32 extension length + extension; then tuples of i16 field
//! count (-1 = trailer) and per field an i32 length (-1 = NULL) + bytes, all big-endian.
//! Field bytes go to the column decoders of `types::decode`, which alone know wire formats.
//!
//! Chunks may split anywhere (tokio-postgres yields one CopyData message per chunk, and
//! the server usually sends one row per message, but nothing guarantees that), so an
//! incomplete header or tuple is carried in `pending` until the next chunk completes it.
//! Each tuple is first *scanned* (lengths only) and decoded only once complete, so the
//! column builders never hold half a row.

use std::collections::VecDeque;

use arrow_array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_schema::SchemaRef;

use super::error::ExtractError;
use super::spec::ResolvedTable;
use super::types::decode::{ColumnDecoder, DecodeFault};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
const HEADER_FIXED: usize = 11 + 4 + 4;
/// Flag bits 16..31 are "critical": a reader must abort on any it does not know (bit 16
/// means an OID column per row, which we never request).
const CRITICAL_FLAGS: u32 = 0xFFFF_0000;
/// Cut a batch early once this many wire bytes went in. Memory: a batch is the unit
/// that sits in the pump's channel and the writer's buffers, so its size multiplies
/// into peak RSS; 4 MB is ~7k wide Tableau requests. `usagelake bench`, 1M rows, with
/// the single-threaded runtime: 8 → 4 MB took peak RSS from 183 to 118 MB at the same
/// speed (1.21× the floor both; 10M rows: 167 MB). It also keeps a batch of huge text
/// values far below Arrow's 2 GiB i32-offset limit (uuid text is 2.25× its wire size).
const MAX_BATCH_WIRE_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Header,
    Tuples,
    Done,
}

/// Result of looking at the start of a buffer for one complete unit (header or tuple).
enum Scan {
    /// The unit is complete and this many bytes long.
    Complete(usize),
    /// Incomplete: the buffer must hold at least this many bytes before scanning again.
    Need(usize),
}

/// Where an output column comes from.
enum Slot {
    /// Index into the decoded (COPY-selected) columns.
    Decoded(usize),
    /// Optional spec column absent on the server: all-NULL of the spec type.
    Missing,
}

pub(crate) struct CopyDecoder {
    table: String,
    schema: SchemaRef,
    names: Vec<String>,
    columns: Vec<ColumnDecoder>,
    slots: Vec<Slot>,
    batch_rows: usize,
    framing: Framing,
    pending: Vec<u8>,
    need: usize,
    rows_in_batch: usize,
    bytes_in_batch: usize,
    rows_total: u64,
}

impl CopyDecoder {
    /// Decodes the COPY output of `session::copy_sql(table, …)`: the present columns in
    /// spec order. `batch_rows` is clamped to at least 1.
    pub(crate) fn new(table: &ResolvedTable, batch_rows: usize) -> CopyDecoder {
        let batch_rows = batch_rows.max(1);
        let mut names = Vec::new();
        let mut columns = Vec::new();
        let mut slots = Vec::new();
        for col in &table.spec.columns {
            match table.present.iter().find(|(c, _)| c.name == col.name) {
                Some((_, actual)) => {
                    slots.push(Slot::Decoded(columns.len()));
                    names.push(col.name.clone());
                    columns.push(ColumnDecoder::new(
                        col.pg_type,
                        *actual,
                        batch_rows.min(1 << 16),
                    ));
                }
                None => slots.push(Slot::Missing),
            }
        }
        CopyDecoder {
            table: table.spec.table.clone(),
            schema: table.schema.clone(),
            names,
            columns,
            slots,
            batch_rows,
            framing: Framing::Header,
            pending: Vec::new(),
            need: 0,
            rows_in_batch: 0,
            bytes_in_batch: 0,
            rows_total: 0,
        }
    }

    /// Consumes one chunk; every batch that fills up is pushed to `out`.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        out: &mut VecDeque<RecordBatch>,
    ) -> Result<(), ExtractError> {
        let mut input = chunk;
        // First complete a unit split across chunks, copying only the bytes it needs.
        while !self.pending.is_empty() {
            if input.is_empty() {
                return Ok(());
            }
            let take = (self.need - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() < self.need {
                return Ok(());
            }
            let buf = std::mem::take(&mut self.pending);
            match self.scan(&buf)? {
                Scan::Complete(len) => {
                    debug_assert_eq!(len, buf.len(), "need is exact once all lengths are known");
                    self.decode_unit(&buf, out)?;
                    self.pending = buf;
                    self.pending.clear();
                }
                Scan::Need(n) => {
                    self.need = n;
                    self.pending = buf;
                }
            }
        }
        // Fast path: whole units straight from the chunk.
        while !input.is_empty() {
            match self.scan(input)? {
                Scan::Complete(len) => {
                    self.decode_unit(&input[..len], out)?;
                    input = &input[len..];
                }
                Scan::Need(n) => {
                    self.pending.extend_from_slice(input);
                    self.need = n;
                    break;
                }
            }
        }
        Ok(())
    }

    /// End of the COPY stream: the trailer must have arrived; returns the last batch.
    pub(crate) fn finish(&mut self) -> Result<Option<RecordBatch>, ExtractError> {
        if self.framing != Framing::Done || !self.pending.is_empty() {
            return Err(self.stream_error(format!(
                "COPY stream ended without its trailer ({} bytes of an incomplete {} left): truncated",
                self.pending.len(),
                if self.framing == Framing::Header { "header" } else { "tuple" },
            )));
        }
        if self.rows_in_batch == 0 {
            return Ok(None);
        }
        self.take_batch().map(Some)
    }

    /// Length of the unit at the start of `buf`, without decoding it.
    #[inline]
    fn scan(&self, buf: &[u8]) -> Result<Scan, ExtractError> {
        match self.framing {
            Framing::Header => {
                if buf.len() < HEADER_FIXED {
                    return Ok(Scan::Need(HEADER_FIXED));
                }
                let ext = be_i32(buf, 15);
                let ext = usize::try_from(ext).map_err(|_| {
                    self.stream_error(format!("negative header extension length {ext}"))
                })?;
                let len = HEADER_FIXED + ext;
                Ok(if buf.len() < len {
                    Scan::Need(len)
                } else {
                    Scan::Complete(len)
                })
            }
            Framing::Tuples => {
                if buf.len() < 2 {
                    return Ok(Scan::Need(2));
                }
                let fields = i16::from_be_bytes([buf[0], buf[1]]);
                if fields == -1 {
                    return Ok(Scan::Complete(2));
                }
                if fields as usize != self.columns.len() || fields < 0 {
                    return Err(self.tuple_error(format!(
                        "tuple has {fields} fields but {} columns were selected",
                        self.columns.len()
                    )));
                }
                let mut pos = 2;
                for _ in 0..fields {
                    if buf.len() < pos + 4 {
                        return Ok(Scan::Need(pos + 4));
                    }
                    let len = be_i32(buf, pos);
                    pos += 4;
                    if len > 0 {
                        pos += len as usize;
                    } else if len < -1 {
                        return Err(self.tuple_error(format!("invalid field length {len}")));
                    }
                }
                Ok(if buf.len() < pos {
                    Scan::Need(pos)
                } else {
                    Scan::Complete(pos)
                })
            }
            Framing::Done => Err(self.stream_error("data after the COPY trailer".into())),
        }
    }

    /// Decodes one complete unit (as measured by `scan`).
    fn decode_unit(
        &mut self,
        unit: &[u8],
        out: &mut VecDeque<RecordBatch>,
    ) -> Result<(), ExtractError> {
        match self.framing {
            Framing::Header => {
                if &unit[..11] != SIGNATURE {
                    return Err(
                        self.stream_error("not a binary COPY stream (bad signature)".into())
                    );
                }
                let flags = be_i32(unit, 11) as u32;
                if flags & CRITICAL_FLAGS != 0 {
                    return Err(
                        self.stream_error(format!("unsupported COPY header flags 0x{flags:08x}"))
                    );
                }
                self.framing = Framing::Tuples;
            }
            Framing::Tuples if unit.len() == 2 && unit == [0xff, 0xff] => {
                self.framing = Framing::Done
            }
            Framing::Tuples => {
                let mut pos = 2;
                for i in 0..self.columns.len() {
                    let len = be_i32(unit, pos);
                    pos += 4;
                    if len < 0 {
                        self.columns[i].push_null();
                        continue;
                    }
                    let end = pos + len as usize;
                    if let Err(fault) = self.columns[i].push_value(&unit[pos..end]) {
                        return Err(self.decode_error(i, self.rows_total + 1, fault));
                    }
                    pos = end;
                }
                self.rows_total += 1;
                self.rows_in_batch += 1;
                self.bytes_in_batch += unit.len();
                if self.rows_in_batch == self.batch_rows
                    || self.bytes_in_batch >= MAX_BATCH_WIRE_BYTES
                {
                    out.push_back(self.take_batch()?);
                }
            }
            Framing::Done => return Err(self.stream_error("data after the COPY trailer".into())),
        }
        Ok(())
    }

    fn take_batch(&mut self) -> Result<RecordBatch, ExtractError> {
        let rows = self.rows_in_batch;
        let first_row = self.rows_total - rows as u64 + 1;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.slots.len());
        for (slot, field) in self.slots.iter().zip(self.schema.fields()) {
            arrays.push(match slot {
                Slot::Decoded(i) => match self.columns[*i].finish() {
                    Ok(array) => array,
                    Err(fault) => {
                        let row = first_row + fault.batch_row.unwrap_or(0) as u64;
                        return Err(self.decode_error(*i, row, fault));
                    }
                },
                Slot::Missing => new_null_array(field.data_type(), rows),
            });
        }
        self.rows_in_batch = 0;
        self.bytes_in_batch = 0;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options).map_err(|e| {
            self.stream_error(format!("decoded columns do not fit the table schema: {e}"))
        })
    }

    fn decode_error(&self, column: usize, row: u64, fault: DecodeFault) -> ExtractError {
        ExtractError::Decode {
            table: self.table.clone(),
            column: self.names[column].clone(),
            row,
            message: fault.message,
        }
    }

    fn tuple_error(&self, message: String) -> ExtractError {
        ExtractError::Decode {
            table: self.table.clone(),
            column: "<stream>".into(),
            row: self.rows_total + 1,
            message,
        }
    }

    fn stream_error(&self, message: String) -> ExtractError {
        ExtractError::Decode {
            table: self.table.clone(),
            column: "<stream>".into(),
            row: self.rows_total,
            message,
        }
    }
}

#[inline]
fn be_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

#[cfg(test)]
mod bench;
#[cfg(test)]
mod framing_tests;
#[cfg(test)]
mod tests;
