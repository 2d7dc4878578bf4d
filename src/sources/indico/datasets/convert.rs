//! API responses → Arrow batches of the five datasets.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use chrono::NaiveDate;

use super::super::types::{DatasetRole, UserChangelog, UserSnapshot, UserSummary};
use super::super::IndicoError;
use super::*;

/// Days since 1970-01-01, Arrow's `Date32`.
fn date32(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}

fn arrow_error(dataset: &'static str) -> impl Fn(arrow_schema::ArrowError) -> IndicoError {
    move |source| IndicoError::Arrow { dataset, source }
}

/// `user_summary` (one row) and `user_summary_roles` (one row per role) of `date`.
pub fn summary_batches(
    date: NaiveDate,
    summary: Option<&UserSummary>,
) -> Result<(RecordBatch, RecordBatch), IndicoError> {
    let day = date32(date);
    let users = summary.and_then(|s| s.users.as_ref());
    let totals = RecordBatch::try_new(
        user_summary_schema(),
        vec![
            Arc::new(arrow_array::Date32Array::from(vec![day])) as ArrayRef,
            Arc::new(arrow_array::Int32Array::from(vec![
                users.and_then(|u| u.enabled)
            ])),
            Arc::new(arrow_array::Int32Array::from(vec![
                users.and_then(|u| u.disabled)
            ])),
        ],
    )
    .map_err(arrow_error(USER_SUMMARY))?;
    let roles: Vec<_> = summary
        .and_then(|s| s.app_roles.as_ref())
        .map(|roles| roles.iter().flatten().collect())
        .unwrap_or_default();
    let by_role = RecordBatch::try_new(
        user_summary_roles_schema(),
        vec![
            Arc::new(arrow_array::Date32Array::from(vec![day; roles.len()])) as ArrayRef,
            Arc::new(arrow_array::StringArray::from_iter(
                roles.iter().map(|r| r.role.as_deref()),
            )),
            Arc::new(arrow_array::Int32Array::from_iter(
                roles.iter().map(|r| r.count),
            )),
        ],
    )
    .map_err(arrow_error(USER_SUMMARY_ROLES))?;
    Ok((totals, by_role))
}

/// `List<Utf8>` column plus its joined `_text` twin.
struct TextList {
    list: ListBuilder<StringBuilder>,
    text: StringBuilder,
}

impl TextList {
    fn new() -> Self {
        TextList {
            list: ListBuilder::new(StringBuilder::new()),
            text: StringBuilder::new(),
        }
    }

    fn append(&mut self, values: Option<&[String]>) {
        match values {
            Some(values) => {
                for v in values {
                    self.list.values().append_value(v);
                }
                self.list.append(true);
                self.text.append_value(values.join(TEXT_SEPARATOR));
            }
            None => {
                self.list.append(false);
                self.text.append_null();
            }
        }
    }
}

/// `List<Struct<dataset_id, role>>`.
struct DatasetRoles(ListBuilder<StructBuilder>);

impl DatasetRoles {
    fn new() -> Self {
        DatasetRoles(ListBuilder::new(StructBuilder::from_fields(
            dataset_role_fields(),
            0,
        )))
    }

    fn append(&mut self, values: Option<&[DatasetRole]>) {
        let Some(values) = values else {
            self.0.append(false);
            return;
        };
        let entries = self.0.values();
        for v in values {
            entries
                .field_builder::<Int32Builder>(0)
                .expect("dataset_id is Int32")
                .append_option(v.dataset_id);
            entries
                .field_builder::<StringBuilder>(1)
                .expect("role is Utf8")
                .append_option(v.role.as_deref());
            entries.append(true);
        }
        self.0.append(true);
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// Builds `user_snapshots` and `user_snapshot_datasets` of one day, page by page.
pub struct SnapshotBuilder {
    day: i32,
    rows: usize,
    id: Int32Builder,
    name: StringBuilder,
    email: StringBuilder,
    created_at: TimestampMicrosecondBuilder,
    enabled: BooleanBuilder,
    roles: TextList,
    datasets: DatasetRoles,
    flat_rows: usize,
    flat_user: Int32Builder,
    flat_email: StringBuilder,
    flat_dataset: Int32Builder,
    flat_role: StringBuilder,
}

impl SnapshotBuilder {
    pub fn new(date: NaiveDate) -> Self {
        SnapshotBuilder {
            day: date32(date),
            rows: 0,
            id: Int32Builder::new(),
            name: StringBuilder::new(),
            email: StringBuilder::new(),
            created_at: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            enabled: BooleanBuilder::new(),
            roles: TextList::new(),
            datasets: DatasetRoles::new(),
            flat_rows: 0,
            flat_user: Int32Builder::new(),
            flat_email: StringBuilder::new(),
            flat_dataset: Int32Builder::new(),
            flat_role: StringBuilder::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn append(&mut self, user: &UserSnapshot) {
        self.rows += 1;
        self.id.append_option(user.id);
        self.name.append_option(user.name.as_deref());
        self.email.append_option(user.email.as_deref());
        self.created_at.append_option(user.created_at);
        self.enabled.append_option(user.enabled);
        self.roles.append(user.roles.as_deref());
        self.datasets.append(user.datasets.as_deref());
        for access in user.datasets.iter().flatten() {
            self.flat_rows += 1;
            self.flat_user.append_option(user.id);
            self.flat_email.append_option(user.email.as_deref());
            self.flat_dataset.append_option(access.dataset_id);
            self.flat_role.append_option(access.role.as_deref());
        }
    }

    /// (`user_snapshots`, `user_snapshot_datasets`).
    pub fn finish(mut self) -> Result<(RecordBatch, RecordBatch), IndicoError> {
        let day = self.day;
        let days = |n: usize| Arc::new(arrow_array::Date32Array::from(vec![day; n])) as ArrayRef;
        let users = RecordBatch::try_new(
            user_snapshots_schema(),
            vec![
                days(self.rows),
                Arc::new(self.id.finish()),
                Arc::new(self.name.finish()),
                Arc::new(self.email.finish()),
                Arc::new(self.created_at.finish()),
                Arc::new(self.enabled.finish()),
                Arc::new(self.roles.list.finish()),
                Arc::new(self.roles.text.finish()),
                self.datasets.finish(),
            ],
        )
        .map_err(arrow_error(USER_SNAPSHOTS))?;
        let flat = RecordBatch::try_new(
            user_snapshot_datasets_schema(),
            vec![
                days(self.flat_rows),
                Arc::new(self.flat_user.finish()),
                Arc::new(self.flat_email.finish()),
                Arc::new(self.flat_dataset.finish()),
                Arc::new(self.flat_role.finish()),
            ],
        )
        .map_err(arrow_error(USER_SNAPSHOT_DATASETS))?;
        Ok((users, flat))
    }
}

/// Builds `user_changelog` rows, page by page.
pub struct ChangelogBuilder {
    rows: usize,
    id: StringBuilder,
    date: TimestampMicrosecondBuilder,
    updated_at: TimestampMicrosecondBuilder,
    user_id: Int32Builder,
    user_email: StringBuilder,
    updated_by: Int32Builder,
    updater_email: StringBuilder,
    previously_enabled: BooleanBuilder,
    enabled: BooleanBuilder,
    previous_roles: TextList,
    roles: TextList,
    previous_datasets: DatasetRoles,
    datasets: DatasetRoles,
    changes_made: TextList,
}

impl Default for ChangelogBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangelogBuilder {
    pub fn new() -> Self {
        let time = || TimestampMicrosecondBuilder::new().with_timezone("UTC");
        ChangelogBuilder {
            rows: 0,
            id: StringBuilder::new(),
            date: time(),
            updated_at: time(),
            user_id: Int32Builder::new(),
            user_email: StringBuilder::new(),
            updated_by: Int32Builder::new(),
            updater_email: StringBuilder::new(),
            previously_enabled: BooleanBuilder::new(),
            enabled: BooleanBuilder::new(),
            previous_roles: TextList::new(),
            roles: TextList::new(),
            previous_datasets: DatasetRoles::new(),
            datasets: DatasetRoles::new(),
            changes_made: TextList::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Err when the entry has no `id`: the key that makes reruns idempotent.
    pub fn append(&mut self, entry: &UserChangelog) -> Result<(), String> {
        let Some(id) = entry.id.as_deref() else {
            return Err(format!(
                "a changelog entry without an id (user {:?}, date {:?})",
                entry.user_id, entry.date
            ));
        };
        self.rows += 1;
        self.id.append_value(id);
        self.date.append_option(entry.date);
        self.updated_at.append_option(entry.updated_at);
        self.user_id.append_option(entry.user_id);
        self.user_email.append_option(entry.user_email.as_deref());
        self.updated_by.append_option(entry.updated_by);
        self.updater_email
            .append_option(entry.updater_email.as_deref());
        self.previously_enabled
            .append_option(entry.previously_enabled);
        self.enabled.append_option(entry.enabled);
        self.previous_roles.append(entry.previous_roles.as_deref());
        self.roles.append(entry.roles.as_deref());
        self.previous_datasets
            .append(entry.previous_datasets.as_deref());
        self.datasets.append(entry.datasets.as_deref());
        self.changes_made.append(entry.changes_made.as_deref());
        Ok(())
    }

    pub fn finish(mut self) -> Result<RecordBatch, IndicoError> {
        RecordBatch::try_new(
            user_changelog_schema(),
            vec![
                Arc::new(self.id.finish()) as ArrayRef,
                Arc::new(self.date.finish()),
                Arc::new(self.updated_at.finish()),
                Arc::new(self.user_id.finish()),
                Arc::new(self.user_email.finish()),
                Arc::new(self.updated_by.finish()),
                Arc::new(self.updater_email.finish()),
                Arc::new(self.previously_enabled.finish()),
                Arc::new(self.enabled.finish()),
                Arc::new(self.previous_roles.list.finish()),
                Arc::new(self.roles.list.finish()),
                self.previous_datasets.finish(),
                self.datasets.finish(),
                Arc::new(self.changes_made.list.finish()),
                Arc::new(self.previous_roles.text.finish()),
                Arc::new(self.roles.text.finish()),
                Arc::new(self.changes_made.text.finish()),
            ],
        )
        .map_err(arrow_error(USER_CHANGELOG))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use arrow_array::Array;
    use serde_json::json;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()
    }

    #[test]
    fn snapshot_rows_nested_and_flat() {
        let users: Vec<UserSnapshot> = serde_json::from_value(json!([
            {"id": 1, "name": "Ann", "email": "ann@x", "createdAt": "2026-10-01T00:00:00Z",
             "enabled": true, "roles": ["TEAM_ADMIN", "DATA_STEWARD"],
             "datasets": [{"datasetId": 7, "role": "MANAGER"}, {"datasetId": 9, "role": "LABELER"}]},
            {"id": 2, "name": null, "email": "bo@x", "createdAt": 1_790_000_000,
             "enabled": false, "roles": [], "datasets": null}
        ]))
        .unwrap();
        let mut b = SnapshotBuilder::new(day());
        users.iter().for_each(|u| b.append(u));
        let (snap, flat) = b.finish().unwrap();
        assert_eq!((snap.num_rows(), flat.num_rows()), (2, 2));
        let text = snap
            .column_by_name("roles_text")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(text.value(0), "TEAM_ADMIN, DATA_STEWARD");
        assert_eq!(text.value(1), "");
        let datasets = snap.column_by_name("datasets").unwrap().as_list::<i32>();
        assert_eq!(datasets.value_length(0), 2);
        assert!(datasets.is_null(1), "a null list is not an empty one");
        let ids = flat
            .column_by_name("dataset_id")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!((ids.value(0), ids.value(1)), (7, 9));
        let days = flat.column_by_name("report_date").unwrap();
        assert_eq!(
            days.as_primitive::<arrow_array::types::Date32Type>()
                .value(0),
            date32(day())
        );
    }

    #[test]
    fn changelog_keeps_every_field_and_needs_an_id() {
        let entry: UserChangelog = serde_json::from_value(json!({
            "id": "1793700000_5", "date": 1_793_700_000, "updatedAt": "2026-11-03T09:20:00Z",
            "userId": 5, "userEmail": "e@x", "updatedBy": 1, "updaterEmail": "admin@x",
            "previouslyEnabled": true, "enabled": true,
            "previousRoles": ["TEAM_USER"], "roles": ["TEAM_USER", "REPORT_GENERATOR"],
            "previousDatasets": [], "datasets": [{"datasetId": 3, "role": "REVIEWER"}],
            "changesMade": ["APP_ROLE", "DATASET_ROLE"]
        }))
        .unwrap();
        let mut b = ChangelogBuilder::new();
        b.append(&entry).unwrap();
        let no_id: UserChangelog = serde_json::from_value(json!({"userId": 5})).unwrap();
        assert!(b.append(&no_id).is_err());
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), user_changelog_schema());
        let changes = batch
            .column_by_name("changes_made_text")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(changes.value(0), "APP_ROLE, DATASET_ROLE");
        let granted = batch
            .column_by_name("datasets")
            .unwrap()
            .as_list::<i32>()
            .value(0);
        let granted = granted.as_struct();
        assert_eq!(granted.column(0).as_primitive::<Int32Type>().value(0), 3);
    }

    #[test]
    fn summary_totals_and_roles() {
        let summary: UserSummary = serde_json::from_value(json!({
            "users": {"enabled": 10, "disabled": 2},
            "appRoles": [{"role": "TEAM_USER", "count": 9}, null, {"role": "NEW_ROLE", "count": 1}]
        }))
        .unwrap();
        let (totals, roles) = summary_batches(day(), Some(&summary)).unwrap();
        assert_eq!((totals.num_rows(), roles.num_rows()), (1, 2));
        let role = roles.column_by_name("role").unwrap().as_string::<i32>();
        assert_eq!(role.value(1), "NEW_ROLE");
    }
}
