//! The `logins` dataset: one row each time a user's `lastLogin` changes between runs.
//!
//! This replaces the admins' "append a CSV row when lastLogin changed today" script.
//! `lastLogin` holds only the *latest* sign-in (reference §2.3), so the log records at
//! most one sign-in per user per run: several sign-ins between two runs collapse to the
//! last one, but nothing is lost between missed runs either — the next run sees the new
//! value whatever day it falls on. Rows are keyed by `login_key = hash(username,
//! lastLogin ms)`, so rerunning, or running several times a day, never adds a row twice
//! (the load stage merges by key). `-1` (never signed in) yields no row.
//!
//! How this relates to `history`: on ArcGIS Online the org history has an event per
//! sign-in (`action=login`, `idType=u`, `actor` = the user, `created` = the sign-in
//! time, and `failedlogin` for failures), so `history` is the complete record there and
//! `logins` is a coarser cross-check: each `logins` row should match the history login
//! event with `created == last_login` for that user. ArcGIS Enterprise has no history
//! endpoint, so there `logins` is the only sign-in record.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use sha2::{Digest, Sha256};

use super::ArcgisError;

/// Row key of a login: first 8 bytes (big-endian) of SHA-256 over the versioned,
/// length-prefixed username and the lastLogin epoch ms. Never change the encoding.
pub fn login_key(username: &str, last_login_ms: i64) -> i64 {
    let mut hasher = Sha256::new();
    hasher.update(b"usagelake/arcgis-login/v1\n");
    hasher.update((username.len() as u64).to_be_bytes());
    hasher.update(username.as_bytes());
    hasher.update(last_login_ms.to_be_bytes());
    let digest = hasher.finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("SHA-256 is 32 bytes"))
}

/// `login_key`, `username`, `last_login`, then the log fields with their users types.
pub fn logins_schema(users: &Schema, log_fields: &[String]) -> Result<SchemaRef, ArcgisError> {
    let mut fields = vec![
        Field::new("login_key", DataType::Int64, false),
        Field::new("username", DataType::Utf8, false),
        Field::new(
            "last_login",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
    ];
    for name in extra_fields(log_fields) {
        let field = users.field_with_name(name).map_err(|_| missing(name))?;
        fields.push(field.clone().with_nullable(true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Rows for users whose `lastLogin` differs from `previous` (the last value stored in
/// the lake per username) or who are not in it yet. `users` is a `users` snapshot batch.
pub fn logins_from_users(
    users: &RecordBatch,
    previous: &HashMap<String, i64>,
    log_fields: &[String],
) -> Result<RecordBatch, ArcgisError> {
    let schema = logins_schema(&users.schema(), log_fields)?;
    let usernames = users
        .column_by_name("username")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| missing("username"))?;
    let last_logins = users
        .column_by_name("lastLogin")
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or_else(|| missing("lastLogin"))?;

    let mut rows = Vec::new();
    let mut keys = Int64Builder::new();
    let mut names = StringBuilder::new();
    let mut times = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for row in 0..users.num_rows() {
        if usernames.is_null(row) || last_logins.is_null(row) {
            continue; // NULL lastLogin = never signed in (-1) or not visible: no login.
        }
        let username = usernames.value(row);
        let ms = last_logins.value(row) / 1000;
        if previous.get(username) == Some(&ms) {
            continue;
        }
        rows.push(row as u32);
        keys.append_value(login_key(username, ms));
        names.append_value(username);
        times.append_value(ms * 1000);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(keys.finish()),
        Arc::new(names.finish()),
        Arc::new(times.finish()),
    ];
    let indices = UInt32Array::from(rows);
    for name in extra_fields(log_fields) {
        let column = users.column_by_name(name).ok_or_else(|| missing(name))?;
        columns.push(arrow_select::take::take(column, &indices, None)?);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Log fields other than `username`, which always has its own column.
fn extra_fields(log_fields: &[String]) -> impl Iterator<Item = &str> {
    let mut seen = Vec::new();
    log_fields.iter().map(String::as_str).filter(move |f| {
        let fresh = *f != "username" && !seen.contains(f);
        seen.push(*f);
        fresh
    })
}

fn missing(name: &str) -> ArcgisError {
    ArcgisError::Config(format!(
        "logins needs the user field `{name}`; add it to user_fields"
    ))
}
