//! `usagelake check --connect` for a `postgres` source: every table's relation and
//! columns matched against the catalog (the same checks a run makes: columns exist,
//! types are supported, the watermark, partition and key columns have usable types,
//! the auth mapping's columns exist), then one cheap read to prove SELECT works.

use super::relation::{self, Watermark};
use super::{open_session, PostgresSource};
use crate::postgres::RowRange;
use crate::sources::pg_tables::check::table_line;
use crate::sources::RunError;

/// Prints one line per table; returns how many cannot be read as configured.
pub(crate) async fn check_connect(source: &PostgresSource, quiet: bool) -> Result<usize, RunError> {
    let mut problems = 0;
    for table in &source.tables {
        let session = open_session(source).await?;
        let checked = match relation::resolve(&session, table, &source.connection.user).await {
            Ok(archive) => {
                // Key bounds are one index probe; a view or a log read by time gets a
                // count of nothing (`WHERE false`), which still needs SELECT.
                let readable = match archive.watermark {
                    Watermark::Key => session.key_bounds(&archive.table).await.map(|_| ()),
                    Watermark::Time { .. } => {
                        let mut probe = archive.table.clone();
                        probe.spec.row_filter = Some("false".into());
                        session.count_rows(&probe, &RowRange::All).await.map(|_| ())
                    }
                };
                Ok(readable.map(|()| {
                    format!(
                        "ok ({}, {} columns, new rows by {} column `{}`)",
                        archive.relation(),
                        archive.table.present.len(),
                        match archive.watermark {
                            Watermark::Key => "id",
                            Watermark::Time { .. } => "timestamp",
                        },
                        table.incremental_by,
                    )
                }))
            }
            Err(e) => Err(e),
        };
        let line = table_line(checked, &mut problems);
        let _ = session.finish().await;
        if !quiet {
            println!("  {}/{}: {line}", source.name, table.dataset);
        }
    }
    Ok(problems)
}
