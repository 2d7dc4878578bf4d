//! The pipeline document: top-level keys, `[output]`, and `[[sources]]` dispatched by
//! `kind` to the module that owns that kind.

use std::path::Path;
use std::str::FromStr;

use toml::de::{DeTable, DeValue};

use super::Pipeline;
use super::{
    DEFAULT_COMPRESSION, DEFAULT_ROW_GROUP_ROWS, DEFAULT_TIME_ZONE, DEFAULT_ZSTD_LEVEL,
    MIN_ROW_GROUP_ROWS,
};
use crate::config::parse::{Problems, Table};
use crate::config::{did_you_mean, quoted_list, Compression, ConfigErrors, KeyHomes, Output};
use crate::sources::{SourceConfig, KINDS as SOURCE_KINDS};

const ROOT_KEYS: &[&str] = &["time_zone", "output", "sources"];
const OUTPUT_KEYS: &[&str] = &["root", "compression", "compression_level", "row_group_rows"];
/// Keys every `[[sources]]` table has, whatever its kind.
const COMMON_SOURCE_KEYS: &[&str] = &["name", "kind"];

/// Parses and validates a whole file, reporting every problem found.
pub(super) fn parse_document(text: &str, path: &Path) -> Result<Pipeline, ConfigErrors> {
    let source_keys = SOURCE_KINDS.iter().flat_map(|kind| kind.keys).copied();
    let homes = KeyHomes {
        root: ROOT_KEYS,
        output: OUTPUT_KEYS,
        sources: source_keys.collect(),
    };
    let mut p = Problems::new(path, text).with_key_homes(homes);
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => {
            // The message names the token kind, never the text, so it cannot echo a secret.
            p.report(
                error.span().as_ref(),
                "",
                format!("invalid TOML: {}", error.message()),
                None,
            );
            return Err(p.into_errors());
        }
    };
    let base_dir = path.parent().unwrap_or(Path::new(""));
    let root = Table::new(document.get_ref(), None, String::new());
    root.reject_unknown(&mut p, ROOT_KEYS, &[]);

    let time_zone = time_zone(&mut p, &root);
    let output = output(&mut p, &root, base_dir);
    let mut sources = sources(&mut p, &root, base_dir);
    p.finish()?;
    for source in &mut sources {
        if let SourceConfig::Events(events) = source {
            if !events.zone_is_explicit {
                events.time_zone = time_zone;
            }
        }
    }
    Ok(Pipeline {
        path: path.to_path_buf(),
        // output() returns None only after reporting a problem, and there were none.
        output: output.expect("output parsed when there are no problems"),
        time_zone,
        sources,
    })
}

fn time_zone(p: &mut Problems, root: &Table) -> chrono_tz::Tz {
    let Some(name) = root.string(p, "time_zone") else {
        return DEFAULT_TIME_ZONE;
    };
    if let Ok(zone) = chrono_tz::Tz::from_str(name) {
        return zone;
    }
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .collect();
    let hint = zones
        .iter()
        .find(|zone| zone.eq_ignore_ascii_case(name))
        .map(|zone| format!("did you mean `{zone}`? zone names are case-sensitive"))
        .or_else(|| did_you_mean(name, &zones))
        .unwrap_or_else(|| {
            "use an IANA zone name such as \"America/New_York\", \"Europe/Berlin\" or \"UTC\""
                .into()
        });
    let span = root.span("time_zone");
    p.report(
        span.as_ref(),
        "time_zone",
        format!("unknown time zone \"{name}\""),
        Some(hint),
    );
    DEFAULT_TIME_ZONE
}

fn output(p: &mut Problems, root: &Table, base_dir: &Path) -> Option<Output> {
    if root.value("output").is_none() {
        let hint = "add an [output] table with root = \"/path/to/lake\"".to_owned();
        p.report(
            None,
            "output",
            "missing required table [output]",
            Some(hint),
        );
        return None;
    }
    let t = root.table(p, "output")?;
    t.reject_unknown(p, OUTPUT_KEYS, &[]);
    let lake_root = t.required_string(p, "root").map(|root| base_dir.join(root));

    #[derive(Clone, Copy, PartialEq)]
    enum Codec {
        None,
        Snappy,
        Zstd,
    }
    let codec = match t.value("compression") {
        None => Some(match DEFAULT_COMPRESSION {
            Compression::Uncompressed => Codec::None,
            Compression::Snappy => Codec::Snappy,
            Compression::Zstd(_) => Codec::Zstd,
        }),
        Some(_) => t.choice(
            p,
            "compression",
            &[
                ("snappy", Codec::Snappy),
                ("zstd", Codec::Zstd),
                ("none", Codec::None),
            ],
        ),
    };
    let level = t.integer(p, "compression_level", 1..=22);
    // Only when the codec itself is valid: a typo'd codec is one problem, not two.
    if t.value("compression_level").is_some() && codec.is_some_and(|codec| codec != Codec::Zstd) {
        let span = t.span("compression_level");
        let hint = "set compression = \"zstd\" or remove compression_level".to_owned();
        p.report(
            span.as_ref(),
            t.key("compression_level"),
            "only applies to compression = \"zstd\"",
            Some(hint),
        );
    }
    let compression = match codec? {
        Codec::None => Compression::Uncompressed,
        Codec::Snappy => Compression::Snappy,
        Codec::Zstd => Compression::Zstd(level.map_or(DEFAULT_ZSTD_LEVEL, |level| level as i32)),
    };
    let row_group_rows = t
        .integer(p, "row_group_rows", MIN_ROW_GROUP_ROWS as i64..=i64::MAX)
        .map_or(DEFAULT_ROW_GROUP_ROWS, |rows| {
            usize::try_from(rows).unwrap_or(usize::MAX)
        });
    Some(Output {
        root: lake_root?,
        compression,
        row_group_rows,
    })
}

fn sources(p: &mut Problems, root: &Table, base_dir: &Path) -> Vec<SourceConfig> {
    let hint = || Some("add a [[sources]] table with name, kind and the kind's keys".to_owned());
    let Some(value) = root.value("sources") else {
        p.report(
            None,
            "sources",
            "no sources: the pipeline has nothing to extract",
            hint(),
        );
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        let found = value.get_ref().type_str();
        let message = format!("expected an array of tables ([[sources]]), found {found}");
        p.report(Some(&value.span()), "sources", message, None);
        return Vec::new();
    };
    if items.is_empty() {
        p.report(
            Some(&value.span()),
            "sources",
            "no sources: the pipeline has nothing to extract",
            hint(),
        );
    }
    let mut names_seen: Vec<(String, String, usize)> = Vec::new();
    let mut sources = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("sources[{i}]");
        let DeValue::Table(entries) = item.get_ref() else {
            let message = format!("expected a table, found {}", item.get_ref().type_str());
            p.report(Some(&item.span()), path, message, None);
            continue;
        };
        let t = Table::new(entries, Some(item.span()), path);
        if let Some(source) = source(p, &t, base_dir, &mut names_seen) {
            sources.push(source);
        }
    }
    sources
}

fn source(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    names_seen: &mut Vec<(String, String, usize)>,
) -> Option<SourceConfig> {
    let name = source_name(p, t, names_seen);
    let kind_names: Vec<&str> = SOURCE_KINDS.iter().map(|kind| kind.name).collect();
    let kind = match t.value("kind") {
        None => {
            t.missing(
                p,
                "kind",
                Some(format!("kind = one of: {}", quoted_list(&kind_names))),
            );
            None
        }
        Some(_) => t.string(p, "kind").and_then(|kind_name| {
            let kind = SOURCE_KINDS.iter().find(|kind| kind.name == kind_name);
            if kind.is_none() {
                let hint = did_you_mean(kind_name, &kind_names)
                    .unwrap_or_else(|| format!("supported kinds: {}", quoted_list(&kind_names)));
                let span = t.span("kind");
                p.report(
                    span.as_ref(),
                    t.key("kind"),
                    format!("unknown source kind \"{kind_name}\""),
                    Some(hint),
                );
            }
            kind
        }),
    };
    // Without a kind the valid keys are unknown, so its other keys go unchecked.
    let kind = kind?;
    let known: Vec<&str> = COMMON_SOURCE_KEYS
        .iter()
        .chain(kind.keys)
        .copied()
        .collect();
    let forbidden: Vec<&str> = kind
        .forbidden
        .iter()
        .map(|forbidden| forbidden.key)
        .collect();
    for forbidden in kind.forbidden {
        t.forbid(p, forbidden.key, forbidden.message, forbidden.hint);
    }
    t.reject_unknown(p, &known, &forbidden);
    (kind.parse)(p, t, name.unwrap_or_default(), base_dir)
}

/// `name` becomes a folder under the lake root, so it is restricted to characters that
/// are safe in paths on every OS and unique within the pipeline.
fn source_name(
    p: &mut Problems,
    t: &Table,
    names_seen: &mut Vec<(String, String, usize)>,
) -> Option<String> {
    let name = t.required_string(p, "name")?;
    let span = t.span("name").expect("name is present");
    let is_valid = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !is_valid {
        let suggestion: String = name
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let hint =
            format!("it becomes a folder name; use only a-z, 0-9, _ and -, e.g. \"{suggestion}\"");
        p.report(
            Some(&span),
            t.key("name"),
            format!("invalid source name \"{name}\""),
            Some(hint),
        );
        return None;
    }
    let line = p.line_of(&span);
    if let Some((_, first_path, first_line)) = names_seen.iter().find(|(seen, _, _)| seen == name) {
        let hint = format!(
            "{first_path} at line {first_line} already uses it; source names must be unique"
        );
        p.report(
            Some(&span),
            t.key("name"),
            format!("duplicate source name \"{name}\""),
            Some(hint),
        );
        return None;
    }
    names_seen.push((name.to_owned(), t.path().to_owned(), line));
    Some(name.to_owned())
}
