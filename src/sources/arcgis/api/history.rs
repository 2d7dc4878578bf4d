//! The `history` dataset: Arrow schema, date slices, the `event_key` fingerprint and the
//! page → batch conversion.
//!
//! Items are kept as JSON objects until they are appended to the Arrow builders, on
//! purpose: `event_key` must cover every field the server sent, including ones this
//! version does not know, and a typed struct would drop or reshape them.

use std::fmt;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::config::HistoryFilters;
use super::ArcgisError;

/// String columns, in schema order, named as the API names them.
const TEXT_COLUMNS: [&str; 10] = [
    "id", "idType", "orgId", "owner", "actor", "action", "ip", "request", "reqId", "appId",
];
/// Fields with a column of their own; anything else goes to `extra`. `clientId` is the
/// CSV/report name of `appId` (reference §1.3).
const KNOWN_FIELDS: [&str; 13] = [
    "id", "idType", "orgId", "owner", "created", "actor", "action", "ip", "request", "reqId",
    "appId", "clientId", "data",
];

/// One fetched window of history: all its events, already filtered to `[from_ms, to_ms)`.
/// The caller may checkpoint `to_ms` once it has stored the batch.
#[derive(Debug, Clone)]
pub struct HistorySlice {
    pub from_ms: i64,
    pub to_ms: i64,
    pub batch: RecordBatch,
    pub pages: u32,
}

/// A half-open window `[from_ms, to_ms)` of `created`, UTC epoch ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl fmt::Display for SliceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                .unwrap_or_else(|| ms.to_string())
        };
        write!(f, "[{}, {})", show(self.from_ms), show(self.to_ms))
    }
}

/// Splits `[from_ms, to_ms)` at multiples of `slice_hours` since the epoch, so with the
/// default 24 every slice is (part of) one UTC day and checkpoints fall on day edges.
pub fn plan_slices(from_ms: i64, to_ms: i64, slice_hours: u32) -> Vec<SliceRange> {
    let width = i64::from(slice_hours.max(1)) * 3_600_000;
    let mut slices = Vec::new();
    let mut start = from_ms;
    while start < to_ms {
        let edge = (start.div_euclid(width) + 1) * width;
        let end = edge.min(to_ms);
        slices.push(SliceRange {
            from_ms: start,
            to_ms: end,
        });
        start = end;
    }
    slices
}

pub fn history_schema() -> SchemaRef {
    let mut fields = vec![Field::new("event_key", DataType::Int64, false)];
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    fields.extend(["id", "idType", "orgId", "owner"].map(text));
    fields.push(Field::new(
        "created",
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        false,
    ));
    fields.extend(
        [
            "actor", "action", "ip", "request", "reqId", "appId", "data", "extra",
        ]
        .map(text),
    );
    Arc::new(Schema::new(fields))
}

/// The event fingerprint: the first 8 bytes (big-endian) of SHA-256 over a canonical
/// encoding of every field of the item. Two events that differ in any field (even one
/// unknown to us, or inside `data`) get different keys; the same event fetched twice
/// (overlap, rerun) gets the same key. The encoding is versioned and must never change:
/// stored keys depend on it.
///
/// Canonical form: fields sorted by name; top-level `null`s skipped (absent and null
/// mean the same); `clientId` hashed as `appId` when `appId` is absent (same field,
/// two names); every key and string length-prefixed; numbers by their JSON text.
pub fn event_key(item: &Map<String, Value>) -> i64 {
    let mut fields: Vec<(&str, &Value)> = item
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let name = if k == "clientId" && !item.contains_key("appId") {
                "appId"
            } else {
                k
            };
            (name, v)
        })
        .collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    hasher.update(b"usagelake/arcgis-history/v1\n");
    hasher.update((fields.len() as u64).to_be_bytes());
    for (name, value) in fields {
        write_str(&mut hasher, name);
        write_value(&mut hasher, value);
    }
    let digest = hasher.finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("SHA-256 is 32 bytes"))
}

fn write_str(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as u64).to_be_bytes());
    hasher.update(text.as_bytes());
}

fn write_value(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Null => hasher.update(b"z"),
        Value::Bool(true) => hasher.update(b"t"),
        Value::Bool(false) => hasher.update(b"f"),
        Value::Number(n) => {
            hasher.update(b"n");
            write_str(hasher, &n.to_string());
        }
        Value::String(s) => {
            hasher.update(b"s");
            write_str(hasher, s);
        }
        Value::Array(items) => {
            hasher.update(b"a");
            hasher.update((items.len() as u64).to_be_bytes());
            items.iter().for_each(|v| write_value(hasher, v));
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json's map order depends on a crate feature.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            hasher.update(b"o");
            hasher.update((entries.len() as u64).to_be_bytes());
            for (k, v) in entries {
                write_str(hasher, k);
                write_value(hasher, v);
            }
        }
    }
}

/// Client-side re-application of the configured filters and of the slice bounds
/// (`toDate` inclusivity is undocumented, so the half-open window is enforced here).
pub(super) fn keep_event(
    filters: &HistoryFilters,
    slice: SliceRange,
    item: &Map<String, Value>,
) -> bool {
    let Some(created) = item.get("created").and_then(Value::as_i64) else {
        return true; // Not ours to drop: `append` reports it.
    };
    if created < slice.from_ms || created >= slice.to_ms {
        return false;
    }
    let field = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or("");
    let exact = |wanted: &[String], name: &str| {
        wanted.is_empty() || wanted.iter().any(|w| w == field(name))
    };
    let folded = |wanted: &[String], name: &str| {
        wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(field(name)))
    };
    folded(&filters.types, "idType")
        && exact(&filters.actors, "actor")
        && exact(&filters.owners, "owner")
        && folded(&filters.actions, "action")
        && exact(&filters.ips, "ip")
}

/// Accumulates one slice's events as Arrow columns.
pub(super) struct HistoryBuilder {
    event_key: Int64Builder,
    text: Vec<StringBuilder>,
    created: TimestampMicrosecondBuilder,
    data: StringBuilder,
    extra: StringBuilder,
}

impl HistoryBuilder {
    pub(super) fn new() -> Self {
        HistoryBuilder {
            event_key: Int64Builder::new(),
            text: TEXT_COLUMNS.iter().map(|_| StringBuilder::new()).collect(),
            created: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            data: StringBuilder::new(),
            extra: StringBuilder::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.event_key.len()
    }

    /// Appends one item; fails (naming the field) if `created` is missing or not epoch ms.
    pub(super) fn append(&mut self, item: &Map<String, Value>) -> Result<(), String> {
        let created = item
            .get("created")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("event without an integer `created`: {}", brief(item)))?;
        let created_us = created
            .checked_mul(1000)
            .ok_or_else(|| format!("`created` {created} out of range"))?;
        self.event_key.append_value(event_key(item));
        self.created.append_value(created_us);
        for (builder, name) in self.text.iter_mut().zip(TEXT_COLUMNS) {
            let value = match name {
                "appId" => item
                    .get("appId")
                    .filter(|v| !v.is_null())
                    .or_else(|| item.get("clientId")),
                _ => item.get(name),
            };
            builder.append_option(value.and_then(as_text));
        }
        self.data.append_option(item.get("data").and_then(as_text));
        self.extra.append_option(extra_json(item));
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, ArcgisError> {
        let mut text: Vec<ArrayRef> = self
            .text
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        // Schema order: event_key, id, idType, orgId, owner, created, actor..appId, data, extra.
        let tail = text.split_off(4);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.event_key.finish())];
        columns.extend(text);
        columns.push(Arc::new(self.created.finish()));
        columns.extend(tail);
        columns.push(Arc::new(self.data.finish()));
        columns.push(Arc::new(self.extra.finish()));
        Ok(RecordBatch::try_new(history_schema(), columns)?)
    }
}

/// Strings verbatim (including the raw `data` JSON text); anything else as JSON text,
/// so an unexpected type is stored rather than lost.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Unknown fields as a JSON object with sorted keys; `clientId` too when `appId` also
/// came and took the column. `None` when there is nothing extra.
fn extra_json(item: &Map<String, Value>) -> Option<String> {
    let mut extra: Vec<(&String, &Value)> = item
        .iter()
        .filter(|(k, _)| {
            !KNOWN_FIELDS.contains(&k.as_str())
                || (k.as_str() == "clientId" && item.get("appId").is_some_and(|v| !v.is_null()))
        })
        .collect();
    if extra.is_empty() {
        return None;
    }
    extra.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = extra
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::String((*k).clone()), v))
        .collect();
    Some(format!("{{{}}}", body.join(",")))
}

fn brief(item: &Map<String, Value>) -> String {
    let text = Value::Object(item.clone()).to_string();
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn event_key_ignores_order_and_whitespace_but_not_content() {
        let a: Map<String, Value> = serde_json::from_str(
            r#"{"id":"x","created":1,"reqId":"r","action":"share","data":"{\"a\":1}"}"#,
        )
        .unwrap();
        let b: Map<String, Value> = serde_json::from_str(
            r#"{ "data":"{\"a\":1}", "action":"share", "reqId":"r", "created":1, "id":"x" }"#,
        )
        .unwrap();
        assert_eq!(event_key(&a), event_key(&b));
        // Same id/created/reqId, different action or data: distinct events.
        let mut c = a.clone();
        c.insert("action".into(), json!("unshare"));
        assert_ne!(event_key(&a), event_key(&c));
        let mut d = a.clone();
        d.insert("data".into(), json!("{\"a\": 1}"));
        assert_ne!(event_key(&a), event_key(&d));
        // Unknown fields count.
        let mut e = a.clone();
        e.insert("newField".into(), json!({"z": [1, 2]}));
        assert_ne!(event_key(&a), event_key(&e));
    }

    #[test]
    fn event_key_null_absent_and_client_id() {
        let base = obj(json!({"id": "x", "created": 5, "appId": "arcgisonline"}));
        let with_null = obj(json!({"id": "x", "created": 5, "appId": "arcgisonline", "ip": null}));
        let as_client = obj(json!({"id": "x", "created": 5, "clientId": "arcgisonline"}));
        assert_eq!(event_key(&base), event_key(&with_null));
        assert_eq!(event_key(&base), event_key(&as_client));
        // A string "5" is not the number 5; length prefixes keep "ab"+"c" apart from "a"+"bc".
        assert_ne!(
            event_key(&base),
            event_key(&obj(
                json!({"id": "x", "created": "5", "appId": "arcgisonline"})
            ))
        );
        assert_ne!(
            event_key(&obj(json!({"ab": "c"}))),
            event_key(&obj(json!({"a": "bc"})))
        );
    }

    #[test]
    fn event_key_is_pinned() {
        // Stored keys depend on this value: a change here is a breaking change of the lake.
        let item = obj(
            json!({"id": "a1", "idType": "i", "created": 1_700_000_000_000_i64,
            "action": "share", "reqId": "r1", "data": "{\"everyone\":true}"}),
        );
        assert_eq!(event_key(&item), PINNED_KEY);
    }
    const PINNED_KEY: i64 = -5_541_122_900_303_659_592;

    #[test]
    fn slices_align_to_utc_days() {
        let day = 86_400_000;
        let s = plan_slices(day + 5, 3 * day + 7, 24);
        assert_eq!(
            s,
            vec![
                SliceRange {
                    from_ms: day + 5,
                    to_ms: 2 * day
                },
                SliceRange {
                    from_ms: 2 * day,
                    to_ms: 3 * day
                },
                SliceRange {
                    from_ms: 3 * day,
                    to_ms: 3 * day + 7
                },
            ]
        );
        assert!(plan_slices(10, 10, 24).is_empty());
        assert_eq!(plan_slices(-5, 5, 1).len(), 2);
    }

    #[test]
    fn client_side_filters_and_bounds() {
        let f = HistoryFilters {
            actions: vec!["updateusers".into()],
            actors: vec!["Ann".into()],
            ..Default::default()
        };
        let slice = SliceRange {
            from_ms: 10,
            to_ms: 20,
        };
        let ev = |created: i64, action: &str, actor: &str| {
            obj(json!({"created": created, "action": action, "actor": actor}))
        };
        assert!(keep_event(&f, slice, &ev(10, "updateUsers", "Ann")));
        assert!(!keep_event(&f, slice, &ev(20, "updateUsers", "Ann")));
        assert!(!keep_event(&f, slice, &ev(15, "updateUsers", "ann")));
        assert!(!keep_event(&f, slice, &ev(15, "login", "Ann")));
    }

    #[test]
    fn batch_columns_and_extra() {
        let mut b = HistoryBuilder::new();
        b.append(&obj(
            json!({"id": "u1", "created": 2, "clientId": "app", "data": "{}", "zz": 1}),
        ))
        .unwrap();
        b.append(&obj(
            json!({"id": "u2", "created": 3, "appId": "a", "clientId": "c"}),
        ))
        .unwrap();
        assert!(b.append(&obj(json!({"id": "u3"}))).is_err());
        let batch = b.finish().unwrap();
        assert_eq!(batch.schema(), history_schema());
        let col = |n: &str| batch.column_by_name(n).unwrap().clone();
        let app = col("appId");
        let app = app
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        assert_eq!((app.value(0), app.value(1)), ("app", "a"));
        let extra = col("extra");
        let extra = extra
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        assert_eq!(
            (extra.value(0), extra.value(1)),
            (r#"{"zz":1}"#, r#"{"clientId":"c"}"#)
        );
        let created = col("created");
        let created = created
            .as_any()
            .downcast_ref::<arrow_array::TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(created.value(0), 2000);
    }
}
