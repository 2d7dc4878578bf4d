//! The resolution report: how many view-like requests the content rules resolved, by rule,
//! and which `currentsheet` values they miss most, so an admin can see what to fix.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::content::ResolutionMethod;

/// Distinct unresolved values remembered; past this only known ones are still counted, so
/// a server with millions of one-off URLs cannot grow the report without bound.
const MAX_TRACKED_UNRESOLVED: usize = 100_000;
const TOP_UNRESOLVED: usize = 10;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ResolutionReport {
    /// Requests that claim to be about one piece of content (`is_view_like`).
    pub view_like_requests: u64,
    pub resolved: u64,
    /// `resolved / view_like_requests` (1.0 when there were none).
    pub resolved_share: f64,
    /// View-like requests by `resolution_method` (`unresolved` included).
    pub by_method: BTreeMap<String, u64>,
    /// Requests whose rule produced a key that matched no content, by rule.
    pub key_not_found: BTreeMap<String, u64>,
    /// Most frequent unresolved `currentsheet` values (or `uri:<path>` when it was empty).
    pub top_unresolved: Vec<UnresolvedValue>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnresolvedValue {
    pub value: String,
    pub requests: u64,
}

/// Accumulates the report over the partitions of a run.
#[derive(Debug, Default)]
pub struct ReportBuilder {
    view_like: u64,
    by_method: HashMap<ResolutionMethod, u64>,
    key_not_found: HashMap<ResolutionMethod, u64>,
    unresolved: HashMap<String, u64>,
}

impl ReportBuilder {
    /// One view-like request: the rule that produced a key (if any), whether the key matched.
    pub fn observe(
        &mut self,
        rule: Option<ResolutionMethod>,
        is_resolved: bool,
        currentsheet: Option<&str>,
        uri: Option<&str>,
    ) {
        self.view_like += 1;
        let method = match (rule, is_resolved) {
            (Some(rule), true) => rule,
            (Some(rule), false) => {
                *self.key_not_found.entry(rule).or_default() += 1;
                ResolutionMethod::Unresolved
            }
            (None, _) => ResolutionMethod::Unresolved,
        };
        *self.by_method.entry(method).or_default() += 1;
        if method == ResolutionMethod::Unresolved {
            let value = match currentsheet.filter(|cs| !cs.trim().is_empty()) {
                Some(cs) => cs.to_string(),
                None => format!("uri:{}", uri_path(uri.unwrap_or(""))),
            };
            if let Some(count) = self.unresolved.get_mut(&value) {
                *count += 1;
            } else if self.unresolved.len() < MAX_TRACKED_UNRESOLVED {
                self.unresolved.insert(value, 1);
            }
        }
    }

    pub fn finish(&self) -> ResolutionReport {
        let unresolved = self
            .by_method
            .get(&ResolutionMethod::Unresolved)
            .copied()
            .unwrap_or(0);
        let resolved = self.view_like - unresolved;
        let name = |m: &ResolutionMethod| m.as_str().to_string();
        let mut top: Vec<UnresolvedValue> = self
            .unresolved
            .iter()
            .map(|(value, &requests)| UnresolvedValue {
                value: value.clone(),
                requests,
            })
            .collect();
        top.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.value.cmp(&b.value))
        });
        top.truncate(TOP_UNRESOLVED);
        ResolutionReport {
            view_like_requests: self.view_like,
            resolved,
            resolved_share: if self.view_like == 0 {
                1.0
            } else {
                resolved as f64 / self.view_like as f64
            },
            by_method: self.by_method.iter().map(|(m, n)| (name(m), *n)).collect(),
            key_not_found: self
                .key_not_found
                .iter()
                .map(|(m, n)| (name(m), *n))
                .collect(),
            top_unresolved: top,
        }
    }
}

/// The path of a URI without its query, cut to 4 segments so ids and session keys in deeper
/// segments do not split one route into thousands of values.
fn uri_path(uri: &str) -> String {
    let path = uri.split(['?', '#']).next().unwrap_or("");
    path.split('/').take(5).collect::<Vec<_>>().join("/")
}

impl ResolutionReport {
    /// A few lines for people, printed after the run table.
    pub fn to_text(&self, source: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{source}: content resolved for {} of {} view-like requests ({:.2}%)",
            self.resolved,
            self.view_like_requests,
            self.resolved_share * 100.0
        );
        let mut methods: Vec<_> = self.by_method.iter().collect();
        methods.sort_by(|a, b| b.1.cmp(a.1));
        for (method, n) in methods {
            let share = *n as f64 * 100.0 / self.view_like_requests.max(1) as f64;
            let _ = writeln!(out, "  {method:<28} {n:>12} {share:>7.2}%");
        }
        if !self.top_unresolved.is_empty() {
            let _ = writeln!(out, "  top unresolved currentsheet values:");
            for u in &self.top_unresolved {
                let _ = writeln!(out, "    {:>10}  {}", u.requests, u.value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_methods_and_top_values_are_counted() {
        let mut b = ReportBuilder::default();
        for _ in 0..3 {
            b.observe(
                Some(ResolutionMethod::CurrentSheet),
                true,
                Some("Wb/S"),
                None,
            );
        }
        b.observe(
            Some(ResolutionMethod::CurrentSheet),
            false,
            Some("Gone/S"),
            None,
        );
        b.observe(None, false, None, Some("/foo/bar/baz/qux/deep?x=1"));
        let r = b.finish();
        assert_eq!((r.view_like_requests, r.resolved), (5, 3));
        assert_eq!(r.by_method["current_sheet"], 3);
        assert_eq!(r.by_method["unresolved"], 2);
        assert_eq!(r.key_not_found["current_sheet"], 1);
        let values: Vec<_> = r.top_unresolved.iter().map(|u| u.value.as_str()).collect();
        assert_eq!(values, ["Gone/S", "uri:/foo/bar/baz/qux"]);
        assert!(r.to_text("tab").contains("3 of 5"));
    }
}
