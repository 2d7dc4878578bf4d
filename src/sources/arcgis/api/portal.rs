//! `ArcgisPortal`: authenticated, paged reads of one portal.

use std::collections::HashSet;

use arrow_array::RecordBatch;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::Value;

use super::auth::TokenSource;
use super::config::{ArcgisSourceConfig, HistoryFilters, TokenPlacement};
use super::envelope::is_token_rejected;
use super::history::{keep_event, plan_slices, HistoryBuilder, HistorySlice, SliceRange};
use super::users::{effective_fields, UsersBuilder};
use super::ArcgisError;
use crate::config::Secret;
use crate::http::{ApiClient, ApiRequest};

/// Largest page both endpoints allow (reference §1.2, §2.2).
const PAGE_SIZE: u32 = 100;

pub struct ArcgisPortal {
    cfg: ArcgisSourceConfig,
    rest_root: String,
    client: ApiClient,
    tokens: TokenSource,
}

impl ArcgisPortal {
    /// Resolves the credentials and mints the first token, so bad credentials fail the
    /// run before any slice is planned.
    pub async fn connect(cfg: &ArcgisSourceConfig, client: ApiClient) -> Result<Self, ArcgisError> {
        if cfg.slice_hours == 0 || cfg.concurrency == 0 {
            return Err(ArcgisError::Config(
                "slice_hours and concurrency must be at least 1".into(),
            ));
        }
        if cfg.org_id.trim().is_empty() || cfg.org_id.contains('/') {
            return Err(ArcgisError::Config(format!(
                "org_id {:?} is not an org id or `self`",
                cfg.org_id
            )));
        }
        let tokens = TokenSource::new(cfg)?;
        tokens.token(&client).await?;
        Ok(ArcgisPortal {
            cfg: cfg.clone(),
            rest_root: cfg.rest_root(),
            client,
            tokens,
        })
    }

    pub fn config(&self) -> &ArcgisSourceConfig {
        &self.cfg
    }

    /// History events with `created` in `[from_ms, to_ms)`, one item per slice of
    /// `slice_hours`, in slice order. Up to `concurrency` slices are fetched at once;
    /// at most that many slices' batches are held in memory. After an error the caller
    /// should stop: later slices are not checkpointable past a failed one.
    pub fn history(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Stream<Item = Result<HistorySlice, ArcgisError>> + '_ {
        let slices = plan_slices(from_ms, to_ms, self.cfg.slice_hours);
        // `buffered` (not `buffer_unordered`) keeps slice order for checkpointing.
        stream::iter(slices)
            .map(move |slice| self.history_slice(slice))
            .buffered(self.cfg.concurrency)
    }

    async fn history_slice(&self, slice: SliceRange) -> Result<HistorySlice, ArcgisError> {
        let url = format!("{}/portals/{}/history", self.rest_root, self.cfg.org_id);
        let filters = &self.cfg.history;
        let mut params = vec![
            // Without all=true the endpoint returns only org-targeted events: no logins,
            // no user or item events (reference §1.2).
            ("all".to_string(), "true".to_string()),
            ("f".into(), "json".into()),
            ("num".into(), PAGE_SIZE.to_string()),
            ("sortOrder".into(), filters.sort_order.as_str().into()),
            ("fromDate".into(), slice.from_ms.to_string()),
            // `toDate` inclusivity is undocumented: ask up to the edge, trim client-side.
            ("toDate".into(), slice.to_ms.to_string()),
        ];
        params.extend(filter_params(filters));
        let mut builder = HistoryBuilder::new();
        let mut seen_keys = HashSet::new();
        let mut start: Option<String> = None;
        let mut pages = 0u32;
        loop {
            let context = format!(
                "history slice {slice}, start={}, filters: {}",
                start.as_deref().unwrap_or("(first page)"),
                describe_filters(filters)
            );
            let mut page_params = params.clone();
            if let Some(key) = &start {
                page_params.push(("start".into(), key.clone()));
            }
            let page = self.get(&url, page_params, &context).await?;
            pages += 1;
            let items = page_objects(&page, "items", &context)?;
            for &item in &items {
                if keep_event(filters, slice, item) {
                    builder.append(item).map_err(|m| page_error(&context, &m))?;
                }
            }
            let next = page
                .get("nextKey")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty());
            // Stop on an empty page even if it carries a key (newer Python API does too).
            let (false, Some(next)) = (items.is_empty(), next) else {
                break;
            };
            if !seen_keys.insert(next.to_string()) {
                return Err(ArcgisError::CursorLoop {
                    slice,
                    key: next.to_string(),
                });
            }
            start = Some(next.to_string());
        }
        tracing::debug!(slice = %slice, pages, events = builder.len(), "history slice fetched");
        Ok(HistorySlice {
            from_ms: slice.from_ms,
            to_ms: slice.to_ms,
            batch: builder.finish()?,
            pages,
        })
    }

    /// Every member of the org, as one `users` snapshot batch.
    pub async fn users(&self) -> Result<RecordBatch, ArcgisError> {
        let url = format!("{}/portals/{}/users", self.rest_root, self.cfg.org_id);
        let mut builder = UsersBuilder::new(effective_fields(&self.cfg.user_fields));
        let mut seen = HashSet::new();
        let mut start: i64 = 1; // 1-based (reference §2.2)
        loop {
            let context = format!("users start={start}");
            let params = vec![
                ("start".to_string(), start.to_string()),
                ("num".into(), PAGE_SIZE.to_string()),
                ("f".into(), "json".into()),
            ];
            let page = self.get(&url, params, &context).await?;
            let users = page_objects(&page, "users", &context)?;
            for &user in &users {
                // Offset paging shifts when members join mid-read; never store one twice.
                let name = user
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if seen.insert(name.to_string()) {
                    builder.append(user).map_err(|m| page_error(&context, &m))?;
                }
            }
            let next = page.get("nextStart").and_then(Value::as_i64).unwrap_or(-1);
            if users.is_empty() || next <= 0 {
                break;
            }
            if next <= start {
                return Err(page_error(
                    &context,
                    &format!("nextStart {next} does not advance"),
                ));
            }
            start = next;
        }
        builder.finish()
    }

    /// `check --connect`: one history page of at most one event over the last day.
    /// Proves the token may read the admin-only endpoint (reference §1.1) without
    /// fetching a slice. Returns the events on that page (0 or 1).
    pub async fn check_history(&self) -> Result<usize, ArcgisError> {
        let url = format!("{}/portals/{}/history", self.rest_root, self.cfg.org_id);
        let to_ms = chrono::Utc::now().timestamp_millis();
        let params = vec![
            ("all".to_string(), "true".to_string()),
            ("f".into(), "json".into()),
            ("num".into(), "1".into()),
            ("fromDate".into(), (to_ms - 86_400_000).to_string()),
            ("toDate".into(), to_ms.to_string()),
        ];
        let page = self.get(&url, params, "check: one history page").await?;
        let items = page.get("items").and_then(Value::as_array);
        items
            .map(Vec::len)
            .ok_or_else(|| page_error("check: one history page", "no `items` array"))
    }

    /// `created` (UTC epoch ms) of the oldest event the portal still returns: one page of
    /// one event, `sortOrder=asc` from epoch 0, no filters (retention is a property of
    /// the whole history). Retention is undocumented (reference §1.6), so this is the
    /// only way to learn where it starts. `None`: the portal returns no events at all.
    pub async fn oldest_event_ms(&self) -> Result<Option<i64>, ArcgisError> {
        let url = format!("{}/portals/{}/history", self.rest_root, self.cfg.org_id);
        let to_ms = chrono::Utc::now().timestamp_millis();
        let params = vec![
            ("all".to_string(), "true".to_string()),
            ("f".into(), "json".into()),
            ("num".into(), "1".into()),
            ("sortOrder".into(), "asc".into()),
            ("fromDate".into(), "0".into()),
            ("toDate".into(), to_ms.to_string()),
        ];
        let context = "oldest history event (sortOrder=asc from epoch 0)";
        let page = self.get(&url, params, context).await?;
        let items = page
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| page_error(context, "no `items` array"))?;
        Ok(items
            .iter()
            .filter_map(|item| item.get("created").and_then(Value::as_i64))
            .min())
    }

    /// `check --connect`: the first users page (one member). Returns the org's `total`.
    pub async fn check_users(&self) -> Result<i64, ArcgisError> {
        let url = format!("{}/portals/{}/users", self.rest_root, self.cfg.org_id);
        let params = vec![
            ("start".to_string(), "1".to_string()),
            ("num".into(), "1".into()),
            ("f".into(), "json".into()),
        ];
        let page = self.get(&url, params, "check: one users page").await?;
        if page.get("users").and_then(Value::as_array).is_none() {
            return Err(page_error("check: one users page", "no `users` array"));
        }
        Ok(page.get("total").and_then(Value::as_i64).unwrap_or(-1))
    }

    /// GET with the current token; on 498/499 renew once and retry the same request.
    async fn get(
        &self,
        url: &str,
        params: Vec<(String, String)>,
        context: &str,
    ) -> Result<Value, ArcgisError> {
        let mut renewed = false;
        loop {
            let token = self.tokens.token(&self.client).await?;
            let mut request = ApiRequest::get(url).context(context);
            for (name, value) in &params {
                request = request.param(name, value);
            }
            let request = self.authorize(request, &token);
            match self.client.send_json(&request).await {
                Ok(value) => return Ok(value),
                Err(e) if is_token_rejected(&e) && !renewed => {
                    renewed = true;
                    self.tokens
                        .renew_after_rejection(&self.client, &token)
                        .await?;
                }
                Err(e) if is_token_rejected(&e) => {
                    return Err(ArcgisError::Auth {
                        portal: self.rest_root.clone(),
                        message: format!("token rejected again right after renewal: {e}"),
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn authorize(&self, request: ApiRequest, token: &Secret) -> ApiRequest {
        let request = match self.tokens.referer() {
            Some(referer) => request.header("Referer", referer),
            None => request,
        };
        match self.cfg.token_placement {
            TokenPlacement::Header => request.secret_header(
                "X-Esri-Authorization",
                Secret::new(format!("Bearer {}", token.expose())),
            ),
            TokenPlacement::Param => request.secret_param("token", token.clone()),
        }
    }
}

fn filter_params(filters: &HistoryFilters) -> Vec<(String, String)> {
    [
        ("types", &filters.types),
        ("actors", &filters.actors),
        ("owners", &filters.owners),
        ("actions", &filters.actions),
        ("ips", &filters.ips),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .map(|(name, values)| (name.to_string(), values.join(",")))
    .collect()
}

fn describe_filters(filters: &HistoryFilters) -> String {
    let mut parts: Vec<String> = filter_params(filters)
        .into_iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    parts.push(format!("sortOrder={}", filters.sort_order.as_str()));
    parts.join(" ")
}

/// The objects of a page's `field` array (`items`, `users`); a missing array or an entry
/// that is not an object is an error naming the page.
fn page_objects<'a>(
    page: &'a Value,
    field: &str,
    context: &str,
) -> Result<Vec<&'a serde_json::Map<String, Value>>, ArcgisError> {
    page.get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| page_error(context, &format!("no `{field}` array")))?
        .iter()
        .map(|entry| {
            entry.as_object().ok_or_else(|| {
                page_error(context, &format!("an entry of `{field}` is not an object"))
            })
        })
        .collect()
}

fn page_error(context: &str, message: &str) -> ArcgisError {
    ArcgisError::Page {
        context: context.to_string(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// The pipeline drives the history stream from a spawned task: it must stay `Send`.
    #[allow(dead_code)]
    fn history_stream_is_send(portal: &super::ArcgisPortal) {
        fn is_send<T: Send>(_: T) {}
        is_send(portal.history(0, 1));
    }
}
