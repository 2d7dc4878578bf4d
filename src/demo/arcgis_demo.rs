//! The demo's ArcGIS portal: the in-process fake on 127.0.0.1, and the credential file
//! the `arcgis_demo` source reads its password from.
//!
//! Its events and users' lastLogin values are fixed in time (the week of 2026-11-01, like
//! the Tableau demo), so a second demo on the same `--out` finds nothing new.

use anyhow::Context;

use crate::config::SecretRef;
use crate::sources::arcgis::api::ArcgisAuth;
use crate::sources::arcgis::fake_portal::{
    FakePortal, FakePortalHandle, ADMIN_PASSWORD, ADMIN_USERNAME,
};
use crate::sources::arcgis::ArcgisSource;

/// "A few thousand history events and a few hundred users" (issue 6).
const EVENTS: usize = 3_000;
const USERS: usize = 300;
const SEED: u64 = 2026;

pub struct DemoPortal {
    /// Serves until dropped.
    _handle: FakePortalHandle,
    url: String,
    /// Holds the password file; a file, not an env var, because setting the process
    /// environment from a running multi-threaded program is unsound.
    secrets: tempfile::TempDir,
}

impl DemoPortal {
    pub async fn start() -> anyhow::Result<Self> {
        let secrets = tempfile::tempdir().context("creating a temp dir for the demo password")?;
        std::fs::write(secrets.path().join("arcgis.password"), ADMIN_PASSWORD)
            .context("writing the demo portal password")?;
        let (handle, url) = FakePortal::generate(EVENTS, USERS, SEED)
            .start()
            .await
            .context("starting the demo ArcGIS portal")?;
        Ok(DemoPortal {
            _handle: handle,
            url,
            secrets,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Points a source of the demo pipeline at this portal and its credentials.
    pub fn point(&self, source: &mut ArcgisSource) {
        source.portal.portal_url = self.url.clone();
        source.portal.auth = ArcgisAuth::UserPassword {
            username: ADMIN_USERNAME.to_string(),
            password: SecretRef::File(self.secrets.path().join("arcgis.password")),
            referer: self.url.clone(),
            expiration_minutes: 60,
        };
    }
}
