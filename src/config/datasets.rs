//! The `datasets = [...]` key every source kind shares: each name known, none twice,
//! the list not empty (leave the key out to archive everything).

use super::parse::{Problems, Table};
use super::suggest::did_you_mean;

/// A source kind's own reason to refuse a known dataset: (message, hint).
pub type Refusal = Option<(String, Option<String>)>;

pub fn dataset_list(
    p: &mut Problems,
    t: &Table,
    known: &[&str],
    refuse: impl Fn(&str) -> Refusal,
) -> Option<Vec<String>> {
    let listed = t.string_list(p, "datasets")?;
    // Judge emptiness on the raw array: `string_list` drops (and reports) non-strings.
    let is_empty_array = t
        .value("datasets")
        .and_then(|value| value.get_ref().as_array())
        .is_some_and(|items| items.is_empty());
    if is_empty_array {
        let span = t.span("datasets");
        let hint = Some("remove `datasets` to archive every dataset".to_owned());
        p.report(
            span.as_ref(),
            t.key("datasets"),
            "must list at least one dataset",
            hint,
        );
        return None;
    }
    let mut chosen: Vec<String> = Vec::with_capacity(listed.len());
    for (i, (dataset, span)) in listed.into_iter().enumerate() {
        let key = format!("{}[{i}]", t.key("datasets"));
        let (message, hint) = if !known.contains(&dataset) {
            let names = format!("known datasets: {}", known.join(", "));
            let hint = match did_you_mean(dataset, known) {
                Some(guess) => format!("{guess} {names}"),
                None => names,
            };
            (format!("unknown dataset \"{dataset}\""), Some(hint))
        } else if let Some(refusal) = refuse(dataset) {
            refusal
        } else if chosen.iter().any(|seen| seen == dataset) {
            (format!("dataset \"{dataset}\" is listed twice"), None)
        } else {
            chosen.push(dataset.to_owned());
            continue;
        };
        p.report(Some(&span), key, message, hint);
    }
    Some(chosen)
}
