//! Timing one external command: wall time from our own clock, peak RSS from
//! `/usr/bin/time -v` (GNU time reads it from `wait4`'s rusage, so it covers exactly
//! the measured process, not the PostgreSQL server it talks to).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;

/// One timed repetition of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub wall_s: f64,
    pub peak_rss_kb: Option<u64>,
    pub output_bytes: Option<u64>,
}

/// Where the logs of timed commands go: `<work>/logs/<label>.{out,err,time}`.
pub struct Timer {
    pub log_dir: PathBuf,
}

impl Timer {
    /// Runs `program args…` under `/usr/bin/time -v`; fails with the stderr tail when
    /// the command fails, so a broken variant never reports a fast "time".
    pub fn run(&self, label: &str, program: &Path, args: &[String]) -> anyhow::Result<Sample> {
        fs::create_dir_all(&self.log_dir)
            .with_context(|| format!("creating {}", self.log_dir.display()))?;
        let out = self.log_dir.join(format!("{label}.out"));
        let err = self.log_dir.join(format!("{label}.err"));
        let time_file = self.log_dir.join(format!("{label}.time"));
        let mut command = Command::new("/usr/bin/time");
        command
            .arg("-v")
            .arg("-o")
            .arg(&time_file)
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out)?)
            .stderr(fs::File::create(&err)?);
        let started = Instant::now();
        let status = command
            .status()
            .with_context(|| format!("running /usr/bin/time {}", program.display()))?;
        let wall_s = started.elapsed().as_secs_f64();
        if !status.success() {
            bail!(
                "{label}: `{} {}` failed ({status}):\n{}",
                program.display(),
                args.join(" "),
                tail(&err, 15)
            );
        }
        let rusage = fs::read_to_string(&time_file).unwrap_or_default();
        Ok(Sample {
            wall_s,
            peak_rss_kb: parse_max_rss_kb(&rusage),
            output_bytes: None,
        })
    }
}

/// `Maximum resident set size (kbytes): 12345` from GNU time's verbose report.
pub fn parse_max_rss_kb(report: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

/// Bytes of the `*.parquet` files under `dir` (what a reader would scan).
pub fn parquet_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => parquet_bytes(&path),
                Ok(_) if path.extension().is_some_and(|x| x == "parquet") => {
                    e.metadata().map(|m| m.len()).unwrap_or(0)
                }
                _ => 0,
            }
        })
        .sum()
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `removes` a directory tree if present (a fresh, empty lake per first run).
pub fn remove_dir_if_exists(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_rss_is_read_from_gnu_time_verbose_output() {
        let report = "\tCommand being timed: \"x\"\n\tMaximum resident set size (kbytes): 81234\n";
        assert_eq!(parse_max_rss_kb(report), Some(81234));
        assert_eq!(parse_max_rss_kb("nothing"), None);
    }
}
