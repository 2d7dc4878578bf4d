//! Hints for near misses: "did you mean", and where a misplaced key belongs.

/// For a key that is valid somewhere else: where it belongs (a common slip is a
/// top-level key written below `[output]`, which TOML then puts inside `[output]`).
pub fn misplaced(name: &str, path: &str) -> Option<String> {
    use super::document::{OUTPUT_KEYS, ROOT_KEYS};
    use crate::sources::KINDS as SOURCE_KINDS;
    let home = if ROOT_KEYS.contains(&name) && !path.is_empty() {
        "the top level, above the first [table] header"
    } else if OUTPUT_KEYS.contains(&name) && path != "output" {
        "[output]"
    } else if SOURCE_KINDS.iter().any(|kind| kind.keys.contains(&name))
        && !path.starts_with("sources[")
    {
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
/// (the most common typo: `hsot`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
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
