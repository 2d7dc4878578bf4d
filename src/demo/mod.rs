//! `usagelake demo`: the whole nightly job, offline, on a generated Tableau repository,
//! a fake ArcGIS portal and a fake Indico platform.
//!
//! Starts a private PostgreSQL from the installed server binaries, loads
//! `sql/demo/*.sql` (deterministic data: a second demo adds no rows), starts the
//! in-process fake ArcGIS portal and fake Indico on 127.0.0.1, runs the bundled
//! `pipelines/demo.toml` against all three and prints what it wrote.

mod arcgis_demo;
mod events_demo;
mod indico_demo;
mod pipeline_file;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;

use crate::cli::DemoArgs;
use crate::load::{list_partitions, LakeLayout};
use crate::pgcluster::{ClusterOptions, PgCluster};
use crate::pipeline::{run_pipeline, RunRequest, RunSummary};
use crate::progress::Progress;
use crate::sources::SourceConfig;

const DEMO_PIPELINE: &str = include_str!("../../pipelines/demo.toml");
const SCHEMA_SQL: &str = include_str!("../../sql/demo/tableau_schema.sql");
const DATA_SQL: &str = include_str!("../../sql/demo/tableau_data.sql");
const ACTIVITY_SQL: &str = include_str!("../../sql/demo/tableau_activity.sql");
/// An application's login audit table in the same database, for the `postgres` source.
const APP_AUDIT_SQL: &str = include_str!("../../sql/demo/app_audit.sql");
/// The generated week; fixed so that reruns produce the same ids and event dates.
const FIRST_DAY: &str = "2026-11-01";
const DAYS: u32 = 7;

pub async fn run(args: &DemoArgs, progress: &Progress, quiet: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let say = |line: String| {
        if !quiet {
            println!("{line}");
        }
    };
    say("Starting a private PostgreSQL for the demo repository…".into());
    // Starting waits on the server (blocking); keep it off the async workers.
    let cluster = tokio::task::spawn_blocking(|| PgCluster::start(ClusterOptions::ephemeral()))
        .await
        .context("starting the demo PostgreSQL")?
        .context("starting the demo PostgreSQL")?;
    // Ctrl-C must still stop the server: race the work against the signal, and let
    // `cluster` drop (which stops it) whichever finishes first.
    let portal = arcgis_demo::DemoPortal::start().await?;
    let indico = indico_demo::DemoIndico::start().await?;
    let work = demo_run(args, &cluster, &portal, &indico, progress, &say);
    let outcome = tokio::select! {
        outcome = work => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let summary = outcome?;
    say(report(
        &summary,
        &args.out,
        started.elapsed().as_secs_f64(),
    )?);
    if args.keep {
        say(format!(
            "The demo repository stays up at {} until you press Ctrl-C.\nIn another terminal: usagelake status {}",
            cluster.url("workgroup"),
            args.out.join("demo.toml").display()
        ));
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
    }
    cluster.stop().context("stopping the demo PostgreSQL")?;
    Ok(())
}

async fn demo_run(
    args: &DemoArgs,
    cluster: &PgCluster,
    portal: &arcgis_demo::DemoPortal,
    indico: &indico_demo::DemoIndico,
    progress: &Progress,
    say: &impl Fn(String),
) -> anyhow::Result<RunSummary> {
    let load_started = Instant::now();
    cluster
        .create_database("workgroup")
        .await
        .context("creating the demo database")?;
    let generate = format!(
        "SELECT usagelake_demo_generate({}, DATE '{FIRST_DAY}', {DAYS});",
        args.requests
    );
    for (what, sql) in [
        ("schema", SCHEMA_SQL),
        ("data functions", DATA_SQL),
        ("activity functions", ACTIVITY_SQL),
        ("data", generate.as_str()),
        ("application audit table", APP_AUDIT_SQL),
    ] {
        cluster
            .execute_sql("workgroup", sql)
            .await
            .with_context(|| format!("loading the demo {what}"))?;
    }
    say(format!(
        "Generated a Tableau repository: {} http_requests over {DAYS} days from {FIRST_DAY} ({:.1} s).",
        args.requests,
        load_started.elapsed().as_secs_f64()
    ));
    say(
        "Added an application login audit table (app.login_audit) for the `postgres` source."
            .into(),
    );

    say(format!(
        "Started a fake ArcGIS portal at {} (same week, fixed data).",
        portal.url()
    ));
    events_demo::write(&args.out, FIRST_DAY, DAYS)?;
    say(format!(
        "Wrote a login/logout export for the same week to {}.",
        args.out.join(events_demo::EVENTS_DIR).display()
    ));
    say(format!(
        "Started a fake Indico platform at {} (users changing over the same week).",
        indico.host()
    ));
    let pipeline = demo_pipeline(&args.out, cluster.port(), portal, indico)?;
    let fakes = pipeline_file::Fakes {
        port: cluster.port(),
        portal_url: portal.url(),
        indico_host: indico.host(),
    };
    pipeline_file::write(&args.out, DEMO_PIPELINE, &fakes)?;
    let summary = run_pipeline(&pipeline, &RunRequest::default(), progress).await?;
    Ok(summary)
}

/// The bundled demo pipeline, pointed at the private server and the chosen folder.
fn demo_pipeline(
    out: &Path,
    port: u16,
    portal: &arcgis_demo::DemoPortal,
    indico: &indico_demo::DemoIndico,
) -> anyhow::Result<crate::pipeline::Pipeline> {
    let path = PathBuf::from("pipelines/demo.toml");
    let mut pipeline = crate::pipeline::parse_pipeline(DEMO_PIPELINE, &path)?;
    pipeline.output.root = std::path::absolute(out).context("resolving --out")?;
    for source in &mut pipeline.sources {
        let tableau = match source {
            SourceConfig::Tableau(tableau) => tableau,
            SourceConfig::Arcgis(arcgis) => {
                portal.point(arcgis);
                continue;
            }
            SourceConfig::Indico(source) => {
                indico.point(source);
                continue;
            }
            SourceConfig::Events(events) => {
                let glob = pipeline
                    .output
                    .root
                    .join(events_demo::EVENTS_DIR)
                    .join("*.csv*");
                events.paths = vec![glob.to_string_lossy().into_owned()];
                continue;
            }
            SourceConfig::Postgres(postgres) => {
                postgres.connection.host = "127.0.0.1".to_string();
                postgres.connection.port = port;
                continue;
            }
        };
        tableau.connection.host = "127.0.0.1".to_string();
        tableau.connection.port = port;
    }
    Ok(pipeline)
}

fn report(summary: &RunSummary, out: &Path, seconds: f64) -> anyhow::Result<String> {
    let layout = LakeLayout {
        root: std::path::absolute(out)?,
    };
    let mut text = String::from("\n");
    text.push_str(&summary.to_table());
    let mut partitions = 0;
    for source in &summary.sources {
        for dataset in &source.datasets {
            partitions += list_partitions(&layout, &source.name, &dataset.name)?.len();
        }
    }
    let root = layout.root.display();
    // Event rows only ever add; a snapshot rewritten the same day replaces itself, so
    // "new" counts event partitions alone (a second demo on the same --out shows 0).
    let (mut new_events, mut snapshot_rows) = (0, 0);
    for dataset in summary.sources.iter().flat_map(|s| &s.datasets) {
        for (partition, rows) in &dataset.partitions {
            if crate::load::event_partition_date(partition).is_some() {
                new_events += rows;
            } else {
                snapshot_rows += rows;
            }
        }
    }
    text.push_str(&format!(
        "\nAdded {new_events} new event rows and wrote {snapshot_rows} snapshot rows; the lake holds {partitions} partitions under {root} ({seconds:.1} s in all).\n"
    ));
    text.push_str(&format!(
        "Try: duckdb -c \"SELECT event_date, count(*) AS requests FROM read_parquet('{root}/tableau_demo/http_requests/**/*.parquet', hive_partitioning=true) GROUP BY 1 ORDER BY 1\"\n"
    ));
    text.push_str(&format!(
        "     duckdb -c \"SELECT action, count(*) FROM read_parquet('{root}/arcgis_demo/history/**/*.parquet', hive_partitioning=true) GROUP BY 1 ORDER BY 2 DESC\"\n"
    ));
    text.push_str(&format!(
        "     usagelake report current-users {root}/demo.toml --at \"2026-11-03 10:00\"\n"
    ));
    Ok(text)
}
