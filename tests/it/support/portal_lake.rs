//! A fake ArcGIS portal on 127.0.0.1 and a temp dir holding `pipeline.toml` for it
//! (source `agol`, zone America/New_York, password in `admin.pw`), shared by the ArcGIS
//! pipeline and operations tests.
//!
//! New York on purpose: a UTC-day history slice spans two local `event_date`
//! partitions, and the fake's first events (00:00Z on 11-01) fall on 10-31 locally.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use usagelake::sources::arcgis::api::event_key;
use usagelake::sources::arcgis::fake_portal::{self as fake, FakePortal, FakePortalHandle};

use super::cli::usagelake;
use super::lake::unique_ids;

pub struct PortalLake {
    pub fake: FakePortalHandle,
    pub dir: tempfile::TempDir,
}

impl PortalLake {
    /// Serves `portal`; `source_lines` end the source table (`history_start = …`,
    /// `concurrency = 1`, …).
    pub async fn start(portal: FakePortal, source_lines: &str) -> PortalLake {
        let (fake, url) = portal.start().await.expect("start the fake portal");
        let lake = PortalLake {
            fake,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(
            lake.dir.path().join("admin.pw"),
            format!("{}\n", fake::ADMIN_PASSWORD),
        )
        .unwrap();
        let text = format!(
            r#"time_zone = "America/New_York"

[output]
root = "lake"

[[sources]]
name = "agol"
kind = "arcgis"
portal_url = "{url}"
username = "{user}"
password_file = "admin.pw"
{source_lines}
"#,
            user = fake::ADMIN_USERNAME
        );
        std::fs::write(lake.pipeline(), text).unwrap();
        lake
    }

    pub fn pipeline(&self) -> PathBuf {
        self.dir.path().join("pipeline.toml")
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }

    pub fn dataset(&self, name: &str) -> PathBuf {
        self.root().join("agol").join(name)
    }

    pub fn state_bytes(&self) -> Vec<u8> {
        std::fs::read(self.root().join("_usagelake/state/agol.json")).unwrap()
    }

    /// `usagelake <command> pipeline.toml <args…>` with extra environment.
    pub fn cmd(&self, command: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        usagelake(&[command, self.pipeline().to_str().unwrap()], args, env)
    }

    /// Every ground-truth event in `history` exactly once (`unique_ids` panics on a
    /// duplicate key).
    pub fn assert_history_exactly_once(&self) {
        let stored = unique_ids(&self.dataset("history"), "event_key");
        let events = &self.fake.truth().events;
        let truth: BTreeSet<i64> = events.iter().map(event_key).collect();
        assert_eq!(truth.len(), events.len(), "truth keys are distinct");
        let missing = truth.difference(&stored).count();
        let extra = stored.difference(&truth).count();
        assert_eq!((missing, extra), (0, 0), "history differs from the truth");
    }
}
