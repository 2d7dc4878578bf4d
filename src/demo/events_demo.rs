//! The demo's login/logout export: `<out>/events/logons.csv`, a week of workstation
//! sign-ins in the pipeline's zone (naive local times, like a Windows export), with the
//! anomalies the `sessions` rules are for: a forgotten logout (timeout), a logout without
//! login (orphan), a second login (double login) and two bad rows.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

pub const EVENTS_DIR: &str = "events";
const MACHINES: u32 = 6;
const USERS: u32 = 18;

/// Writes the file (the same bytes every time, so a second demo adds nothing).
pub fn write(out: &Path, first_day: &str, days: u32) -> anyhow::Result<()> {
    let first: chrono::NaiveDate = first_day.parse().context("demo first day")?;
    let mut text = String::from("time,type,machine,user,logon_type\n");
    for day in 0..days {
        let date = first + chrono::Days::new(u64::from(day));
        for user in 0..USERS {
            let machine = (user * 7 + day) % MACHINES;
            // Deterministic spread: 07:00–09:59 in, 8–10 hours later out.
            let seed = (user * 37 + day * 11) % 180;
            let login_minutes = 7 * 60 + seed;
            let logout_minutes = login_minutes + 8 * 60 + (seed * 7) % 120;
            let time = |minutes: u32| format!("{date} {:02}:{:02}:00", minutes / 60, minutes % 60);
            let _ = writeln!(
                text,
                "{},logon,ws{machine:02},user{user:02},2",
                time(login_minutes)
            );
            if user == 3 && day == 2 {
                continue; // forgot to log out: the session times out
            }
            if user == 5 && day == 4 {
                // A second RDP login an hour later: two parallel sessions.
                let _ = writeln!(
                    text,
                    "{},logon,ws{machine:02},user{user:02},10",
                    time(login_minutes + 60)
                );
                let _ = writeln!(
                    text,
                    "{},logoff,ws{machine:02},user{user:02},10",
                    time(logout_minutes - 30)
                );
            }
            let _ = writeln!(
                text,
                "{},logoff,ws{machine:02},user{user:02},2",
                time(logout_minutes)
            );
        }
    }
    // A logout whose login is older than the export (an orphan), and two bad rows.
    let _ = writeln!(text, "{first} 06:30:00,logoff,ws00,night_admin,2");
    let _ = writeln!(text, "{first} 25:00:00,logon,ws01,user01,2");
    let _ = writeln!(text, "{first} 10:00:00,reboot,ws01,,2");
    let dir = out.join(EVENTS_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("logons.csv");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
