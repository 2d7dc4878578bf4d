//! Writing one extracted batch through the lake writer, shared by the API kinds.

use arrow_array::RecordBatch;

use crate::config::Compression;
use crate::load::{DatasetWriter, LakeLayout, Partitioning, WriteSummary, WriterOptions};
use crate::sources::RunError;

/// Where a source's batches go and how they are encoded.
pub(crate) struct BatchTarget<'a> {
    pub layout: &'a LakeLayout,
    pub source_name: &'a str,
    pub compression: Compression,
    pub row_group_rows: usize,
    pub run_id: &'a str,
}

impl BatchTarget<'_> {
    /// Writes one batch into `dataset` and commits it, on a blocking thread (Parquet
    /// encoding and fsync), so the async workers keep fetching the next pages.
    pub async fn write(
        &self,
        dataset: &str,
        batch: RecordBatch,
        partitioning: Partitioning,
    ) -> Result<WriteSummary, RunError> {
        let layout = self.layout.clone();
        let (source_name, dataset_name) = (self.source_name.to_string(), dataset.to_string());
        let options = WriterOptions {
            compression: self.compression,
            row_group_rows: self.row_group_rows,
            max_open_partitions: 4,
            replace_while_null: None,
            ..WriterOptions::new(self.run_id)
        };
        let written = tokio::task::spawn_blocking(move || {
            let mut writer = DatasetWriter::open(
                &layout,
                &source_name,
                &dataset_name,
                batch.schema(),
                partitioning,
                options,
            )?;
            writer.write(&batch)?;
            writer.commit()
        })
        .await
        .map_err(|_| RunError::WriterLost {
            source_name: self.source_name.to_string(),
            dataset: dataset.to_string(),
        })?;
        written.map_err(|source| RunError::Load {
            source_name: self.source_name.to_string(),
            dataset: dataset.to_string(),
            source,
        })
    }
}
