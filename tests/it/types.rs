//! Every type in the type table, against a real server whose TimeZone is not UTC (the
//! harness sets one), decoded exactly and then written to Parquet and read back unchanged.

use std::str::FromStr;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use futures_util::TryStreamExt;

use usagelake::config::{Compression, Secret, SslMode};
use usagelake::load::{DatasetWriter, LakeLayout, Partitioning, WriterOptions};
use usagelake::postgres::*;

use crate::support::lake::{parquet_files, read_batches};
use crate::support::pg::TestDb;

const TABLE: &str = "usagelake_live_every_type";

fn options(url: &str, sslmode: SslMode) -> ConnectOptions {
    let config =
        tokio_postgres::Config::from_str(url).expect("USAGELAKE_TEST_PG_URL is a postgres:// URL");
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    ConnectOptions {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        database: config.get_dbname().unwrap_or("postgres").into(),
        user: config.get_user().unwrap_or("postgres").into(),
        password: config
            .get_password()
            .map(|p| Secret::new(String::from_utf8_lossy(p))),
        sslmode,
        root_cert_file: None,
        connect_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(3600),
        idle_in_transaction_timeout: Duration::from_secs(600),
        application_name: "usagelake-test".into(),
    }
}

fn col(name: &str, pg_type: PgType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        pg_type,
        is_required: true,
    }
}

fn spec() -> TableSpec {
    use PgType::*;
    let mut columns = vec![
        col("id", Int8),    // int4 on the server: widened
        col("small", Int4), // int2 on the server: widened
        col("i4", Int4),
        col("big", Int8),
        col("f4", Float4),
        col("f8", Float8),
        col("b", Bool),
        col("t", Text),
        col("vc", Text),
        col("bp", Text),
        col("nm", Text),
        col("ts", Timestamp),
        col("tstz", TimestampTz),
        col("d", Date),
        col("u", Uuid),
        col("n", Numeric),
        col("j", Jsonb), // json on the server
        col("jb", Json), // jsonb on the server
        col("ta", TextArray),
        col("ia", Int4Array),
        col("la", Int8Array),
        col("index", Int4),
    ];
    columns.push(ColumnSpec {
        name: "absent".into(),
        pg_type: Text,
        is_required: false,
    });
    TableSpec {
        dataset: "every_type".into(),
        schema: "public".into(),
        table: TABLE.into(),
        columns,
        kind: TableKind::Event {
            key: "id".into(),
            time: "ts".into(),
            pending: Some("b IS NOT TRUE".into()),
            pending_column: None,
        },
        is_optional: false,
        row_filter: None,
    }
}

const SETUP: &str = r#"
DROP TABLE IF EXISTS public.usagelake_live_every_type;
CREATE TABLE public.usagelake_live_every_type (
  id int4, small int2, i4 int4, big int8, f4 real, f8 double precision, b boolean,
  t text, vc varchar(20), bp char(3), nm name, ts timestamp, tstz timestamptz, d date,
  u uuid, n numeric, j json, jb jsonb, ta text[], ia int4[], la int8[], "index" int4,
  hashed_password text, ip inet);
INSERT INTO public.usagelake_live_every_type VALUES
  (1, -2, 2147483647, 9007199254740993, 1.5, -0.1, true, 'Zürich ✓', 'vc', 'ab', 'nm',
   '2026-03-08 02:30:00', '2026-03-08 02:30:00+00', '1999-12-31',
   'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '-1.50', '{"a": [1, 2]}', '{"b": 1}',
   ARRAY['x', NULL, 'ü'], ARRAY[7, NULL], ARRAY[NULL, -1]::int8[], 3, 'secret', '10.0.0.1'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   '1999-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999+00', NULL,
   NULL, '0.00000000000000000001', NULL, NULL, '{}', NULL, NULL, NULL, NULL, NULL),
  (3, 0, 0, 0, 0, 0, false, '', '', '', '', '2026-11-01 08:59:59', NULL, NULL,
   NULL, '123456789012345678901234567890.123', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, '2026-03-08 03:00:00', NULL, NULL,
   NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"#;

/// µs since the Unix epoch of a UTC wall time.
fn utc_us(text: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .unwrap()
        .and_utc()
        .timestamp_micros()
}

#[tokio::test]
async fn every_type_decodes_exactly_and_round_trips_through_parquet() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    let admin = &db.client;
    admin.batch_execute(SETUP).await.unwrap();
    let server_zone: String = admin.query_one("SHOW TimeZone", &[]).await.unwrap().get(0);
    println!("server TimeZone = {server_zone}");

    let mut session = PgSession::connect(&options(&url, SslMode::Disable))
        .await
        .unwrap();
    session.begin_snapshot().await.unwrap();
    let table = session.resolve(&spec()).await.unwrap().unwrap();
    assert_eq!(table.missing, ["absent"]);
    assert_eq!(table.ignored, ["hashed_password", "ip"]);
    assert_eq!(table.present[0].1, PgType::Int4);

    let batches: Vec<RecordBatch> = session
        .copy_batches(&table, &RowRange::All, 3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        [3, 1]
    );
    let all = arrow_select::concat::concat_batches(&table.schema, &batches).unwrap();
    assert_parquet_round_trip(&table, &all);
    let ids: Vec<i64> = all.column(0).as_primitive::<Int64Type>().values().to_vec();
    let row = |id: i64| ids.iter().position(|&x| x == id).unwrap();
    let (r1, r2, r3, r4) = (row(1), row(2), row(3), row(4));
    let c = |name: &str| all.column_by_name(name).unwrap().clone();

    assert_eq!(c("small").as_primitive::<Int32Type>().value(r1), -2);
    assert!(c("small").is_null(r2));
    assert_eq!(c("i4").as_primitive::<Int32Type>().value(r1), i32::MAX);
    assert_eq!(
        c("big").as_primitive::<Int64Type>().value(r1),
        9_007_199_254_740_993
    );
    assert_eq!(c("f4").as_primitive::<Float32Type>().value(r1), 1.5);
    assert_eq!(c("f8").as_primitive::<Float64Type>().value(r1), -0.1);
    assert!(c("b").as_boolean().value(r1) && !c("b").as_boolean().value(r3));
    assert_eq!(c("t").as_string::<i32>().value(r1), "Zürich ✓");
    assert_eq!(c("vc").as_string::<i32>().value(r1), "vc");
    assert_eq!(
        c("bp").as_string::<i32>().value(r1),
        "ab ",
        "bpchar keeps its padding"
    );
    assert_eq!(c("nm").as_string::<i32>().value(r1), "nm");
    assert_eq!(c("t").as_string::<i32>().value(r3), "");
    assert!(c("t").is_null(r2));

    // Naive timestamps come back exactly as stored, whatever the server TimeZone:
    // 02:30 on 2026-03-08 does not exist in Los Angeles and must not move.
    let ts = c("ts");
    let ts = ts.as_primitive::<TimestampMicrosecondType>();
    assert_eq!(ts.value(r1), utc_us("2026-03-08 02:30:00"));
    assert_eq!(ts.value(r2), utc_us("1999-12-31 23:59:59.999999"));
    assert_eq!(ts.value(r3), utc_us("2026-11-01 08:59:59"));
    let tstz = c("tstz");
    let tstz = tstz.as_primitive::<TimestampMicrosecondType>();
    assert_eq!(tstz.value(r1), utc_us("2026-03-08 02:30:00"));
    assert_eq!(tstz.value(r2), -1);
    assert_eq!(c("d").as_primitive::<Date32Type>().value(r1), 10_956);
    assert_eq!(
        c("u").as_string::<i32>().value(r1),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    );
    let n = c("n");
    let n = n.as_string::<i32>();
    assert_eq!(
        [n.value(r1), n.value(r2), n.value(r3), n.value(r4)],
        [
            "-1.50",
            "0.00000000000000000001",
            "123456789012345678901234567890.123",
            "NaN"
        ]
    );
    assert_eq!(c("j").as_string::<i32>().value(r1), r#"{"a": [1, 2]}"#);
    assert_eq!(c("jb").as_string::<i32>().value(r1), r#"{"b": 1}"#);
    let ta = c("ta");
    let ta = ta.as_list::<i32>();
    let first = ta.value(r1);
    let first = first.as_string::<i32>();
    assert_eq!(
        (first.value(0), first.is_null(1), first.value(2)),
        ("x", true, "ü")
    );
    assert!(ta.is_valid(r2) && ta.value(r2).is_empty() && ta.is_null(r3));
    let ia = c("ia");
    let ia = ia.as_list::<i32>().value(r1);
    assert_eq!(
        ia.as_primitive::<Int32Type>().iter().collect::<Vec<_>>(),
        [Some(7), None]
    );
    let la = c("la");
    let la = la.as_list::<i32>().value(r1);
    assert_eq!(
        la.as_primitive::<Int64Type>().iter().collect::<Vec<_>>(),
        [None, Some(-1)]
    );
    assert_eq!(c("index").as_primitive::<Int32Type>().value(r1), 3);
    assert_eq!(c("absent").null_count(), 4);

    // [02:00, 03:00) UTC on the naive column holds row 1 only (03:00 is excluded). Had
    // either side been cast to timestamptz in Los Angeles, the window would move.
    let range = RowRange::TimeBetween {
        from_us: utc_us("2026-03-08 02:00:00"),
        to_us: utc_us("2026-03-08 03:00:00"),
    };
    assert_eq!(session.count_rows(&table, &range).await.unwrap(), 1);
    let in_range: Vec<RecordBatch> = session
        .copy_batches(&table, &range, 10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        in_range[0]
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .to_vec(),
        [1]
    );

    assert_eq!(
        session
            .count_rows(&table, &RowRange::KeyAbove(2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        session.key_bounds(&table).await.unwrap(),
        (Some(1), Some(4))
    );
    assert_eq!(session.min_pending_key(&table).await.unwrap(), Some(2));

    // The snapshot: a row committed meanwhile is invisible until the next run.
    admin
        .batch_execute(&format!("INSERT INTO public.{TABLE} (id) VALUES (5)"))
        .await
        .unwrap();
    assert_eq!(session.count_rows(&table, &RowRange::All).await.unwrap(), 4);
    assert_eq!(session.key_bounds(&table).await.unwrap().1, Some(4));

    // Catalog errors name table and column.
    let mut s = spec();
    s.columns.push(col("hashed_password", PgType::Text));
    assert!(matches!(
        session.resolve(&s).await,
        Err(ExtractError::SecretColumn { .. })
    ));
    let mut s = spec();
    s.columns[3] = col("big", PgType::Int4);
    assert!(
        matches!(session.resolve(&s).await, Err(ExtractError::TypeMismatch { ref column, .. }) if column == "big")
    );
    let mut s = spec();
    s.columns.push(col("ip", PgType::Text));
    assert!(
        matches!(session.resolve(&s).await, Err(ExtractError::UnsupportedType { ref type_name, .. }) if type_name == "inet")
    );
    let mut s = spec();
    s.table = "no_such_table".into();
    assert!(matches!(
        session.resolve(&s).await,
        Err(ExtractError::MissingTable { .. })
    ));
    s.is_optional = true;
    assert!(session.resolve(&s).await.unwrap().is_none());
    session.finish().await.unwrap();

    // sslmode=require: encrypted when the server offers TLS, an error when it does not.
    let server_ssl: String = admin.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    let tls = PgSession::connect(&options(&url, SslMode::Require)).await;
    match (server_ssl.as_str(), tls) {
        // The private test cluster runs without TLS; a server with it must accept.
        ("on", Ok(s)) => s.finish().await.unwrap(),
        ("off", Err(ExtractError::Connect { .. })) => {}
        (ssl, other) => panic!("ssl={ssl} but require gave {:?}", other.map(|_| ())),
    }
    admin
        .batch_execute(&format!("DROP TABLE public.{TABLE}"))
        .await
        .unwrap();
}

/// Writes the batch as a snapshot partition and reads it back with the parquet crate's
/// Arrow reader: same schema (no partition column inside), same values.
fn assert_parquet_round_trip(table: &ResolvedTable, all: &RecordBatch) {
    let dir = tempfile::tempdir().unwrap();
    let layout = LakeLayout::new(dir.path());
    let mut options = WriterOptions::new("types-test");
    options.compression = Compression::Zstd(3);
    let partitioning = Partitioning::SnapshotDate {
        date: "2026-11-27".parse().unwrap(),
    };
    let mut writer = DatasetWriter::open(
        &layout,
        "src",
        "every_type",
        table.schema.clone(),
        partitioning,
        options,
    )
    .unwrap();
    writer.write(all).unwrap();
    writer.commit().unwrap();
    let files = parquet_files(dir.path());
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("src/every_type/snapshot_date=2026-11-27/part-0.parquet"));
    let back = read_batches(&files[0]);
    let back = arrow_select::concat::concat_batches(&back[0].schema(), &back).unwrap();
    assert_eq!(
        back.schema(),
        table.schema,
        "schema changed through Parquet"
    );
    assert_eq!(&back, all, "values changed through Parquet");
}
