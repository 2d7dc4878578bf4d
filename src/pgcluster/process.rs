//! Child processes of the cluster: which OS user they run as, how we wait for them,
//! and the reaper that stops the server when our own process dies without running
//! destructors (`kill -9`, `std::process::exit`, statics in a test binary).

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::unistd::{Gid, Uid, User};

use super::ClusterError;

/// Interval between polls inside deadline loops: short enough not to add visible latency.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// The OS identity the server runs as. PostgreSQL refuses to start as root, so a root
/// caller runs initdb and postgres as the `postgres` user; anyone else runs them as self.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerUser {
    ids: Option<(Uid, Gid)>,
}

impl ServerUser {
    pub(crate) fn resolve() -> Result<Self, ClusterError> {
        if !Uid::effective().is_root() {
            return Ok(ServerUser { ids: None });
        }
        let user = User::from_name("postgres")
            .ok()
            .flatten()
            .ok_or(ClusterError::NoPostgresUser)?;
        Ok(ServerUser {
            ids: Some((user.uid, user.gid)),
        })
    }

    pub(crate) fn is_switching(&self) -> bool {
        self.ids.is_some()
    }

    /// A command running as the server user, from `/` so that an unreadable current
    /// directory of ours cannot make initdb or postgres fail.
    pub(crate) fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir("/").env("LC_ALL", "C");
        if let Some((uid, gid)) = self.ids {
            // std drops supplementary groups (setgroups(0)) when a root parent sets uid.
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        cmd
    }

    pub(crate) fn give(&self, path: &Path) -> Result<(), ClusterError> {
        if let Some((uid, gid)) = self.ids {
            nix::unistd::chown(path, Some(uid), Some(gid))
                .map_err(|errno| ClusterError::io("changing owner of", path)(errno.into()))?;
        }
        Ok(())
    }
}

/// Waits for `child` to exit, up to `timeout`. `Ok(None)` means it is still running.
pub(crate) fn wait_with_deadline(
    child: &mut Child,
    timeout: Duration,
) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// `sh` script run by the reaper. `$1` = postmaster pid, `$2` = scratch dir to remove.
/// A line on stdin means "stopped cleanly, exit"; EOF means our process is gone (the
/// kernel closes the pipe's write end however we die), so stop postgres the hard way:
/// SIGQUIT (immediate shutdown, which also stops the backends), SIGKILL after 10 s.
/// INT and HUP are ignored so Ctrl-C in a terminal cannot kill the reaper before it acts.
const REAPER_SCRIPT: &str = r#"
trap '' INT HUP
if read -r _; then exit 0; fi
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$s" != Z ]
}
kill -QUIT "$1" 2>/dev/null
i=0
while alive "$1" && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i+1)); done
kill -KILL "$1" 2>/dev/null
[ -n "$2" ] && rm -rf -- "$2"
exit 0
"#;

/// Watchdog child that outlives us only long enough to stop the server.
#[derive(Debug)]
pub(crate) struct Reaper {
    child: Child,
    /// Write end of the reaper's stdin. std opens pipes with O_CLOEXEC, so no other
    /// child of ours inherits it and keeps it open after we die.
    stdin: Option<ChildStdin>,
}

impl Reaper {
    pub(crate) fn spawn(postmaster_pid: u32, scratch_dir: &Path) -> Result<Self, ClusterError> {
        let mut child = Command::new("sh")
            .args(["-c", REAPER_SCRIPT, "usagelake-pg-reaper"])
            .arg(postmaster_pid.to_string())
            .arg(scratch_dir)
            .current_dir("/")
            .stdin(Stdio::piped())
            // Null stdio: a test runner that waits for EOF on its pipes must not wait on us.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Own process group: a terminal's Ctrl-C goes to the foreground group only.
            .process_group(0)
            .spawn()
            .map_err(ClusterError::io(
                "spawning the reaper `sh` for",
                scratch_dir,
            ))?;
        let stdin = child.stdin.take();
        Ok(Reaper { child, stdin })
    }

    /// Tells the reaper the server was stopped cleanly and waits for it to exit.
    pub(crate) fn disarm(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stopped\n");
        }
        match wait_with_deadline(&mut self.child, Duration::from_secs(5)) {
            Ok(Some(_)) => {}
            _ => {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
