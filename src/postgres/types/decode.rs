//! One binary-COPY field → one Arrow column, appended in place.
//!
//! A [`ColumnDecoder`] is chosen once per column from (spec type, server type), so the
//! per-value work is one enum match, a length check and a copy into a `Vec`: no per-row
//! allocation. Strings share one values buffer per column, validated as UTF-8 once per
//! batch in [`ColumnDecoder::finish`].

use std::sync::Arc;

use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{ArrayRef, BooleanArray, ListArray};
use arrow_buffer::{BooleanBufferBuilder, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};

use super::array::{push_array, ListChild};
use super::column::{Prim, TextColumn};
use super::{PgType, UTC};

/// Seconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_UNIX_US: i64 = 946_684_800_000_000;
const PG_EPOCH_UNIX_DAYS: i32 = 10_957;

/// Why one value could not be decoded; the caller adds table, column and row.
#[derive(Debug)]
pub(crate) struct DecodeFault {
    pub message: String,
    /// Row within the batch, when the fault is found at batch end (UTF-8 validation).
    pub batch_row: Option<usize>,
}

impl DecodeFault {
    pub(super) fn new(message: impl Into<String>) -> Self {
        DecodeFault {
            message: message.into(),
            batch_row: None,
        }
    }
}

pub(super) type Decoded = Result<(), DecodeFault>;

/// Appends decoded values of one column; `finish` hands the batch's array over.
pub(crate) enum ColumnDecoder {
    Int16(Prim<i16>),
    /// `wire`: the server type (narrower ints widen on the client, see `PgType::accepts`).
    Int32 {
        wire: PgType,
        col: Prim<i32>,
    },
    Int64 {
        wire: PgType,
        col: Prim<i64>,
    },
    Float32(Prim<f32>),
    Float64(Prim<f64>),
    Bool {
        values: BooleanBufferBuilder,
        nulls: NullBufferBuilder,
    },
    Timestamp(Prim<i64>),
    Date(Prim<i32>),
    Text {
        wire: TextWire,
        col: TextColumn,
    },
    List {
        offsets: Vec<i32>,
        nulls: NullBufferBuilder,
        child: ListChild,
        capacity: usize,
    },
}

#[derive(Clone, Copy)]
pub(crate) enum TextWire {
    /// text, varchar, bpchar, name, json: the bytes are the text.
    Plain,
    /// jsonb: a version byte (1) then the text.
    Jsonb,
    Uuid,
    Numeric,
}

impl ColumnDecoder {
    /// `expected` fixes the Arrow type, `actual` the wire format; callers have checked
    /// `expected.accepts(actual)`.
    pub(crate) fn new(expected: PgType, actual: PgType, capacity: usize) -> ColumnDecoder {
        use PgType::*;
        match expected {
            Int2 => ColumnDecoder::Int16(Prim::new(capacity)),
            Int4 => ColumnDecoder::Int32 {
                wire: actual,
                col: Prim::new(capacity),
            },
            Int8 => ColumnDecoder::Int64 {
                wire: actual,
                col: Prim::new(capacity),
            },
            Float4 => ColumnDecoder::Float32(Prim::new(capacity)),
            Float8 => ColumnDecoder::Float64(Prim::new(capacity)),
            Bool => ColumnDecoder::Bool {
                values: BooleanBufferBuilder::new(capacity),
                nulls: NullBufferBuilder::new(capacity),
            },
            Timestamp | TimestampTz => ColumnDecoder::Timestamp(Prim::new(capacity)),
            Date => ColumnDecoder::Date(Prim::new(capacity)),
            Text | Uuid | Numeric | Json | Jsonb => {
                let wire = match actual {
                    Jsonb => TextWire::Jsonb,
                    Uuid => TextWire::Uuid,
                    Numeric => TextWire::Numeric,
                    _ => TextWire::Plain,
                };
                ColumnDecoder::Text {
                    wire,
                    col: TextColumn::new(capacity),
                }
            }
            TextArray | Int4Array | Int8Array => {
                let child = match expected {
                    TextArray => ListChild::Text(TextColumn::new(capacity)),
                    Int4Array => ListChild::Int32(Prim::new(capacity)),
                    _ => ListChild::Int64(Prim::new(capacity)),
                };
                let mut offsets = Vec::with_capacity(capacity + 1);
                offsets.push(0);
                ColumnDecoder::List {
                    offsets,
                    nulls: NullBufferBuilder::new(capacity),
                    child,
                    capacity,
                }
            }
        }
    }

    #[inline]
    pub(crate) fn push_null(&mut self) {
        match self {
            ColumnDecoder::Int16(c) => c.push_null(),
            ColumnDecoder::Int32 { col, .. } => col.push_null(),
            ColumnDecoder::Int64 { col, .. } => col.push_null(),
            ColumnDecoder::Float32(c) => c.push_null(),
            ColumnDecoder::Float64(c) => c.push_null(),
            ColumnDecoder::Bool { values, nulls } => {
                values.append(false);
                nulls.append_null();
            }
            ColumnDecoder::Timestamp(c) => c.push_null(),
            ColumnDecoder::Date(c) => c.push_null(),
            ColumnDecoder::Text { col, .. } => col.push_null(),
            ColumnDecoder::List { offsets, nulls, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                nulls.append_null();
            }
        }
    }

    #[inline]
    pub(crate) fn push_value(&mut self, b: &[u8]) -> Decoded {
        match self {
            ColumnDecoder::Int16(c) => c.push(i16::from_be_bytes(fixed(b)?)),
            ColumnDecoder::Int32 { wire, col } => col.push(match wire {
                PgType::Int2 => i16::from_be_bytes(fixed(b)?) as i32,
                _ => i32::from_be_bytes(fixed(b)?),
            }),
            ColumnDecoder::Int64 { wire, col } => col.push(match wire {
                PgType::Int2 => i16::from_be_bytes(fixed(b)?) as i64,
                PgType::Int4 => i32::from_be_bytes(fixed(b)?) as i64,
                _ => i64::from_be_bytes(fixed(b)?),
            }),
            ColumnDecoder::Float32(c) => c.push(f32::from_be_bytes(fixed(b)?)),
            ColumnDecoder::Float64(c) => c.push(f64::from_be_bytes(fixed(b)?)),
            ColumnDecoder::Bool { values, nulls } => {
                let [v] = fixed(b)?;
                values.append(v != 0);
                nulls.append_non_null();
            }
            ColumnDecoder::Timestamp(c) => {
                c.push(timestamp_unix_us(i64::from_be_bytes(fixed(b)?))?)
            }
            ColumnDecoder::Date(c) => c.push(date_unix_days(i32::from_be_bytes(fixed(b)?))?),
            ColumnDecoder::Text { wire, col } => col.push_text(*wire, b)?,
            ColumnDecoder::List {
                offsets,
                nulls,
                child,
                ..
            } => {
                push_array(child, b)?;
                offsets.push(offset_i32(child.len())?);
                nulls.append_non_null();
            }
        }
        Ok(())
    }

    /// The array of the rows pushed since the last call; the decoder is ready for more.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, DecodeFault> {
        Ok(match self {
            ColumnDecoder::Int16(c) => Arc::new(c.take::<Int16Type>()),
            ColumnDecoder::Int32 { col, .. } => Arc::new(col.take::<Int32Type>()),
            ColumnDecoder::Int64 { col, .. } => Arc::new(col.take::<Int64Type>()),
            ColumnDecoder::Float32(c) => Arc::new(c.take::<Float32Type>()),
            ColumnDecoder::Float64(c) => Arc::new(c.take::<Float64Type>()),
            ColumnDecoder::Bool { values, nulls } => {
                Arc::new(BooleanArray::new(values.finish(), nulls.finish()))
            }
            ColumnDecoder::Timestamp(c) => {
                Arc::new(c.take::<TimestampMicrosecondType>().with_timezone(UTC))
            }
            ColumnDecoder::Date(c) => Arc::new(c.take::<Date32Type>()),
            ColumnDecoder::Text { col, .. } => Arc::new(col.take()?),
            ColumnDecoder::List {
                offsets,
                nulls,
                child,
                capacity,
            } => {
                let mut next = Vec::with_capacity(*capacity + 1);
                next.push(0);
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, next)));
                let nulls = nulls.finish();
                let (item, values): (DataType, ArrayRef) = match child {
                    ListChild::Text(c) => {
                        let strings = c.take().map_err(|f| DecodeFault {
                            // A bad element's row is the list row that holds it.
                            batch_row: f
                                .batch_row
                                .map(|e| offsets.partition_point(|&o| o as usize <= e) - 1),
                            message: f.message,
                        })?;
                        (DataType::Utf8, Arc::new(strings))
                    }
                    ListChild::Int32(c) => (DataType::Int32, Arc::new(c.take::<Int32Type>())),
                    ListChild::Int64(c) => (DataType::Int64, Arc::new(c.take::<Int64Type>())),
                };
                let field = Arc::new(Field::new_list_field(item, true));
                let list = ListArray::try_new(field, offsets, values, nulls)
                    .map_err(|e| DecodeFault::new(e.to_string()))?;
                Arc::new(list)
            }
        })
    }
}

/// A fixed-width value: the length must match exactly (a server type we did not expect
/// would otherwise be silently misread).
#[inline]
pub(super) fn fixed<const N: usize>(b: &[u8]) -> Result<[u8; N], DecodeFault> {
    b.try_into()
        .map_err(|_| DecodeFault::new(format!("expected {N} bytes, got {}", b.len())))
}

#[inline]
pub(super) fn offset_i32(len: usize) -> Result<i32, DecodeFault> {
    i32::try_from(len).map_err(|_| {
        DecodeFault::new("more than 2 GiB of text in one batch; lower batch_rows for this source")
    })
}

/// Binary timestamps are µs since 2000-01-01; ±infinity are i64::MAX/MIN. They have no
/// Arrow value, and turning them into NULL would lose data, so they fail loudly.
#[inline]
fn timestamp_unix_us(pg_us: i64) -> Result<i64, DecodeFault> {
    if pg_us == i64::MAX || pg_us == i64::MIN {
        return Err(DecodeFault::new(
            "timestamp is ±infinity, which Arrow cannot represent",
        ));
    }
    pg_us.checked_add(PG_EPOCH_UNIX_US).ok_or_else(|| {
        DecodeFault::new(format!(
            "timestamp {pg_us} µs after 2000-01-01 is out of range"
        ))
    })
}

#[inline]
fn date_unix_days(pg_days: i32) -> Result<i32, DecodeFault> {
    if pg_days == i32::MAX || pg_days == i32::MIN {
        return Err(DecodeFault::new(
            "date is ±infinity, which Arrow cannot represent",
        ));
    }
    pg_days.checked_add(PG_EPOCH_UNIX_DAYS).ok_or_else(|| {
        DecodeFault::new(format!(
            "date {pg_days} days after 2000-01-01 is out of range"
        ))
    })
}
