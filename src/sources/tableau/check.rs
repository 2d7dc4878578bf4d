//! `usagelake check --connect` for a tableau source: one snapshot, every selected table
//! resolved against the server's columns, and its key bounds read (an index probe) to
//! prove it is readable.

use super::{open_session, tables, TableauSource};
use crate::postgres::TableKind;
use crate::sources::pg_tables::check::table_line;
use crate::sources::RunError;

/// Prints one line per dataset; returns how many cannot be read.
pub(crate) async fn check_connect(source: &TableauSource, quiet: bool) -> Result<usize, RunError> {
    let session = open_session(source).await?;
    let mut problems = 0;
    for dataset in source.datasets() {
        let spec = tables::table_spec(dataset, source.include_incomplete_jobs)
            .expect("validated dataset name");
        let checked = match session.resolve(&spec).await {
            Ok(None) => Ok(Ok("absent on this server (optional, skipped)".to_string())),
            Ok(Some(table)) => {
                // Reading the key bounds proves the table is readable, cheaply (index).
                let readable = match &table.spec.kind {
                    TableKind::Event { .. } => session.key_bounds(&table).await.map(|_| ()),
                    TableKind::Snapshot | TableKind::Log => Ok(()),
                };
                Ok(readable.map(|()| {
                    format!(
                        "ok ({} columns, {} optional missing, {} unknown ignored)",
                        table.present.len(),
                        table.missing.len(),
                        table.ignored.len()
                    )
                }))
            }
            Err(e) => Err(e),
        };
        let line = table_line(checked, &mut problems);
        if !quiet {
            println!("  {}/{dataset}: {line}", source.name);
        }
    }
    session.finish().await.map_err(|e| RunError::Session {
        source_name: source.name.clone(),
        what: "closing the snapshot transaction",
        source: Box::new(e),
    })?;
    Ok(problems)
}
