//! Writes `<out>/demo.toml`: the demo pipeline pointed at this demo's lake and server,
//! so the README's `status`, `backfill` and `plan` examples run as written against the
//! demo lake (the server answers only while `demo --keep` is running; without it,
//! `status` still reports the lake and says the source is unreachable).

use std::path::Path;

use anyhow::Context;

/// `portal_url`: the demo's fake ArcGIS portal (up while `demo --keep` runs); its
/// password (a fixed fake, not a secret) goes next to the file as `arcgis-demo.password`.
pub fn write(out: &Path, demo_pipeline: &str, port: u16, portal_url: &str) -> anyhow::Result<()> {
    let mut text = String::from(
        "# Written by `usagelake demo`: the demo pipeline for this lake. The server is the\n\
         # demo's private PostgreSQL, reachable only while `usagelake demo --keep` runs.\n",
    );
    for line in demo_pipeline.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        match key {
            // The lake is this file's own directory.
            "root" => text.push_str("root = \".\""),
            "port" => text.push_str(&format!("port = {port}")),
            "portal_url" => text.push_str(&format!("portal_url = \"{portal_url}\"")),
            _ => text.push_str(line),
        }
        text.push('\n');
    }
    let path = out.join("demo.toml");
    crate::config::parse_pipeline(&text, &path)
        .context("the generated demo pipeline is invalid")?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let password = out.join("arcgis-demo.password");
    std::fs::write(
        &password,
        crate::sources::arcgis::fake_portal::ADMIN_PASSWORD,
    )
    .with_context(|| format!("writing {}", password.display()))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}
