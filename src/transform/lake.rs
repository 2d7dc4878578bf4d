//! Reading lake partitions back for derived datasets. Writing them goes through
//! `load::PartitionPublisher` (load is the only lake writer).

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use super::TransformError;
use crate::config::Output;
use crate::load::{
    dictionary_hint, list_partitions, LakeLayout, PartitionInfo, PartitionPublisher,
};

const READ_BATCH_ROWS: usize = 64 * 1024;

/// Every row of `files`, in file order.
pub fn read_files(files: &[PathBuf]) -> Result<Vec<RecordBatch>, TransformError> {
    let mut batches = Vec::new();
    for path in files {
        let read_err = |e: &dyn std::fmt::Display| TransformError::Read {
            path: path.clone(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|e| read_err(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| read_err(&e))?
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| read_err(&e))?;
        for batch in reader {
            batches.push(batch.map_err(|e| read_err(&e))?);
        }
    }
    Ok(batches)
}

/// The named columns of every row of `files`, in that column order (a file lacking one
/// is an error naming it).
pub fn read_files_columns(
    files: &[PathBuf],
    names: &[&str],
) -> Result<Vec<RecordBatch>, TransformError> {
    read_files_columns_as_dictionaries(files, names, &[])
}

/// As [`read_files_columns`], with the text columns named in `dictionaries` read as Arrow
/// dictionaries (`Dictionary(Int32, Utf8)`) from the files that store them
/// dictionary-encoded: the reader then hands over each distinct value once and integer
/// keys per row, instead of copying every row's string. Files that stored a column plain
/// (or another type) give it as stored; callers accept both.
pub fn read_files_columns_as_dictionaries(
    files: &[PathBuf],
    names: &[&str],
    dictionaries: &[&str],
) -> Result<Vec<RecordBatch>, TransformError> {
    let mut batches = Vec::new();
    for path in files {
        let read_err = |e: &dyn std::fmt::Display| TransformError::Read {
            path: path.clone(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|e| read_err(&e))?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| read_err(&e))?;
        let metadata = dictionary_hint(metadata, dictionaries);
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata);
        let schema = builder.schema().clone();
        let indices = names
            .iter()
            .map(|n| schema.index_of(n).map_err(|e| read_err(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), indices);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| read_err(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| read_err(&e))?;
            // The projection keeps file order; put the columns in the asked order.
            let order = names
                .iter()
                .map(|n| batch.schema().index_of(n).map_err(|e| read_err(&e)))
                .collect::<Result<Vec<_>, _>>()?;
            batches.push(batch.project(&order).map_err(|e| read_err(&e))?);
        }
    }
    Ok(batches)
}

/// All rows of `files` as one batch (`None` when there are no files).
pub fn read_concat(files: &[PathBuf]) -> Result<Option<RecordBatch>, TransformError> {
    let batches = read_files(files)?;
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let schema = first.schema();
    arrow_select::concat::concat_batches(&schema, &batches)
        .map(Some)
        .map_err(|e| TransformError::Read {
            path: files[0].clone(),
            message: e.to_string(),
        })
}

/// The partitions of `source/dataset` (an error names the dataset).
pub fn partitions(
    layout: &LakeLayout,
    source: &str,
    dataset: &str,
) -> Result<Vec<PartitionInfo>, TransformError> {
    list_partitions(layout, source, dataset).map_err(|e| TransformError::List {
        dataset: format!("{source}/{dataset}"),
        source: e,
    })
}

/// The partitions of `raw` whose days of the `derived` datasets must be rebuilt: those
/// in `written` (the raw days a run changed) and those no derived dataset has a file
/// for yet (a lake from before the derived datasets, or a run that died before its
/// rebuild). The raw datasets only grow, so other days cannot change.
pub fn partitions_to_rebuild(
    layout: &LakeLayout,
    source: &str,
    raw: &str,
    derived: &[&str],
    written: impl Fn(&str) -> bool,
) -> Result<Vec<PartitionInfo>, TransformError> {
    let mut built = HashSet::new();
    for dataset in derived {
        built.extend(
            partitions(layout, source, dataset)?
                .into_iter()
                .filter(|p| !p.files.is_empty())
                .map(|p| p.name),
        );
    }
    Ok(partitions(layout, source, raw)?
        .into_iter()
        .filter(|p| written(&p.name) || !built.contains(&p.name))
        .collect())
}

/// The publisher that replaces whole days of a source's derived `dataset`.
pub fn derived_publisher<'a>(
    layout: &'a LakeLayout,
    source: &'a str,
    dataset: &'a str,
    run_id: &'a str,
    output: &Output,
) -> PartitionPublisher<'a> {
    PartitionPublisher {
        layout,
        source,
        dataset,
        run_id,
        compression: output.compression,
        row_group_rows: output.row_group_rows,
        sort: None,
        plain_columns: &[],
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::cast::AsArray;
    use arrow_array::{ArrayRef, StringArray};
    use arrow_schema::DataType;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use parquet::schema::types::ColumnPath;

    use super::*;

    #[test]
    fn dictionary_encoded_text_is_read_as_a_dictionary_and_plain_text_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part-0.parquet");
        let column = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        let batch = RecordBatch::try_from_iter([
            ("machine", column(&["ws1", "ws2", "ws1"])),
            ("user", column(&["ann", "bob", "ann"])),
            ("note", column(&["a", "b", "c"])),
        ])
        .unwrap();
        let props = WriterProperties::builder()
            .set_column_dictionary_enabled(ColumnPath::from("user"), false)
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), Some(props))
                .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let read = read_files_columns_as_dictionaries(
            std::slice::from_ref(&path),
            &["user", "machine"],
            &["machine", "user"],
        )
        .unwrap();
        let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        assert_eq!(read[0].column(1).data_type(), &dictionary, "machine");
        assert_eq!(
            read[0].column(0).data_type(),
            &DataType::Utf8,
            "user was stored plain"
        );
        let machines = read[0].column(1).as_any_dictionary();
        assert_eq!(machines.values().len(), 2, "one value per distinct machine");
        // Without the wish list, text stays text.
        let plain = read_files_columns(&[path], &["machine"]).unwrap();
        assert_eq!(plain[0].column(0).as_string::<i32>().value(2), "ws1");
    }
}
