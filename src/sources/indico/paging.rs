//! Paging of `userSnapshot` and `userChangelog`: `after = null` first, then
//! `after = endCursor` while `pageInfo.hasNextPage` (indico/queries/usermetrics.py).
//!
//! Two guards the official client lacks: a cursor the server has already handed out
//! (it would loop forever) stops the read, and the rows read must add up to the
//! `aggregateCount` the first page announced (a short read must not be archived as a
//! complete day).

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::IndicoClient;
use super::graphql::Query;
use super::types::Page;
use super::IndicoError;

/// One paged read: the query, its variables without `after`/`limit`, and what it is.
pub struct PagedRead<'a> {
    pub query: Query,
    pub variables: serde_json::Map<String, Value>,
    pub page_size: u32,
    /// "date 2026-11-03", "2026-11-01..2026-11-03": goes into every error.
    pub context: &'a str,
}

/// Reads every page, handing each page's rows to `on_page` (so callers build Arrow
/// columns page by page, never holding all pages as structs). Returns the rows read.
pub async fn read_pages<D, T>(
    client: &IndicoClient,
    read: PagedRead<'_>,
    page_of: impl Fn(D) -> Option<Page<T>>,
    mut on_page: impl FnMut(Vec<T>) -> Result<(), IndicoError>,
) -> Result<u64, IndicoError>
where
    D: DeserializeOwned,
{
    let mut after: Option<i64> = None;
    let mut seen = HashSet::new();
    let mut expected: Option<i64> = None;
    let mut rows = 0u64;
    loop {
        let mut variables = read.variables.clone();
        variables.insert("limit".into(), Value::from(read.page_size));
        // `after: null` is the first page; the variable is sent either way.
        variables.insert(
            "after".into(),
            after.map(Value::from).unwrap_or(Value::Null),
        );
        let context = match after {
            Some(cursor) => format!("{} after {cursor}", read.context),
            None => read.context.to_string(),
        };
        let data: D = client
            .query(read.query, Value::Object(variables), &context)
            .await?;
        let page = page_of(data).ok_or_else(|| IndicoError::Response {
            operation: read.query.name,
            context: context.clone(),
            message: "the page is null".into(),
        })?;
        let info = page.page_info.unwrap_or_default();
        rows += page.results.len() as u64;
        match (expected, info.aggregate_count) {
            (None, count) => expected = count,
            // The result set changed under the cursor: pages no longer fit together.
            (Some(first), Some(now)) if now != first => {
                return Err(IndicoError::CountMismatch {
                    operation: read.query.name,
                    context,
                    read: rows,
                    expected: now,
                })
            }
            _ => {}
        }
        on_page(page.results)?;
        if info.has_next_page != Some(true) {
            break;
        }
        let Some(cursor) = info.end_cursor else {
            return Err(IndicoError::MissingCursor {
                operation: read.query.name,
                context: read.context.to_string(),
                after,
            });
        };
        if after == Some(cursor) || !seen.insert(cursor) {
            return Err(IndicoError::CursorLoop {
                operation: read.query.name,
                context: read.context.to_string(),
                cursor,
            });
        }
        after = Some(cursor);
    }
    if let Some(expected) = expected {
        if u64::try_from(expected).ok() != Some(rows) {
            return Err(IndicoError::CountMismatch {
                operation: read.query.name,
                context: read.context.to_string(),
                read: rows,
                expected,
            });
        }
    }
    Ok(rows)
}
