//! Machine and user names as dense `u32` ids, read from plain or dictionary-encoded text.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use rustc_hash::FxHashMap;

use crate::transform::TransformError;

/// Strings to dense ids and back. FxHash: machine and user names are short, read from our
/// own lake, and SipHash's DoS resistance would cost ~3x here.
#[derive(Default)]
pub(super) struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub(super) fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct names");
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    pub(super) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// Every name, in id order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// Interns every name of `other`; element `i` of the result is the id here of
    /// `other`'s id `i` (merging the interners of two readers).
    pub(super) fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        other.names.iter().map(|name| self.id(name)).collect()
    }
}

/// `f` of each row's text (`None` for NULL), as a vector with one value per row.
///
/// A dictionary-encoded column (how the lake stores repetitive text, read as an Arrow
/// dictionary) calls `f` once per distinct value and then only copies results by key:
/// interning 10M machine names costs as many hash lookups as there are machines per batch.
pub(super) fn per_row<T: Copy>(
    column: &ArrayRef,
    name: &str,
    mut f: impl FnMut(Option<&str>) -> T,
) -> Result<Vec<T>, TransformError> {
    let wrong = || TransformError::ColumnType {
        dataset: "auth_events".into(),
        column: name.into(),
        found: column.data_type().to_string(),
        expected: "Utf8 or a dictionary of Utf8",
    };
    if let Some(dictionary) = column.as_any_dictionary_opt() {
        let values = dictionary.values();
        let values = values.as_string_opt::<i32>().ok_or_else(wrong)?;
        let by_key: Vec<T> = (0..values.len())
            .map(|i| f(values.is_valid(i).then(|| values.value(i))))
            .collect();
        let null = f(None);
        let nulls = column.logical_nulls();
        return Ok(dictionary
            .normalized_keys()
            .into_iter()
            .enumerate()
            .map(|(row, key)| match &nulls {
                Some(n) if n.is_null(row) => null,
                _ => by_key[key],
            })
            .collect());
    }
    let text = column.as_string_opt::<i32>().ok_or_else(wrong)?;
    Ok((0..text.len())
        .map(|row| f(text.is_valid(row).then(|| text.value(row))))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::types::Int32Type;
    use arrow_array::{DictionaryArray, StringArray};

    use super::*;

    #[test]
    fn plain_and_dictionary_text_give_the_same_ids_and_nulls() {
        let rows = [Some("ws2"), None, Some("ws1"), Some("ws2")];
        let plain: ArrayRef = Arc::new(StringArray::from(rows.to_vec()));
        let dictionary: ArrayRef =
            Arc::new(rows.iter().copied().collect::<DictionaryArray<Int32Type>>());
        let mut names = Interner::default();
        let a = per_row(&plain, "machine", |v| v.map_or(u32::MAX, |s| names.id(s))).unwrap();
        let b = per_row(&dictionary, "machine", |v| {
            v.map_or(u32::MAX, |s| names.id(s))
        })
        .unwrap();
        assert_eq!(a, vec![0, u32::MAX, 1, 0]);
        assert_eq!(a, b);
        let wrong: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![1]));
        assert!(per_row(&wrong, "machine", |_| 0).is_err());
    }

    #[test]
    fn absorbing_maps_every_id_of_the_other_interner() {
        let (mut a, mut b) = (Interner::default(), Interner::default());
        a.id("ann");
        b.id("bob");
        b.id("ann");
        let map = a.absorb(&b);
        assert_eq!(map, vec![1, 0]);
        assert_eq!(a.name(map[0]), "bob");
    }
}
