//! Hints for near misses: "did you mean", and where a misplaced key belongs.

/// The keys of each part of a pipeline file, for saying where a misplaced key belongs.
#[derive(Debug, Clone, Default)]
pub struct KeyHomes {
    pub root: &'static [&'static str],
    pub output: &'static [&'static str],
    /// The keys of every source kind.
    pub sources: Vec<&'static str>,
}

/// For a key that is valid somewhere else: where it belongs (a common slip is a
/// top-level key written below `[output]`, which TOML then puts inside `[output]`).
pub fn misplaced(name: &str, path: &str, homes: &KeyHomes) -> Option<String> {
    let home = if homes.root.contains(&name) && !path.is_empty() {
        "the top level, above the first [table] header"
    } else if homes.output.contains(&name) && path != "output" {
        "[output]"
    } else if homes.sources.contains(&name) && !path.starts_with("sources[") {
        "a [[sources]] table"
    } else {
        return None;
    };
    Some(format!("`{name}` belongs in {home}"))
}

/// "did you mean" for near misses: an edit distance of at most 2, and less than the
/// word's length so that short keys do not match everything.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2 && *distance < word.chars().count())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

pub fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Levenshtein distance over chars, with adjacent transpositions counted as one edit
/// (the most common typo: `hsot`): strsim's optimal string alignment distance.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_typos() {
        assert_eq!(edit_distance("host", "host"), 0);
        assert_eq!(edit_distance("hsot", "host"), 1);
        assert_eq!(edit_distance("prot", "port"), 1);
        assert_eq!(edit_distance("batchrows", "batch_rows"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn did_you_mean_picks_the_closest_near_miss_only() {
        let keys = ["host", "port", "user"];
        assert_eq!(
            did_you_mean("hots", &keys).as_deref(),
            Some("did you mean `host`?")
        );
        assert_eq!(did_you_mean("database_name", &keys), None);
        assert_eq!(did_you_mean("x", &keys), None);
    }
}
