//! `usagelake bench`: times `usagelake run` on a generated `http_requests` against the
//! floor (the same COPY, drained by psql into /dev/null) and, optionally, peer tools.
//!
//! Everything that is compared runs in ONE invocation, on the same data, interleaved and
//! with the order reversed every other repetition: on a shared 2-core machine, load
//! drifts over minutes, and back-to-back blocks would bias whichever ran in a quiet
//! spell. Each measured command is a subprocess under `/usr/bin/time -v`, so peak RSS is
//! exactly that process's (our own harness and the server are not counted).

mod database;
mod measure;
mod report;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{BenchArgs, BenchFormat};
use database::{extract_columns, BenchDatabase, DATABASE};
use measure::{parquet_bytes, remove_dir_if_exists, Sample, Timer};
use report::{Report, Variant};

const FLOOR: &str = "floor: psql \\copy binary → /dev/null";
const FIRST: &str = "usagelake run (empty lake)";
const NOTHING_NEW: &str = "usagelake run again (nothing new)";
const FLOOR_NEW: &str = "floor for the 1% new rows";
const ONE_PERCENT: &str = "usagelake run (1% new rows)";
const PEERS: [(&str, &str); 4] = [
    (
        "DuckDB postgres ext → PARTITION_BY (2 threads)",
        "duckdb_postgres.py",
    ),
    (
        "ConnectorX stream → pyarrow dataset",
        "connectorx_pyarrow.py",
    ),
    (
        "polars read_database → partitioned write",
        "polars_read_database.py",
    ),
    (
        "pg2parquet, one query per day, two at a time",
        "pg2parquet_days.py",
    ),
];

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    let say = |line: String| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let work = std::path::absolute(&args.work_dir).context("resolving --work-dir")?;
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let exe = std::env::current_exe().context("finding the usagelake executable")?;
    say("Starting the private PostgreSQL…".into());
    let db = BenchDatabase::start(&work)?;
    let started = std::time::Instant::now();
    let generated = db.prepare(args.rows, args.days)?;
    say(format!(
        "{} {} http_requests rows over {} days ({:.0} s).",
        if generated { "Generated" } else { "Reusing" },
        args.rows,
        args.days,
        started.elapsed().as_secs_f64()
    ));

    let columns = extract_columns().join(", ");
    let select_all = format!("SELECT {columns} FROM http_requests");
    let select_new = format!("{select_all} WHERE id > {}", args.rows);
    let timer = Timer {
        log_dir: work.join("logs"),
    };
    let floor = |label: &str, select: &str| -> anyhow::Result<Sample> {
        let mut argv = db.psql_args(DATABASE);
        argv.push("-c".into());
        argv.push(format!(
            "\\copy ({select}) TO '/dev/null' WITH (FORMAT binary)"
        ));
        timer.run(label, db.psql(), &argv)
    };
    let lake = |rep: usize| work.join(format!("lake-r{rep}"));
    let usagelake_run = |label: &str, rep: usize| -> anyhow::Result<Sample> {
        let pipeline = write_pipeline(&work, &lake(rep), db.cluster.port(), rep)?;
        let argv = vec!["-q".into(), "run".into(), pipeline.display().to_string()];
        timer.run(label, &exe, &argv)
    };
    let conn = db.cluster.url(DATABASE);
    let python = args.python.clone();
    let peer_run = |label: &str, script: &str, out: &Path| -> anyhow::Result<Sample> {
        remove_dir_if_exists(out)?;
        let argv = vec![
            peer_script(script).display().to_string(),
            "--conn".into(),
            conn.clone(),
            "--query".into(),
            select_all.clone(),
            "--out".into(),
            out.display().to_string(),
        ];
        let mut sample = timer.run(label, Path::new(&python), &argv)?;
        sample.output_bytes = Some(parquet_bytes(out));
        Ok(sample)
    };

    let variant = |name: &str, rows: Option<u64>, floor: Option<&str>| Variant {
        name: name.into(),
        rows,
        floor: floor.map(str::to_string),
        samples: Vec::new(),
        skipped: None,
    };
    let mut v_floor = variant(FLOOR, Some(args.rows), None);
    let mut v_first = variant(FIRST, Some(args.rows), Some(FLOOR));
    let mut v_again = variant(NOTHING_NEW, None, Some(FLOOR));
    let mut v_peers: Vec<Variant> = if args.peers {
        PEERS
            .iter()
            .map(|(name, _)| variant(name, Some(args.rows), Some(FLOOR)))
            .collect()
    } else {
        Vec::new()
    };
    let load_before = load_average();

    for rep in 0..args.reps {
        // 0 = floor, 1 = usagelake first + again, 2.. = peers; reversed on odd reps.
        let mut order: Vec<usize> = (0..2 + v_peers.len()).collect();
        if rep % 2 == 1 {
            order.reverse();
        }
        for item in order {
            match item {
                0 => push(
                    &say,
                    &mut v_floor,
                    rep,
                    floor(&format!("floor-r{rep}"), &select_all)?,
                ),
                1 => {
                    remove_dir_if_exists(&lake(rep))?;
                    let mut s = usagelake_run(&format!("first-r{rep}"), rep)?;
                    s.output_bytes = Some(parquet_bytes(&lake(rep)));
                    push(&say, &mut v_first, rep, s);
                    let s = usagelake_run(&format!("again-r{rep}"), rep)?;
                    push(&say, &mut v_again, rep, s);
                }
                peer => {
                    let v = &mut v_peers[peer - 2];
                    if v.skipped.is_some() {
                        continue;
                    }
                    let out = work.join(format!("peer{}-r{rep}", peer - 2));
                    match peer_run(&format!("peer{}-r{rep}", peer - 2), PEERS[peer - 2].1, &out) {
                        Ok(s) => push(&say, v, rep, s),
                        Err(e) => {
                            let reason = last_line(&format!("{e:#}"));
                            say(format!("{}: skipped ({reason})", v.name));
                            v.skipped = Some(reason);
                        }
                    }
                    remove_dir_if_exists(&out)?;
                }
            }
        }
    }

    let new_rows = (args.rows / 100).max(1);
    say(format!("Appending {new_rows} rows (1%)…"));
    db.sql(
        DATABASE,
        &format!("SELECT usagelake_bench_append({new_rows})"),
    )?;
    db.sql(DATABASE, "ANALYZE http_requests")?;
    let mut v_floor_new = variant(FLOOR_NEW, Some(new_rows), None);
    let mut v_one = variant(ONE_PERCENT, Some(new_rows), Some(FLOOR_NEW));
    for rep in 0..args.reps {
        let floor_first = rep % 2 == 0;
        for step in 0..2 {
            if (step == 0) == floor_first {
                let s = floor(&format!("floor-new-r{rep}"), &select_new)?;
                push(&say, &mut v_floor_new, rep, s);
            } else {
                // Each rep's lake holds exactly the original rows: one incremental per lake.
                let s = usagelake_run(&format!("one-percent-r{rep}"), rep)?;
                push(&say, &mut v_one, rep, s);
            }
        }
    }

    let mut variants = vec![v_floor, v_first, v_again];
    variants.extend(v_peers);
    variants.extend([v_floor_new, v_one]);
    let report = Report {
        rows: args.rows,
        days: args.days,
        reps: args.reps,
        floor_method: "psql -X -c \"\\copy (SELECT <the same 20 columns> FROM http_requests) TO '/dev/null' WITH (FORMAT binary)\"".into(),
        load_before,
        load_after: load_average(),
        variants,
    };
    match args.format {
        BenchFormat::Table => print!("{}", report.to_table()),
        BenchFormat::Json => println!("{}", report.to_json()),
    }
    db.cluster
        .stop()
        .context("stopping the private PostgreSQL")?;
    Ok(())
}

fn push(say: &impl Fn(String), variant: &mut Variant, rep: usize, sample: Sample) {
    say(format!(
        "  rep {}: {:<48} {:>7.2} s  {:>6} MB",
        rep + 1,
        variant.name,
        sample.wall_s,
        sample
            .peak_rss_kb
            .map_or("?".into(), |kb| (kb / 1024).to_string())
    ));
    variant.samples.push(sample);
}

/// A pipeline for http_requests only; one per repetition, each with its own lake.
fn write_pipeline(work: &Path, lake: &Path, port: u16, rep: usize) -> anyhow::Result<PathBuf> {
    let path = work.join(format!("pipeline-r{rep}.toml"));
    let text = format!(
        r#"# Written by `usagelake bench`.
time_zone = "UTC"

[output]
root = "{}"
compression = "snappy"

[[sources]]
name = "bench"
kind = "tableau"
host = "127.0.0.1"
port = {port}
database = "{DATABASE}"
user = "postgres"
sslmode = "disable"
datasets = ["http_requests"]
# The peers copy raw rows only; enrichment is timed separately (README, Performance).
enrich = false
"#,
        lake.display()
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `benches/peers/<script>` of the source tree this binary was built from.
fn peer_script(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/peers")
        .join(script)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed")
        .trim()
        .to_string()
}
