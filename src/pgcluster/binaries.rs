//! Finds the PostgreSQL server programs. Debian/Ubuntu keep them out of PATH, under
//! `/usr/lib/postgresql/<major>/bin`, which is why PATH is the last place we look.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ClusterError;

#[derive(Debug, Clone)]
pub struct Binaries {
    pub initdb: PathBuf,
    pub postgres: PathBuf,
    /// Optional: used for a protocol-level readiness probe when present.
    pub pg_isready: Option<PathBuf>,
}

pub fn find() -> Result<Binaries, ClusterError> {
    let mut searched = Vec::new();
    let mut dirs = Vec::new();
    if let Some(dir) = pg_config_bindir() {
        dirs.push(dir);
    }
    if let Some(dir) = highest_debian_bindir() {
        dirs.push(dir);
    }
    for dir in &dirs {
        searched.push(dir.display().to_string());
        let (initdb, postgres) = (dir.join("initdb"), dir.join("postgres"));
        if is_file(&initdb) && is_file(&postgres) {
            let pg_isready = Some(dir.join("pg_isready"))
                .filter(|p| is_file(p))
                .or_else(|| in_path("pg_isready"));
            return Ok(Binaries {
                initdb,
                postgres,
                pg_isready,
            });
        }
    }
    searched.push("PATH".to_string());
    match (in_path("initdb"), in_path("postgres")) {
        (Some(initdb), Some(postgres)) => Ok(Binaries {
            initdb,
            postgres,
            pg_isready: in_path("pg_isready"),
        }),
        (initdb, _) => Err(ClusterError::BinariesNotFound {
            missing: if initdb.is_none() {
                "initdb"
            } else {
                "postgres"
            }
            .to_string(),
            searched: searched.join(", "),
        }),
    }
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = PathBuf::from(dir.trim());
    (out.status.success() && dir.is_dir()).then_some(dir)
}

/// The highest major version wins, compared numerically so that 9.6 < 10.
fn highest_debian_bindir() -> Option<PathBuf> {
    let entries = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version: Vec<u32> = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let bin = e.path().join("bin");
            bin.is_dir().then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

fn in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_file(p))
}

fn is_file(path: &Path) -> bool {
    path.is_file()
}
