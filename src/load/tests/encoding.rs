//! What the files look like to their readers: types, statistics, page index, sort
//! order, and which columns are dictionary-encoded.

use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::basic::{LogicalType, TimeUnit as PqTimeUnit, Type as PhysicalType};
use parquet::file::metadata::PageIndexPolicy;

use super::*;

#[test]
fn writes_partitions_readers_understand() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let batches = [
        batch(&[
            (5, "2026-03-08T10:00:00Z"),
            (1, "2026-03-09T01:00:00Z"),
            (3, "2026-03-08T09:00:00Z"),
        ]),
        batch(&[
            (2, "2026-03-08T23:59:59Z"),
            (4, "2026-03-08T00:00:00Z"),
            (6, "2026-03-09T00:00:00Z"),
        ]),
        batch(&[(7, "2026-03-08T09:00:00Z"), (8, "2026-03-09T05:00:00Z")]),
    ];
    let summary = write_all(&layout, options("run-a", 3), &batches);
    assert_eq!(
        (
            summary.rows_in,
            summary.rows_written,
            summary.rows_already_present
        ),
        (8, 8, 0)
    );
    let expected: BTreeMap<String, u64> = [
        (format!("event_date={DAY1}"), 5),
        (format!("event_date={DAY2}"), 3),
    ]
    .into_iter()
    .collect();
    assert_eq!(summary.partitions, expected);

    let partitions = list_partitions(&layout, "repo", "http_requests").unwrap();
    let counts: BTreeMap<String, u64> = partitions
        .iter()
        .map(|p| (p.name.clone(), p.rows))
        .collect();
    assert_eq!(counts, expected);
    assert_eq!(
        staged_leftovers(&layout, "run-a"),
        Vec::<String>::new(),
        "staging empty after commit"
    );

    for file in partitions.iter().flat_map(|p| &p.files) {
        let name = file.file_name().unwrap().to_string_lossy();
        assert_eq!(name, "part-0.parquet", "one file per partition");
        let reader = ParquetRecordBatchReaderBuilder::try_new_with_options(
            std::fs::File::open(file).unwrap(),
            ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required),
        )
        .unwrap();
        // Same arrow schema; the partition key only in the folder name.
        assert_eq!(reader.schema().fields(), schema().fields());
        assert!(reader.schema().field_with_name("event_date").is_err());
        let meta = reader.metadata();
        let column = meta.file_metadata().schema_descr().column(1);
        assert_eq!(column.physical_type(), PhysicalType::INT64);
        assert_eq!(
            column.logical_type_ref(),
            Some(&LogicalType::timestamp(true, PqTimeUnit::MICROS))
        );
        for rg in meta.row_groups() {
            let chunk = rg.column(1);
            assert!(
                chunk.column_index_offset().is_some() && chunk.offset_index_offset().is_some(),
                "page index"
            );
            assert!(
                chunk
                    .statistics()
                    .is_some_and(|s| s.min_bytes_opt().is_some()),
                "statistics"
            );
        }
        let kv = meta.file_metadata().key_value_metadata().unwrap();
        assert!(kv
            .iter()
            .any(|kv| kv.key == "usagelake.run_id" && kv.value.as_deref() == Some("run-a")));
        assert!(meta
            .file_metadata()
            .created_by()
            .unwrap()
            .starts_with("usagelake"));
        // Row groups: at most row_group_rows, and not one per incoming batch.
        let sizes: Vec<i64> = meta.row_groups().iter().map(|rg| rg.num_rows()).collect();
        assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
        assert_eq!(
            sizes.len(),
            (meta.file_metadata().num_rows() as usize).div_ceil(3)
        );
        for (ids, times) in read_row_groups(file) {
            let pairs: Vec<(i64, i64)> = times.into_iter().zip(ids).collect();
            assert!(
                pairs.windows(2).all(|w| w[0] <= w[1]),
                "sorted by (time, id): {pairs:?}"
            );
        }
    }
}

#[test]
fn dictionary_only_where_values_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    write_all(&layout, options("run-d", 100), &[day_batch(DAY1, 1, 50)]);
    let file = &files_of(&layout)[0];
    let meta = parquet_io::read_footer(file).unwrap();
    let group = meta.row_group(0);
    let is_dictionary = |name: &str| {
        let column = group
            .columns()
            .iter()
            .find(|c| c.column_path().string() == name)
            .unwrap_or_else(|| panic!("column {name}"));
        column.dictionary_page_offset().is_some()
    };
    assert!(!is_dictionary("id"), "the key is unique per row");
    assert!(
        !is_dictionary("created_at"),
        "timestamps are unique per row"
    );
    assert!(is_dictionary("controller"), "a low-cardinality text column");
}

#[test]
fn columns_the_source_names_unique_are_written_plain() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let opts = WriterOptions {
        plain_columns: vec!["controller".into(), "not_in_this_dataset".into()],
        ..options("run-p", 100)
    };
    write_all(&layout, opts, &[day_batch(DAY1, 1, 50)]);
    let meta = parquet_io::read_footer(&files_of(&layout)[0]).unwrap();
    let controller = meta
        .row_group(0)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "controller")
        .unwrap();
    assert!(controller.dictionary_page_offset().is_none());
}

#[test]
fn sorting_buffered_batches_matches_concat_then_sort() {
    let sort = parquet_io::SortSpec {
        time_column: "created_at".into(),
        key_column: "id".into(),
    };
    // Out of order within and across batches, a time tie broken by the key, and a NULL
    // time, which sorts first.
    let with_null = {
        let b = batch(&[(9, "2026-03-08T12:00:00Z"), (4, "2026-03-08T01:00:00Z")]);
        let times = TimestampMicrosecondArray::from(vec![None, Some(us("2026-03-08T01:00:00Z"))])
            .with_timezone("UTC");
        let mut columns = b.columns().to_vec();
        columns[1] = Arc::new(times);
        RecordBatch::try_new(schema(), columns).unwrap()
    };
    let batches = [
        day_batch(DAY1, 100, 30),
        batch(&[(7, "2026-03-08T05:00:00Z"), (3, "2026-03-08T05:00:00Z")]),
        with_null,
    ];
    assert!(!parquet_io::is_sorted_run(&batches, &sort));
    let sorted = parquet_io::sort_batches("t", &schema(), &batches, &sort).unwrap();
    let merged = arrow_select::concat::concat_batches(&schema(), &batches).unwrap();
    let expected = parquet_io::sort_batch("t", &merged, &sort).unwrap();
    assert_eq!(sorted, expected);
    assert_eq!(
        sorted
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0),
        9
    );
    assert!(parquet_io::is_sorted_run(&[sorted], &sort));
}
