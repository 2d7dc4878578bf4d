//! `sessions`: login/logout events turned into sessions, per (source, machine, user).
//!
//! - `rules`: the state machine that applies every session rule to one user's events;
//! - `derive`: all sessions of a source from its `auth_events` batches (sort + loop);
//! - `intern`: machine and user names as dense ids, from plain or dictionary text;
//! - `batch`: the dataset's schema and per-day column builders;
//! - `publish`: rebuilding a source's `sessions` days that changed, atomically.

mod batch;
mod derive;
mod intern;
mod publish;
mod rules;

pub use batch::{DaySessions, SESSIONS_SCHEMA};
pub use derive::{DerivedSessions, SessionDeriver, EVENT_AT, EVENT_TYPE, MACHINE, USER};
pub use publish::{rebuild_sessions, SessionsRequest, SessionsSummary, SESSIONS};
pub use rules::{EndReason, EventKind, LoginPolicy, Session, SessionBuilder, SessionRules};
