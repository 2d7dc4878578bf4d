//! The demo's Indico platform: the in-process fake on 127.0.0.1, and the token file the
//! `indico_demo` source reads.
//!
//! Its users change over the week of 2026-11-01 (like the Tableau demo); every day
//! after that repeats the last state, so a second demo adds no changelog rows and
//! rewrites nothing but the days that ended in between.

use anyhow::Context;
use chrono::NaiveDate;

use crate::config::SecretRef;
use crate::sources::indico::fake::{FakeIndico, FakeIndicoHandle, API_TOKEN};
use crate::sources::indico::IndicoSource;

/// "A few hundred users" whose roles and dataset access change during the week.
const USERS: usize = 200;
const DAYS: u32 = 7;
const SEED: u64 = 2026;

pub struct DemoIndico {
    /// Serves until dropped.
    _handle: FakeIndicoHandle,
    host: String,
    /// Holds the token file (a file: setting the environment of a running
    /// multi-threaded program is unsound).
    secrets: tempfile::TempDir,
}

impl DemoIndico {
    pub async fn start() -> anyhow::Result<Self> {
        let secrets = tempfile::tempdir().context("creating a temp dir for the demo token")?;
        std::fs::write(secrets.path().join("indico.token"), API_TOKEN)
            .context("writing the demo Indico token")?;
        let first_day = NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date");
        let (handle, host) = FakeIndico::generate(USERS, first_day, DAYS, SEED)
            .start()
            .await
            .context("starting the demo Indico platform")?;
        Ok(DemoIndico {
            _handle: handle,
            host,
            secrets,
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Points a source of the demo pipeline at this fake and its token.
    pub fn point(&self, source: &mut IndicoSource) {
        source.config.host = self.host.clone();
        source.config.protocol = "http".into();
        source.config.api_token = SecretRef::File(self.secrets.path().join("indico.token"));
    }
}
