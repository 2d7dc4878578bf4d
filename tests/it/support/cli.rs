//! Runs the real `usagelake` binary against a test database and a temp lake.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct LakeFixture {
    pub dir: tempfile::TempDir,
    pub pipeline: PathBuf,
}

pub struct PipelineSpec<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub time_zone: &'a str,
    /// TOML array literal, e.g. `["http_requests"]`; None = all datasets.
    pub datasets: Option<&'a str>,
    pub lookback_minutes: u32,
}

impl<'a> PipelineSpec<'a> {
    pub fn new(host: &'a str, port: u16, database: &'a str) -> Self {
        PipelineSpec {
            host,
            port,
            database,
            time_zone: "UTC",
            datasets: None,
            lookback_minutes: 60,
        }
    }
}

impl LakeFixture {
    pub fn new(spec: &PipelineSpec) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pipeline = dir.path().join("pipeline.toml");
        let datasets = spec
            .datasets
            .map(|d| format!("datasets = {d}\n"))
            .unwrap_or_default();
        let text = format!(
            r#"time_zone = "{tz}"

[output]
root = "lake"

[[sources]]
name = "tab"
kind = "tableau"
host = "{host}"
port = {port}
database = "{db}"
user = "postgres"
sslmode = "disable"
batch_rows = 1000
lookback_minutes = {lookback}
{datasets}"#,
            tz = spec.time_zone,
            host = spec.host,
            port = spec.port,
            db = spec.database,
            lookback = spec.lookback_minutes,
        );
        std::fs::write(&pipeline, text).unwrap();
        LakeFixture { dir, pipeline }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    pub fn dataset_dir(&self, dataset: &str) -> PathBuf {
        self.root().join("tab").join(dataset)
    }

    pub fn run(&self, extra: &[&str]) -> Output {
        usagelake(
            &["run", self.pipeline.to_str().unwrap(), "--quiet"],
            extra,
            &[],
        )
    }

    pub fn run_with_env(&self, extra: &[&str], env: &[(&str, &str)]) -> Output {
        usagelake(
            &["run", self.pipeline.to_str().unwrap(), "--quiet"],
            extra,
            env,
        )
    }

    /// Runs and asserts success, printing the output on failure.
    pub fn run_ok(&self, extra: &[&str]) -> Output {
        let out = self.run(extra);
        assert_success(&out);
        out
    }
}

pub fn usagelake(args: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_usagelake"));
    cmd.args(args).args(extra).env_remove("USAGELAKE_FAILPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run usagelake")
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "usagelake failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
