//! The benchmark's PostgreSQL: a private cluster whose data directory lives in the work
//! dir, so a second `usagelake bench` with the same `--rows/--days` skips the
//! generation (10M rows take about a minute and 4 GB).
//!
//! Everything goes through `psql` (synchronous, and the same client the floor uses).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::pgcluster::{ClusterOptions, PgCluster};
use crate::sources::tableau::tables;

pub const DATABASE: &str = "bench";
const SCHEMA_SQL: &str = include_str!("../../sql/demo/tableau_schema.sql");
const BENCH_SQL: &str = include_str!("../../sql/bench/http_requests.sql");
/// The generated month; fixed so that event dates are the same every time.
pub const FIRST_DAY: &str = "2026-10-01";

pub struct BenchDatabase {
    pub cluster: PgCluster,
    psql: PathBuf,
}

impl BenchDatabase {
    pub fn start(work_dir: &Path) -> anyhow::Result<Self> {
        let options = ClusterOptions {
            data_dir: Some(work_dir.join("pgdata")),
            ..ClusterOptions::ephemeral()
        };
        let cluster = PgCluster::start(options).context("starting the private PostgreSQL")?;
        let psql = which("psql").context("the benchmark needs `psql` (PostgreSQL client)")?;
        Ok(Self { cluster, psql })
    }

    pub fn psql(&self) -> &Path {
        &self.psql
    }

    /// `psql` arguments that connect to the bench database, without `.psqlrc` (-X).
    pub fn psql_args(&self, database: &str) -> Vec<String> {
        vec![
            "-X".into(),
            "-q".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-h".into(),
            self.cluster.host().into(),
            "-p".into(),
            self.cluster.port().to_string(),
            "-U".into(),
            "postgres".into(),
            "-d".into(),
            database.into(),
        ]
    }

    /// Runs SQL and returns psql's unaligned, tuples-only output.
    pub fn sql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(&self.psql)
            .args(self.psql_args(database))
            .args(["-A", "-t", "-c", sql])
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!(
                "psql failed on `{}`: {}",
                sql.chars().take(200).collect::<String>(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Makes `http_requests` hold exactly ids 1..=rows over `days` days: reuses an
    /// earlier generation of the same shape (dropping rows a previous bench appended),
    /// else generates. Returns whether it generated.
    pub fn prepare(&self, rows: u64, days: u32) -> anyhow::Result<bool> {
        let exists = self.sql(
            "postgres",
            &format!("SELECT count(*) FROM pg_database WHERE datname = '{DATABASE}'"),
        )? == "1";
        if !exists {
            self.sql("postgres", &format!("CREATE DATABASE {DATABASE}"))?;
        }
        let has_meta = self.sql(
            DATABASE,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'usagelake_bench_meta'",
        )? == "1";
        if has_meta {
            let meta = self.sql(
                DATABASE,
                "SELECT rows || ',' || days FROM usagelake_bench_meta",
            )?;
            if meta == format!("{rows},{days}") {
                // Appended rows of the previous bench go; VACUUM keeps the scan size equal.
                self.sql(
                    DATABASE,
                    &format!("DELETE FROM http_requests WHERE id > {rows}"),
                )?;
                self.sql(DATABASE, "VACUUM ANALYZE http_requests")?;
                return Ok(false);
            }
        } else {
            self.load_file(SCHEMA_SQL, "schema")?;
            self.sql(
                DATABASE,
                "CREATE TABLE usagelake_bench_meta (rows bigint, days int)",
            )?;
        }
        self.load_file(BENCH_SQL, "bench functions")?;
        self.sql(DATABASE, "DELETE FROM usagelake_bench_meta")?;
        self.sql(
            DATABASE,
            &format!("SELECT usagelake_bench_generate({rows}, DATE '{FIRST_DAY}', {days})"),
        )?;
        // The generator ANALYZEs too; VACUUM also sets the visibility map, so the first
        // timed scan does not pay for setting hint bits on 4 GB of pages.
        self.sql(DATABASE, "VACUUM ANALYZE http_requests")?;
        self.sql(
            DATABASE,
            &format!("INSERT INTO usagelake_bench_meta VALUES ({rows}, {days})"),
        )?;
        Ok(true)
    }

    fn load_file(&self, sql: &str, what: &str) -> anyhow::Result<()> {
        let output = Command::new(&self.psql)
            .args(self.psql_args(DATABASE))
            .arg("-f")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("piped")
                    .write_all(sql.as_bytes())?;
                child.wait_with_output()
            })
            .with_context(|| format!("loading the {what}"))?;
        if !output.status.success() {
            bail!(
                "loading the {what}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

/// The columns `usagelake run` selects for http_requests, in its order: the floor
/// must move exactly the same bytes.
pub fn extract_columns() -> Vec<String> {
    tables::table_spec("http_requests", false)
        .expect("http_requests is a known dataset")
        .columns
        .into_iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect()
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}
