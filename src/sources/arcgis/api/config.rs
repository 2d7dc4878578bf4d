//! `ArcgisSourceConfig`: what an `arcgis` source in a pipeline file says.
//!
//! `crate::config` parses `[[sources]] kind = "arcgis"` into this struct (the pipeline
//! file's keys are documented in `pipelines/arcgis.example.toml`); tests build it
//! directly. Secrets are references, resolved with `SecretRef::resolve()` when the
//! portal is connected, so a rotated password is picked up by the next run.

use std::time::Duration;

use crate::config::SecretRef;
use crate::http::{ClientOptions, RetryPolicy};

#[derive(Debug, Clone)]
pub struct ArcgisSourceConfig {
    /// Unique per pipeline; the first folder level under the lake root.
    pub name: String,
    /// Online org (`https://myorg.maps.arcgis.com`) or Enterprise (`https://host/portal`);
    /// `/sharing/rest` is appended unless already there.
    pub portal_url: String,
    /// Org id for `portals/{id}/…`; default `self`.
    pub org_id: String,
    pub auth: ArcgisAuth,
    /// How the token travels on data requests. Default the header.
    pub token_placement: TokenPlacement,
    pub history: HistoryFilters,
    /// Width of one history request window. Default 24 (UTC days).
    pub slice_hours: u32,
    /// History slices fetched at once. Default 4.
    pub concurrency: usize,
    /// How far below the watermark each run re-reads history. Default 60.
    pub overlap_minutes: u32,
    /// Columns of the `users` dataset. Default [`DEFAULT_USER_FIELDS`].
    pub user_fields: Vec<String>,
    /// Extra user columns copied into each `logins` row (the old script's `log_fields`).
    pub log_fields: Vec<String>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

pub const DEFAULT_USER_FIELDS: &[&str] = &[
    "username",
    "fullName",
    "email",
    "role",
    "roleId",
    "userLicenseTypeId",
    "level",
    "disabled",
    "created",
    "modified",
    "lastLogin",
    "provider",
    "idpUsername",
    "mfaEnabled",
];

impl ArcgisSourceConfig {
    /// Defaults for everything but the name, the portal and the credentials.
    pub fn new(name: impl Into<String>, portal_url: impl Into<String>, auth: ArcgisAuth) -> Self {
        let client = ClientOptions::default();
        ArcgisSourceConfig {
            name: name.into(),
            portal_url: portal_url.into(),
            org_id: "self".into(),
            auth,
            token_placement: TokenPlacement::Header,
            history: HistoryFilters::default(),
            slice_hours: 24,
            concurrency: 4,
            overlap_minutes: 60,
            user_fields: DEFAULT_USER_FIELDS.iter().map(|s| s.to_string()).collect(),
            log_fields: Vec::new(),
            connect_timeout: client.connect_timeout,
            request_timeout: client.request_timeout,
            retry: client.retry,
        }
    }

    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry.clone(),
            errors: super::envelope::ERROR_FORMAT,
        }
    }

    /// `…/sharing/rest` without a trailing slash.
    pub fn rest_root(&self) -> String {
        let base = self.portal_url.trim_end_matches('/');
        if base.ends_with("/sharing/rest") {
            base.to_string()
        } else {
            format!("{base}/sharing/rest")
        }
    }

    /// The overlap as milliseconds, for the pipeline's `from_ms = watermark - overlap`.
    pub fn overlap_ms(&self) -> i64 {
        i64::from(self.overlap_minutes) * 60_000
    }
}

#[derive(Debug, Clone)]
pub enum ArcgisAuth {
    /// `generateToken` (reference §3.1). `referer` is sent on every later request too,
    /// because a referer-bound token is only valid with that header.
    UserPassword {
        username: String,
        password: SecretRef,
        referer: String,
        expiration_minutes: u32,
    },
    /// OAuth app client credentials (reference §3.2). App tokens may be refused by the
    /// admin-only history endpoint; prefer a user for `history`.
    ClientCredentials {
        client_id: String,
        client_secret: SecretRef,
    },
    /// A token minted elsewhere; it cannot be renewed, so a 498 fails the run.
    Token { token: SecretRef },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPlacement {
    /// `X-Esri-Authorization: Bearer <t>` (keeps tokens out of URLs and proxy logs).
    Header,
    /// `token=<t>` query parameter, for portals behind proxies that drop custom headers.
    Param,
}

/// Server-side filters of `history`, re-applied client-side (BUG-000120745: the server
/// once ignored them for JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilters {
    /// idType codes (`u`, `i`, `g`, …). Matched case-insensitively.
    pub types: Vec<String>,
    /// Acting usernames; case-sensitive, as on the server.
    pub actors: Vec<String>,
    /// Target owners; case-sensitive.
    pub owners: Vec<String>,
    /// Action codes (`login`, `share`, …). Matched case-insensitively (`updateUsers`).
    pub actions: Vec<String>,
    pub ips: Vec<String>,
    pub sort_order: SortOrder,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}
