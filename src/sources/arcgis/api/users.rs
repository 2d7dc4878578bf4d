//! The `users` dataset: a snapshot of every member, the configured fields typed by one
//! table ([`user_field_type`]), plus `never_logged_in`.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

use super::ArcgisError;

/// The one place that knows the type of a user field (reference §2.3). Unknown fields
/// are text: a field added to the pipeline file is stored even if we never heard of it.
pub(super) fn user_field_type(name: &str) -> DataType {
    match name {
        // Epoch ms (RU); -1 means "never"/unset.
        "created" | "modified" | "lastLogin" | "emailStatusDate" => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        "disabled" | "mfaEnabled" => DataType::Boolean,
        "storageUsage" | "storageQuota" => DataType::Int64,
        "availableCredits" | "assignedCredits" => DataType::Float64,
        // `level` is a string in the API ("2"), arrays become JSON text.
        _ => DataType::Utf8,
    }
}

/// The configured fields, with `username` and `lastLogin` added when missing: the
/// `logins` dataset is derived from them, so a snapshot without them would be useless.
pub(super) fn effective_fields(configured: &[String]) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for f in configured {
        if !fields.contains(f) {
            fields.push(f.clone());
        }
    }
    if !fields.iter().any(|f| f == "username") {
        fields.insert(0, "username".into());
    }
    if !fields.iter().any(|f| f == "lastLogin") {
        fields.push("lastLogin".into());
    }
    fields
}

/// The schema for `fields` (as returned by the portal) plus `never_logged_in`.
pub fn users_schema(fields: &[String]) -> SchemaRef {
    let mut columns: Vec<Field> = fields
        .iter()
        .map(|f| Field::new(f, user_field_type(f), f != "username"))
        .collect();
    columns.push(Field::new("never_logged_in", DataType::Boolean, true));
    Arc::new(Schema::new(columns))
}

enum Column {
    Text(StringBuilder),
    Time(TimestampMicrosecondBuilder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
}

impl Column {
    fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Timestamp(..) => {
                Column::Time(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            DataType::Int64 => Column::Int(Int64Builder::new()),
            DataType::Float64 => Column::Float(Float64Builder::new()),
            _ => Column::Text(StringBuilder::new()),
        }
    }

    fn append(&mut self, value: Option<&Value>) {
        let value = value.filter(|v| !v.is_null());
        match self {
            Column::Text(b) => b.append_option(value.map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })),
            Column::Time(b) => b.append_option(value.and_then(epoch_ms).map(|ms| ms * 1000)),
            Column::Bool(b) => b.append_option(value.and_then(|v| match v {
                Value::Bool(x) => Some(*x),
                Value::String(s) => s.parse().ok(),
                _ => None,
            })),
            Column::Int(b) => b.append_option(value.and_then(Value::as_i64)),
            Column::Float(b) => b.append_option(value.and_then(Value::as_f64)),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Time(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
        }
    }
}

/// Epoch ms, with -1 (and any negative: no member predates 1970) as "none".
pub(super) fn epoch_ms(value: &Value) -> Option<i64> {
    let ms = value
        .as_i64()
        .or_else(|| value.as_f64().map(|f| f as i64))?;
    (0..=i64::MAX / 1000).contains(&ms).then_some(ms)
}

/// Accumulates users page by page, so memory holds Arrow columns, not JSON pages.
pub(super) struct UsersBuilder {
    fields: Vec<String>,
    columns: Vec<Column>,
    never_logged_in: BooleanBuilder,
}

impl UsersBuilder {
    pub(super) fn new(fields: Vec<String>) -> Self {
        let columns = fields
            .iter()
            .map(|f| Column::new(&user_field_type(f)))
            .collect();
        UsersBuilder {
            fields,
            columns,
            never_logged_in: BooleanBuilder::new(),
        }
    }

    pub(super) fn append(&mut self, user: &Map<String, Value>) -> Result<(), String> {
        if !user.get("username").is_some_and(Value::is_string) {
            return Err("a user without a `username`".into());
        }
        for (column, name) in self.columns.iter_mut().zip(&self.fields) {
            column.append(user.get(name));
        }
        // -1 is the portal's "never signed in" (reference §2.3); an absent lastLogin
        // (a field we may not see) is unknown, not "never".
        let never = user
            .get("lastLogin")
            .filter(|v| !v.is_null())
            .map(|v| epoch_ms(v).is_none());
        self.never_logged_in.append_option(never);
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, ArcgisError> {
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        arrays.push(Arc::new(self.never_logged_in.finish()));
        Ok(RecordBatch::try_new(users_schema(&self.fields), arrays)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::Array;
    use serde_json::json;

    #[test]
    fn types_minus_one_and_never_logged_in() {
        let fields = effective_fields(&["email".into(), "disabled".into(), "email".into()]);
        assert_eq!(fields, ["username", "email", "disabled", "lastLogin"]);
        let mut b = UsersBuilder::new(fields);
        let user = |v: Value| v.as_object().unwrap().clone();
        b.append(&user(
            json!({"username": "a", "lastLogin": -1, "disabled": false}),
        ))
        .unwrap();
        b.append(&user(
            json!({"username": "b", "lastLogin": 1_700_000_000_000_i64, "email": "b@x"}),
        ))
        .unwrap();
        b.append(&user(json!({"username": "c"}))).unwrap();
        assert!(b.append(&user(json!({"email": "nobody"}))).is_err());
        let batch = b.finish().unwrap();
        let last = batch
            .column_by_name("lastLogin")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        assert!(last.is_null(0));
        assert_eq!(last.value(1), 1_700_000_000_000_000);
        let never = batch
            .column_by_name("never_logged_in")
            .unwrap()
            .as_boolean();
        assert!(never.value(0) && !never.value(1) && never.is_null(2));
        assert!(batch
            .column_by_name("disabled")
            .unwrap()
            .as_boolean()
            .is_null(1));
    }
}
