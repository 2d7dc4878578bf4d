//! Bringing a server up: scratch dirs, initdb, port choice, launch and readiness.

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tempfile::TempDir;

use super::binaries::Binaries;
use super::process::{wait_with_deadline, Reaper, ServerUser, POLL};
use super::{ClusterError, ClusterOptions, HOST, STOP_TIMEOUT, SUPERUSER};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A scratch dir under which the server user can traverse: as root we create it in
/// `/tmp` (TMPDIR may point into root's private home) with mode 0755.
pub(super) fn scratch_dir(user: &ServerUser) -> Result<TempDir, ClusterError> {
    let parent = if user.is_switching() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("usagelake-pg-")
        .tempdir_in(&parent)
        .map_err(ClusterError::io("creating a temporary dir in", &parent))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .map_err(ClusterError::io("setting permissions of", dir.path()))?;
    Ok(dir)
}

pub(super) fn initdb(
    program: &Path,
    user: &ServerUser,
    data_dir: &Path,
    fast_unsafe: bool,
) -> Result<(), ClusterError> {
    fs::create_dir_all(data_dir).map_err(ClusterError::io("creating data dir", data_dir))?;
    // initdb insists on 0700 (or 0750) and on owning the directory.
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
        .map_err(ClusterError::io("setting permissions of", data_dir))?;
    user.give(data_dir)?;
    let mut cmd = user.command(program);
    cmd.arg("-D").arg(data_dir);
    cmd.args([
        "-A",
        "trust",
        "-U",
        SUPERUSER,
        "--encoding",
        "UTF8",
        "--locale",
        "C",
    ]);
    if fast_unsafe {
        cmd.arg("--no-sync");
    }
    let command = format!("{cmd:?}");
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(ClusterError::io("running initdb for", data_dir))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Err(ClusterError::Initdb {
        command,
        data_dir: data_dir.to_path_buf(),
        status: output.status.to_string(),
        output_tail: tail(&text, 20),
    })
}

/// Asks the kernel for a free loopback port. The listener closes before postgres binds,
/// so another process can win the race: `start` retries on "address already in use".
pub(super) fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(ClusterError::io("binding a probe socket on", "127.0.0.1:0"))?;
    let port = listener
        .local_addr()
        .map_err(ClusterError::io(
            "reading probe socket address",
            "127.0.0.1:0",
        ))?
        .port();
    Ok(port)
}

/// Everything needed to launch the server once the data dir exists.
pub(super) struct Launch<'a> {
    pub bins: &'a Binaries,
    pub user: &'a ServerUser,
    pub opts: &'a ClusterOptions,
    pub data_dir: &'a Path,
    pub socket_dir: &'a Path,
    pub log_path: &'a Path,
    /// Removed by the reaper if we die.
    pub scratch: &'a Path,
    /// Certificate and key files when the server serves TLS.
    pub tls_files: Option<&'a (std::path::PathBuf, std::path::PathBuf)>,
}

/// Starts postgres on `port` and its reaper, and waits until it accepts logins. On
/// failure the server is stopped again and the error carries its log tail.
pub(super) fn launch(plan: &Launch<'_>, port: u16) -> Result<(Child, Reaper), ClusterError> {
    let Launch {
        bins,
        user,
        opts,
        data_dir,
        socket_dir,
        log_path,
        scratch,
        tls_files,
    } = *plan;
    let log = File::create(log_path).map_err(ClusterError::io("creating", log_path))?;
    let log_err = log
        .try_clone()
        .map_err(ClusterError::io("duplicating handle of", log_path))?;
    let mut cmd = user.command(&bins.postgres);
    cmd.arg("-D")
        .arg(data_dir)
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(socket_dir);
    for setting in server_settings(opts, tls_files) {
        cmd.arg("-c").arg(setting);
    }
    // Own process group: Ctrl-C on the demo must not shut the server down under a
    // running extract; our Drop or the reaper stops it.
    cmd.stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    let command = format!("{cmd:?}");
    let mut server = cmd
        .spawn()
        .map_err(ClusterError::io("spawning postgres for", data_dir))?;
    let reaper = match Reaper::spawn(server.id(), scratch) {
        Ok(reaper) => reaper,
        Err(e) => {
            let _ = server.kill();
            let _ = server.wait();
            return Err(e);
        }
    };
    match wait_until_ready(&mut server, bins, port, log_path) {
        Ok(()) => Ok((server, reaper)),
        Err(status) => {
            let _ = kill(Pid::from_raw(server.id() as i32), Signal::SIGQUIT);
            if !matches!(wait_with_deadline(&mut server, STOP_TIMEOUT), Ok(Some(_))) {
                let _ = server.kill();
                let _ = server.wait();
            }
            reaper.disarm();
            let log_tail = log_tail(log_path);
            let data_dir = data_dir.to_path_buf();
            Err(match status {
                Some(status) => ClusterError::StartFailed {
                    command,
                    data_dir,
                    status,
                    log_tail,
                },
                None => ClusterError::StartTimeout {
                    port,
                    waited: READY_TIMEOUT,
                    data_dir,
                    log_tail,
                },
            })
        }
    }
}

fn server_settings(
    opts: &ClusterOptions,
    tls_files: Option<&(std::path::PathBuf, std::path::PathBuf)>,
) -> Vec<String> {
    let mut settings = vec![
        format!("listen_addresses={HOST}"),
        format!("timezone={}", opts.server_time_zone),
        // Log lines in UTC whatever `timezone` is, so they line up with test output.
        "log_timezone=UTC".to_string(),
        "max_connections=50".to_string(),
        "shared_buffers=128MB".to_string(),
    ];
    if opts.fast_unsafe {
        // wal_level=minimal lets a bulk load into a table truncated in the same
        // transaction skip WAL entirely (the bench generator relies on it).
        for s in [
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "wal_level=minimal",
            "max_wal_senders=0",
        ] {
            settings.push(s.to_string());
        }
    }
    if let Some((cert, key)) = tls_files {
        settings.push("ssl=on".to_string());
        settings.push(format!("ssl_cert_file={}", cert.display()));
        settings.push(format!("ssl_key_file={}", key.display()));
    }
    settings
}

/// Polls until the server answers the protocol (not just TCP: during recovery it
/// accepts the socket and refuses the login). `Err(Some(status))`: the server exited;
/// `Err(None)`: the deadline passed.
fn wait_until_ready(
    server: &mut Child,
    bins: &Binaries,
    port: u16,
    log_path: &Path,
) -> Result<(), Option<String>> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(Some(status.to_string()));
        }
        if is_ready(bins, port, log_path) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(None);
        }
        std::thread::sleep(POLL);
    }
}

fn is_ready(bins: &Binaries, port: u16, log_path: &Path) -> bool {
    match &bins.pg_isready {
        Some(pg_isready) => std::process::Command::new(pg_isready)
            .args([
                "-q",
                "-h",
                HOST,
                "-p",
                &port.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-t",
                "2",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        // Without pg_isready: the socket accepts and the server logged that it is ready.
        None => {
            std::net::TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, port).into(),
                Duration::from_secs(1),
            )
            .is_ok()
                && fs::read_to_string(log_path)
                    .is_ok_and(|log| log.contains("ready to accept connections"))
        }
    }
}

pub(super) fn log_tail(log_path: &Path) -> String {
    match fs::read_to_string(log_path) {
        Ok(text) => tail(&text, 30),
        Err(e) => format!("(could not read {}: {e})", log_path.display()),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
