//! Text merge keys (a changelog whose `id` is a string): reruns, overlaps, evictions
//! and compaction keep each key once, as with integer keys.

use std::collections::BTreeMap;

use super::*;

fn text_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("user_id", DataType::Int32, true),
    ]))
}

/// Rows keyed `"<epoch>_<user>"` for users `users` on `day` at hour `user % 24`.
fn text_batch(day: &str, users: std::ops::Range<i32>) -> RecordBatch {
    let times: Vec<i64> = users
        .clone()
        .map(|u| us(&format!("{day}T{:02}:00:00Z", u % 24)))
        .collect();
    let ids: Vec<String> = users
        .clone()
        .zip(&times)
        .map(|(u, t)| format!("{}_{u}", t / 1_000_000))
        .collect();
    RecordBatch::try_new(
        text_schema(),
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(TimestampMicrosecondArray::from(times).with_timezone("UTC")),
            Arc::new(arrow_array::Int32Array::from_iter_values(users)),
        ],
    )
    .unwrap()
}

fn write_text(layout: &LakeLayout, opts: WriterOptions, batches: &[RecordBatch]) -> WriteSummary {
    let partitioning = Partitioning::EventDate {
        time_column: "date".into(),
        key_column: "id".into(),
        tz: Tz::UTC,
    };
    let mut w = DatasetWriter::open(
        layout,
        "api",
        "user_changelog",
        text_schema(),
        partitioning,
        opts,
    )
    .unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.commit().unwrap()
}

/// Every key in the dataset with how often it occurs, and the number of files.
fn text_keys(layout: &LakeLayout) -> (BTreeMap<String, usize>, usize) {
    let mut keys = BTreeMap::new();
    let mut files = 0;
    for partition in list_partitions(layout, "api", "user_changelog").unwrap() {
        for file in partition.files {
            files += 1;
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let ids = batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap();
                for id in ids.iter().flatten() {
                    *keys.entry(id.to_string()).or_default() += 1;
                }
            }
        }
    }
    (keys, files)
}

#[test]
fn reruns_overlaps_and_evictions_keep_each_text_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let first = write_text(&layout, options("run-a", 1000), &[text_batch(DAY1, 0..50)]);
    assert_eq!(first.rows_written, 50);
    // A rerun of the same day plus an overlap into the next, one row repeated in-batch.
    let overlap = [
        text_batch(DAY1, 40..60),
        text_batch(DAY2, 0..10),
        text_batch(DAY1, 59..60),
    ];
    let opts = WriterOptions {
        max_open_partitions: 1,
        ..options("run-b", 1000)
    };
    let second = write_text(&layout, opts, &overlap);
    assert_eq!((second.rows_written, second.rows_already_present), (20, 11));
    let (keys, _) = text_keys(&layout);
    assert_eq!(keys.len(), 70);
    assert!(keys.values().all(|n| *n == 1), "a key twice: {keys:?}");
}

#[test]
fn rewrites_merge_text_keyed_runs_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let opts = |run: &str| options(run, 1000);
    for (i, users) in [0..10, 10..20, 5..30].into_iter().enumerate() {
        write_text(
            &layout,
            opts(&format!("run-{i}")),
            &[text_batch(DAY1, users)],
        );
    }
    let (keys, files) = text_keys(&layout);
    assert_eq!(keys.len(), 30);
    assert!(keys.values().all(|n| *n == 1));
    assert_eq!(files, 1, "three files compacted into one");
    // Sorted by (date, id) inside the compacted file.
    let partition = &list_partitions(&layout, "api", "user_changelog").unwrap()[0];
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&partition.files[0]).unwrap())
            .unwrap()
            .build()
            .unwrap();
    let mut last = (i64::MIN, String::new());
    for batch in reader {
        let batch = batch.unwrap();
        let ids = batch
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let times = batch
            .column(1)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        for i in 0..batch.num_rows() {
            let row = (times.value(i), ids.value(i).to_string());
            assert!(row >= last, "{row:?} after {last:?}");
            last = row;
        }
    }
}

#[test]
fn other_key_types_are_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Float64, false),
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ]));
    let partitioning = Partitioning::EventDate {
        time_column: "date".into(),
        key_column: "id".into(),
        tz: Tz::UTC,
    };
    let err = DatasetWriter::open(
        &LakeLayout::new(dir.path()),
        "s",
        "d",
        schema,
        partitioning,
        options("r", 10),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("Int64, Int32 or Utf8"), "{err}");
}
