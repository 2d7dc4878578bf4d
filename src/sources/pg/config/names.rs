//! Names in the section: relations as PostgreSQL spells them, dataset folder names.

use super::*;

/// `schema.table` or `table` (schema `public`); `"Mixed Case"."Name"` keeps its quotes'
/// contents exactly, unquoted names are folded to lower case as PostgreSQL does.
pub fn split_relation(text: &str) -> Option<(String, String)> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (part, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '"' {
                    if quoted[i + 1..].starts_with('"') {
                        name.push('"');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    name.push(c);
                }
            }
            (name, &quoted[end?..])
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let name = rest[..end].trim();
            let is_plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
            if !is_plain {
                return None;
            }
            (name.to_lowercase(), &rest[end..])
        };
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        rest = match after.strip_prefix('.') {
            Some(next) if !next.is_empty() => next,
            Some(_) => return None,
            None if after.is_empty() => after,
            None => return None,
        };
    }
    match parts.as_slice() {
        [table] => Some((crate::postgres::DEFAULT_SCHEMA.to_owned(), table.clone())),
        [schema, table] => Some((schema.clone(), table.clone())),
        _ => None,
    }
}

pub(super) fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub(super) fn dataset_name(p: &mut Problems, t: &Table, name: &str) -> Option<String> {
    let reserved = [AUTH_EVENTS, AUTH_REJECTED, SESSIONS];
    let span = t.span("dataset");
    if !is_folder_name(name) {
        let hint = Some("it becomes a folder name; use only a-z, 0-9, _ and -".to_owned());
        p.report(
            span.as_ref(),
            t.key("dataset"),
            format!("invalid dataset name \"{name}\""),
            hint,
        );
        return None;
    }
    if reserved.contains(&name) {
        let message = format!("\"{name}\" is a dataset the source derives itself");
        p.report(span.as_ref(), t.key("dataset"), message, None);
        return None;
    }
    Some(name.to_owned())
}
