//! ArcGIS portal source: org `history` (Online only), `users` (Online and Enterprise)
//! and the `logins` log derived from users' `lastLogin`.
//!
//! Facts behind the choices here are in `shared/reference/portal-apis.md` §1–3.
//! [`ArcgisPortal`] owns the token and the paging; `history`, `users` and `logins`
//! own one dataset each: its Arrow schema and the JSON → Arrow conversion.

mod auth;
mod config;
mod envelope;
mod error;
mod history;
mod logins;
mod portal;
mod users;

pub use config::{
    ArcgisAuth, ArcgisSourceConfig, HistoryFilters, SortOrder, TokenPlacement, DEFAULT_USER_FIELDS,
};
pub use error::ArcgisError;
pub use history::{event_key, history_schema, plan_slices, HistorySlice, SliceRange};
pub use logins::{login_key, logins_from_users, logins_schema};
pub use portal::ArcgisPortal;
pub use users::users_schema;

/// Every dataset an `arcgis` source can archive, in run order: `logins` is derived
/// from the users read for `users`.
pub const DATASETS: &[&str] = &["history", "users", "logins"];
