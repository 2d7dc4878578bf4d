//! Walking the spanned TOML tree: typed reads that record a problem (with its line)
//! instead of stopping, so one pass reports everything wrong with a file.
//!
//! serde with `deny_unknown_fields` stops at the first error and has no line for a
//! missing key, so validation walks `toml::de::DeTable` by hand.

use std::ops::{Range, RangeInclusive};
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{ConfigErrors, ConfigProblem};
use super::suggest::{did_you_mean, misplaced, quoted_list};

/// Problems found so far in one file, plus what it takes to turn byte spans into lines.
pub struct Problems<'a> {
    file: &'a Path,
    /// Byte offset where each line starts; line N (1-based) starts at `line_starts[N-1]`.
    line_starts: Vec<usize>,
    list: Vec<ConfigProblem>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a Path, text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Problems {
            file,
            line_starts,
            list: Vec::new(),
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.line_starts
            .partition_point(|&start| start <= span.start)
    }

    /// `span: None` means the problem has no place in the file (line 0).
    pub fn report(
        &mut self,
        span: Option<&Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        self.list.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line: span.map_or(0, |span| self.line(span)),
            key: key.into(),
            message: message.into(),
            hint,
        });
    }

    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.line(span)
    }

    /// Problems come out in file order regardless of the order the walk found them
    /// (the parsed tables are sorted by key, not by position).
    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(self.into_errors())
        }
    }

    pub fn into_errors(mut self) -> ConfigErrors {
        // Stable sort: problems on one line keep the order the walk found them.
        self.list.sort_by_key(|problem| problem.line);
        ConfigErrors {
            problems: self.list,
        }
    }
}

/// One TOML table under validation, with its dotted path and header span.
pub struct Table<'t, 'i> {
    entries: &'t DeTable<'i>,
    /// The `[output]` / `[[sources]]` header: where a missing key is reported.
    /// None for the document root, which has no header.
    header: Option<Range<usize>>,
    /// Dotted prefix for keys: "" (root), "output", "sources[0]".
    path: String,
}

impl<'t, 'i> Table<'t, 'i> {
    pub fn new(entries: &'t DeTable<'i>, header: Option<Range<usize>>, path: String) -> Self {
        Table {
            entries,
            header,
            path,
        }
    }

    /// The dotted key users see in messages.
    pub fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn header(&self) -> Option<&Range<usize>> {
        self.header.as_ref()
    }

    pub fn value(&self, name: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.entries.get(name)
    }

    pub fn span(&self, name: &str) -> Option<Range<usize>> {
        self.value(name).map(Spanned::span)
    }

    fn wrong_type(&self, p: &mut Problems, name: &str, expected: &str) {
        if let Some(value) = self.value(name) {
            let found = value.get_ref().type_str();
            p.report(
                Some(&value.span()),
                self.key(name),
                format!("expected {expected}, found {found}"),
                None,
            );
        }
    }

    pub fn missing(&self, p: &mut Problems, name: &str, hint: Option<String>) {
        p.report(
            self.header(),
            self.key(name),
            format!("missing required key `{name}`"),
            hint,
        );
    }

    /// A non-empty string; None when absent or invalid (already reported).
    pub fn string(&self, p: &mut Problems, name: &str) -> Option<&'t str> {
        let value = self.value(name)?;
        match value.get_ref() {
            DeValue::String(s) if s.is_empty() => {
                p.report(
                    Some(&value.span()),
                    self.key(name),
                    "must not be empty",
                    None,
                );
                None
            }
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.wrong_type(p, name, "a string");
                None
            }
        }
    }

    pub fn required_string(&self, p: &mut Problems, name: &str) -> Option<&'t str> {
        if self.value(name).is_none() {
            self.missing(p, name, None);
        }
        self.string(p, name)
    }

    pub fn integer(
        &self,
        p: &mut Problems,
        name: &str,
        allowed: RangeInclusive<i64>,
    ) -> Option<i64> {
        let value = self.value(name)?;
        let DeValue::Integer(int) = value.get_ref() else {
            self.wrong_type(p, name, "an integer");
            return None;
        };
        let parsed = i64::from_str_radix(int.as_str(), int.radix()).ok();
        match parsed {
            Some(n) if allowed.contains(&n) => Some(n),
            _ => {
                let shown = parsed.map_or_else(|| int.to_string(), |n| n.to_string());
                let message = match (*allowed.start(), *allowed.end()) {
                    (lo, i64::MAX) => format!("must be at least {lo}, got {shown}"),
                    (lo, hi) => format!("must be between {lo} and {hi}, got {shown}"),
                };
                p.report(Some(&value.span()), self.key(name), message, None);
                None
            }
        }
    }

    pub fn boolean(&self, p: &mut Problems, name: &str) -> Option<bool> {
        match self.value(name)?.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(p, name, "true or false");
                None
            }
        }
    }

    /// One of a fixed set of strings.
    pub fn choice<T: Copy>(
        &self,
        p: &mut Problems,
        name: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let value = self.value(name)?;
        let DeValue::String(s) = value.get_ref() else {
            self.wrong_type(p, name, "a string");
            return None;
        };
        if let Some((_, chosen)) = options.iter().find(|(option, _)| option == s) {
            return Some(*chosen);
        }
        let names: Vec<&str> = options.iter().map(|(option, _)| *option).collect();
        let hint =
            did_you_mean(s, &names).or_else(|| Some(format!("one of: {}", quoted_list(&names))));
        p.report(
            Some(&value.span()),
            self.key(name),
            format!("unknown value \"{s}\""),
            hint,
        );
        None
    }

    /// The strings of an array, each with its own span (so a bad element gets its own
    /// line). Non-string elements are reported and left out, so the caller still checks
    /// the rest.
    pub fn string_list(
        &self,
        p: &mut Problems,
        name: &str,
    ) -> Option<Vec<(&'t str, Range<usize>)>> {
        let value = self.value(name)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(p, name, "an array of strings");
            return None;
        };
        let mut strings = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => strings.push((s.as_ref(), item.span())),
                other => p.report(
                    Some(&item.span()),
                    format!("{}[{i}]", self.key(name)),
                    format!("expected a string, found {}", other.type_str()),
                    None,
                ),
            }
        }
        Some(strings)
    }

    /// A sub-table such as `[output]`.
    pub fn table(&self, p: &mut Problems, name: &str) -> Option<Table<'t, 'i>> {
        let value = self.value(name)?;
        match value.get_ref() {
            DeValue::Table(entries) => {
                Some(Table::new(entries, Some(value.span()), self.key(name)))
            }
            _ => {
                self.wrong_type(p, name, "a table");
                None
            }
        }
    }

    /// A key that is deliberately not accepted, with its own explanation.
    pub fn forbid(&self, p: &mut Problems, name: &str, message: &str, hint: Option<&str>) {
        if let Some(span) = self.key_span(name) {
            p.report(Some(&span), self.key(name), message, hint.map(Into::into));
        }
    }

    fn key_span(&self, name: &str) -> Option<Range<usize>> {
        self.entries.get_key_value(name).map(|(key, _)| key.span())
    }

    /// Reports every key that is neither in `known` nor in `handled` (keys another check
    /// already explained, such as a forbidden `password`).
    pub fn reject_unknown(&self, p: &mut Problems, known: &[&str], handled: &[&str]) {
        for (key, _) in self.entries.iter() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) || handled.contains(&name) {
                continue;
            }
            let hint = did_you_mean(name, known).or_else(|| misplaced(name, &self.path));
            p.report(
                Some(&key.span()),
                self.key(name),
                format!("unknown key `{name}`"),
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based_by_byte_offset() {
        let p = Problems::new(Path::new("x.toml"), "a = 1\nb = 2\n\nc = 3");
        assert_eq!(p.line(&(0..1)), 1);
        assert_eq!(p.line(&(6..7)), 2);
        assert_eq!(p.line(&(13..14)), 4);
    }
}
