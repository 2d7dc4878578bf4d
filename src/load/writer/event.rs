//! Event mode of `DatasetWriter`: per-partition buffers (LRU over
//! `max_open_partitions`), merge-by-key against the lake, and row groups written in
//! (time, key) order.

use std::collections::HashMap;
use std::path::PathBuf;

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::Ctx;
use crate::load::error::{arrow_err, LoadError};
use crate::load::merge::PartitionKeys;
use crate::load::parquet_io::{is_sorted_run, sort_batches, SortSpec, StagedParquet};
use crate::load::partition::event_partition_name;
use crate::load::WriteSummary;

/// Raw Arrow bytes a partition may buffer before its rows are sorted and written as a
/// row group. Sorting an out-of-order buffer needs the buffer plus a sorted copy, so
/// this bounds memory per open partition at about twice this (once, for rows already
/// in order), whatever `row_group_rows` says: wide rows (a request-log row is ~550
/// bytes) then give row groups of ~45k rows, the order of DuckDB's own default
/// (122,880), instead of 1M-row buffers of half a gigabyte. 24 rather than 32 MB kept
/// a 1M-row first run under 200 MB peak RSS in `usagelake bench`.
const PARTITION_BUFFER_BYTES: usize = 24 << 20;

pub(super) struct EventState {
    pub(super) sort: SortSpec,
    pub(super) tz: Tz,
    /// Least recently used first.
    pub(super) open: Vec<OpenPartition>,
    pub(super) keys: HashMap<NaiveDate, PartitionKeys>,
}

pub(super) struct OpenPartition {
    date: NaiveDate,
    buffer: Vec<RecordBatch>,
    buffered_rows: usize,
    buffered_bytes: usize,
    file: Option<StagedParquet>,
}

impl EventState {
    pub(super) fn write_partition(
        &mut self,
        ctx: &mut Ctx,
        staged: &mut Vec<(PathBuf, String)>,
        summary: &mut WriteSummary,
        date: NaiveDate,
        part: &RecordBatch,
    ) -> Result<(), LoadError> {
        let name = event_partition_name(date);
        // Touch the partition in the LRU before filtering so that its key cache, even
        // when every row turns out to be present, is dropped on eviction.
        let slot = match self.open.iter().position(|p| p.date == date) {
            Some(i) => {
                let p = self.open.remove(i);
                self.open.push(p);
                self.open.len() - 1
            }
            None => {
                while self.open.len() >= ctx.options.max_open_partitions {
                    self.close_lru(ctx, staged)?;
                }
                self.open.push(OpenPartition {
                    date,
                    buffer: Vec::new(),
                    buffered_rows: 0,
                    buffered_bytes: 0,
                    file: None,
                });
                self.open.len() - 1
            }
        };
        let keys = match self.keys.entry(date) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(PartitionKeys::load(
                &ctx.dataset_dir.join(&name),
                &self.sort.key_column,
            )?),
        };
        let filtered = keys.filter_new(&ctx.dataset, &name, &self.sort.key_column, part)?;
        summary.rows_already_present += filtered.already_present;
        let Some(rows) = filtered.new_rows else {
            return Ok(());
        };
        summary.rows_written += rows.num_rows() as u64;
        *summary.partitions.entry(name).or_default() += rows.num_rows() as u64;
        let open = &mut self.open[slot];
        open.buffered_rows += rows.num_rows();
        open.buffered_bytes += rows.get_array_memory_size();
        open.buffer.push(rows);
        if open.buffered_bytes >= PARTITION_BUFFER_BYTES {
            open.write_row_groups(ctx, &self.sort, true)?;
        } else if open.buffered_rows >= ctx.options.row_group_rows {
            open.write_row_groups(ctx, &self.sort, false)?;
        }
        Ok(())
    }

    /// Closes the least recently used partition: writes what it buffered, finishes its
    /// staged file, and lets the merge cache forget its keys.
    pub(super) fn close_lru(
        &mut self,
        ctx: &mut Ctx,
        staged: &mut Vec<(PathBuf, String)>,
    ) -> Result<(), LoadError> {
        let mut p = self.open.remove(0);
        p.write_row_groups(ctx, &self.sort, true)?;
        let finished = match p.file.take() {
            Some(file) => Some(file.finish()?.0),
            None => None,
        };
        if let Some(keys) = self.keys.get_mut(&p.date) {
            keys.close_staged(finished.as_deref());
        }
        if let Some(path) = finished {
            staged.push((path, event_partition_name(p.date)));
        }
        Ok(())
    }
}

impl OpenPartition {
    /// Writes full row groups from the buffer; with `all`, the remainder too. A buffer
    /// already in (time, key) order (the usual case for an append log) is written as
    /// it is; only an out-of-order buffer is gathered in order (one copy).
    fn write_row_groups(
        &mut self,
        ctx: &mut Ctx,
        sort: &SortSpec,
        all: bool,
    ) -> Result<(), LoadError> {
        if self.buffered_rows == 0 {
            return Ok(());
        }
        let rg = ctx.options.row_group_rows;
        let rows = if is_sorted_run(&self.buffer, sort) {
            std::mem::take(&mut self.buffer)
        } else {
            let sorted = sort_batches(&ctx.dataset, &ctx.schema, &self.buffer, sort)?;
            self.buffer.clear();
            vec![sorted]
        };
        let total = self.buffered_rows;
        let writable = if all { total } else { total / rg * rg };
        let mut written = 0;
        let mut in_group = 0;
        let mut rest = Vec::new();
        for batch in rows {
            let mut offset = 0;
            while offset < batch.num_rows() {
                if written == writable {
                    rest.push(batch.slice(offset, batch.num_rows() - offset));
                    break;
                }
                let len = (batch.num_rows() - offset)
                    .min(rg - in_group)
                    .min(writable - written);
                let file = match &mut self.file {
                    Some(f) => f,
                    None => self.file.insert(ctx.create_staged()?),
                };
                file.write_batch(&batch.slice(offset, len))?;
                (offset, written, in_group) = (offset + len, written + len, in_group + len);
                if in_group == rg {
                    file.end_row_group()?;
                    in_group = 0;
                }
            }
        }
        if in_group > 0 {
            if let Some(file) = &mut self.file {
                file.end_row_group()?;
            }
        }
        self.buffered_rows = total - written;
        self.buffered_bytes = 0;
        if !rest.is_empty() {
            // Copy the remainder so the big batches it was sliced from can be freed now.
            let rest = arrow_select::concat::concat_batches(&ctx.schema, &rest)
                .map_err(arrow_err(&ctx.dataset))?;
            self.buffered_bytes = rest.get_array_memory_size();
            self.buffer.push(rest);
        }
        Ok(())
    }
}
