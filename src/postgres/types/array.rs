//! Binary one-dimensional arrays (`array_send`) → the child column of an Arrow list.

use super::column::{Prim, TextColumn};
use super::decode::{fixed, DecodeFault, Decoded, TextWire};
use super::oid;

/// The values column under a list column.
pub(crate) enum ListChild {
    Text(TextColumn),
    Int32(Prim<i32>),
    Int64(Prim<i64>),
}

/// One-dimensional binary array: ndim, has-null flag, element oid, (size, lower bound)
/// per dimension, then (i32 length or -1, bytes) per element (`array_send`).
pub(super) fn push_array(child: &mut ListChild, b: &[u8]) -> Decoded {
    let mut r = Reader(b);
    let ndim = r.i32()?;
    let _has_null = r.i32()?;
    let elem = r.i32()? as u32;
    let elem_ok = match child {
        ListChild::Text(_) => matches!(elem, oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME),
        ListChild::Int32(_) => elem == oid::INT4,
        ListChild::Int64(_) => elem == oid::INT8,
    };
    if !elem_ok {
        return Err(DecodeFault::new(format!(
            "array element type oid {elem} does not match the column type"
        )));
    }
    let count = match ndim {
        0 => 0, // '{}'
        1 => {
            let n = r.i32()?;
            let _lower_bound = r.i32()?;
            usize::try_from(n).map_err(|_| DecodeFault::new(format!("array has {n} elements")))?
        }
        n => {
            return Err(DecodeFault::new(format!(
                "{n}-dimensional arrays are not supported, only 1-D"
            )))
        }
    };
    for _ in 0..count {
        let len = r.i32()?;
        if len == -1 {
            match child {
                ListChild::Text(c) => c.push_null(),
                ListChild::Int32(c) => c.push_null(),
                ListChild::Int64(c) => c.push_null(),
            }
            continue;
        }
        let v = r.take(len)?;
        match child {
            ListChild::Text(c) => c.push_text(TextWire::Plain, v)?,
            ListChild::Int32(c) => c.push(i32::from_be_bytes(fixed(v)?)),
            ListChild::Int64(c) => c.push(i64::from_be_bytes(fixed(v)?)),
        }
    }
    if !r.0.is_empty() {
        return Err(DecodeFault::new(format!(
            "{} trailing bytes after the array elements",
            r.0.len()
        )));
    }
    Ok(())
}

impl ListChild {
    pub(super) fn len(&self) -> usize {
        match self {
            ListChild::Text(c) => c.len(),
            ListChild::Int32(c) => c.len(),
            ListChild::Int64(c) => c.len(),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: i32) -> Result<&'a [u8], DecodeFault> {
        let len =
            usize::try_from(len).map_err(|_| DecodeFault::new(format!("negative length {len}")))?;
        if self.0.len() < len {
            return Err(DecodeFault::new("array value is truncated"));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn i32(&mut self) -> Result<i32, DecodeFault> {
        Ok(i32::from_be_bytes(fixed(self.take(4)?)?))
    }
}
