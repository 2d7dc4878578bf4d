//! `IndicoReader`: one connected source, reading a day's summary, a day's snapshot, or
//! a range of changelog days as Arrow batches.

use arrow_array::RecordBatch;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::client::IndicoClient;
use super::config::IndicoSourceConfig;
use super::datasets::{summary_batches, ChangelogBuilder, SnapshotBuilder};
use super::graphql::{USER_CHANGELOG, USER_SNAPSHOT, USER_SUMMARY};
use super::paging::{read_pages, PagedRead};
use super::types::{ChangelogData, SnapshotData, SummaryData};
use super::IndicoError;

pub struct IndicoReader {
    client: IndicoClient,
    filters: Value,
    page_size: u32,
}

/// `Date` is `YYYY-MM-DD`.
fn date_value(date: NaiveDate) -> Value {
    Value::from(date.format("%Y-%m-%d").to_string())
}

impl IndicoReader {
    /// Resolves the token and exchanges it (a refused token fails here).
    pub async fn connect(config: &IndicoSourceConfig) -> Result<Self, IndicoError> {
        Ok(IndicoReader {
            client: IndicoClient::connect(config).await?,
            filters: config.filters(),
            page_size: config.page_size.max(1),
        })
    }

    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// `user_summary` and `user_summary_roles` at `date` 23:59 UTC. The summary has
    /// no filter argument: it always counts every user.
    pub async fn summary(
        &self,
        date: NaiveDate,
    ) -> Result<(RecordBatch, RecordBatch), IndicoError> {
        let data: SummaryData = self
            .client
            .query(
                USER_SUMMARY,
                json!({ "date": date_value(date) }),
                &format!("date {date}"),
            )
            .await?;
        summary_batches(date, data.user_summary.as_ref())
    }

    /// `user_snapshots` and `user_snapshot_datasets` at `date` 23:59 UTC.
    pub async fn snapshot(
        &self,
        date: NaiveDate,
    ) -> Result<(RecordBatch, RecordBatch), IndicoError> {
        let mut variables = Map::new();
        variables.insert("date".into(), date_value(date));
        variables.insert("filters".into(), self.filters.clone());
        let context = format!("date {date}");
        let mut builder = SnapshotBuilder::new(date);
        read_pages(
            &self.client,
            PagedRead {
                query: USER_SNAPSHOT,
                variables,
                page_size: self.page_size,
                context: &context,
            },
            |data: SnapshotData| data.user_snapshot,
            |users| {
                users.iter().for_each(|u| builder.append(u));
                Ok(())
            },
        )
        .await?;
        builder.finish()
    }

    /// How many users `userSnapshot` has at `date`: one page of one row
    /// (`aggregateCount`), for `check --connect`.
    pub async fn count_users(&self, date: NaiveDate) -> Result<i64, IndicoError> {
        let variables =
            json!({"date": date_value(date), "filters": self.filters, "limit": 1, "after": null});
        let data: SnapshotData = self
            .client
            .query(USER_SNAPSHOT, variables, &format!("date {date}, one row"))
            .await?;
        Ok(data
            .user_snapshot
            .and_then(|p| p.page_info)
            .and_then(|i| i.aggregate_count)
            .unwrap_or(0))
    }

    /// Every changelog entry dated `from` 00:00 UTC to `to` 23:59 UTC.
    pub async fn changelog(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<RecordBatch, IndicoError> {
        let mut variables = Map::new();
        variables.insert("sdate".into(), date_value(from));
        variables.insert("edate".into(), date_value(to));
        variables.insert("filters".into(), self.filters.clone());
        let context = format!("{from}..{to}");
        let mut builder = ChangelogBuilder::new();
        read_pages(
            &self.client,
            PagedRead {
                query: USER_CHANGELOG,
                variables,
                page_size: self.page_size,
                context: &context,
            },
            |data: ChangelogData| data.user_changelog,
            |entries| {
                for entry in &entries {
                    builder
                        .append(entry)
                        .map_err(|message| IndicoError::Response {
                            operation: USER_CHANGELOG.name,
                            context: context.clone(),
                            message,
                        })?;
                }
                Ok(())
            },
        )
        .await?;
        builder.finish()
    }
}
