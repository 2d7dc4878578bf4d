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
