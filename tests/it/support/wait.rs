//! Waiting on conditions with a deadline (tests never sleep a fixed time).

use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

/// Polls `condition` every 50 ms until it holds (true) or `timeout` passes (false).
pub fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

pub fn is_port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// A `usagelake run` stopped at a pause point (`USAGELAKE_PAUSEPOINT`), for looking at
/// the source and the lake while the run is in the middle of something.
pub struct PausedRun {
    pub child: std::process::Child,
    dir: tempfile::TempDir,
    point: String,
}

impl PausedRun {
    /// Starts `usagelake run <pipeline> --quiet` paused at the `hit`-th time it reaches
    /// `point` (`point:hit`, or just `point` for the first), and waits until it is there.
    pub fn start(pipeline: &std::path::Path, point: &str, hit: Option<u32>) -> Self {
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let spec = hit.map_or(point.to_string(), |n| format!("{point}:{n}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_usagelake"))
            .args(["run", pipeline.to_str().unwrap(), "--quiet"])
            .env_remove("USAGELAKE_FAILPOINT")
            .env("USAGELAKE_PAUSEPOINT", &spec)
            .env("USAGELAKE_PAUSEPOINT_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let reached = dir.path().join(format!("{point}.reached"));
        let is_paused = wait_for(Duration::from_secs(120), || {
            reached.exists() || matches!(child.try_wait(), Ok(Some(_)))
        });
        assert!(
            is_paused && reached.exists(),
            "the run never reached {spec}"
        );
        PausedRun {
            child,
            dir,
            point: point.to_string(),
        }
    }

    /// Lets the run go on and waits for it to end.
    pub fn resume(self) -> std::process::Output {
        let resume = self.dir.path().join(format!("{}.resume", self.point));
        std::fs::write(resume, b"").unwrap();
        self.child.wait_with_output().unwrap()
    }
}
