//! The session rules for one (source, machine, user), fed in event-time order.
//!
//! A user is logged in over `[login_at, logout_at)`. Events at one instant are applied
//! together, in this order (the order a careful reader of a log would use, and the only one
//! that does not depend on how a file happens to list ties):
//! 1. sessions whose deadline (`login + max_session`) is *before* the instant end with
//!    `timeout` at the deadline (a logout exactly at the deadline still closes normally);
//! 2. logouts close sessions opened earlier, oldest first;
//! 3. remaining logouts pair with same-instant logins as zero-length sessions;
//! 4. remaining logins open sessions (`parallel`: one each; `same`: absorbed into the open
//!    session, which then times out from its latest login);
//! 5. leftover logouts are orphans: a row with `login_at` NULL, never dropped.
//!
//! At the end, a session still open ends with `timeout` when its deadline is at or before
//! the source's latest event, and stays `open` (no logout) when the deadline lies after it:
//! a later run may still close it. The result is a pure function of the multiset of
//! (instant, kind) events, so a rebuild from all events after late data replaces an orphan
//! by its whole session.

use std::collections::VecDeque;

/// What a second login does while a session is open. One policy per source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginPolicy {
    /// Each login opens its own session; a logout closes the oldest open one (Windows and
    /// SSH logins are separate sessions: two RDP windows, two terminals).
    #[default]
    Parallel,
    /// A login while a session is open is absorbed into it and counted (web portals that
    /// log a "login" per token refresh or per tab).
    Same,
}

impl LoginPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginPolicy::Parallel => "parallel",
            LoginPolicy::Same => "same",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    pub policy: LoginPolicy,
    /// A session without a logout ends this long after its (latest, under `same`) login.
    /// `None`: never (sessions stay open until their logout).
    pub max_session_micros: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Login,
    Logout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndReason {
    Logout,
    Timeout,
    Open,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::Timeout => "timeout",
            EndReason::Open => "open",
        }
    }
}

/// One derived session. `login_at` is `None` for an orphan logout; `logout_at` is `None`
/// for an `open` session. Times are µs since the epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Session {
    pub login_at: Option<i64>,
    pub logout_at: Option<i64>,
    pub end_reason: EndReason,
    /// When an `open` session will time out (`None` without a maximum); for the others the
    /// deadline that was in force when they ended.
    pub deadline_at: Option<i64>,
    /// Logins absorbed into this session under the `same` policy.
    pub absorbed_logins: u32,
    /// Opened while another session of the same user on the same machine was open
    /// (`parallel`), or absorbed a login (`same`).
    pub is_double_login: bool,
}

impl Session {
    pub fn is_orphan(&self) -> bool {
        self.login_at.is_none()
    }

    pub fn is_zero_length(&self) -> bool {
        self.login_at.is_some() && self.login_at == self.logout_at
    }

    /// Whether the user is logged in at `at`: `[login_at, end)`, where an open session
    /// ends at its deadline (it will time out there unless a logout comes first).
    pub fn is_active_at(&self, at: i64) -> bool {
        let Some(login_at) = self.login_at else {
            return false;
        };
        let end = self.logout_at.or(self.deadline_at).unwrap_or(i64::MAX);
        login_at <= at && at < end
    }
}

#[derive(Debug, Clone, Copy)]
struct OpenSession {
    login_at: i64,
    last_login_at: i64,
    absorbed_logins: u32,
    is_double_login: bool,
}

/// The state machine for one (source, machine, user). Reusable: `finish` resets it.
#[derive(Debug)]
pub struct SessionBuilder {
    rules: SessionRules,
    open: VecDeque<OpenSession>,
    /// The instant being collected, with its login and logout counts.
    pending: Option<(i64, u32, u32)>,
}

impl SessionBuilder {
    pub fn new(rules: SessionRules) -> Self {
        Self {
            rules,
            open: VecDeque::new(),
            pending: None,
        }
    }

    /// Adds one event; `at` must not be before the previous event's instant.
    pub fn push(&mut self, at: i64, kind: EventKind, out: &mut Vec<Session>) {
        match &mut self.pending {
            Some((t, logins, logouts)) if *t == at => match kind {
                EventKind::Login => *logins += 1,
                EventKind::Logout => *logouts += 1,
            },
            pending => {
                debug_assert!(
                    pending.is_none_or(|(t, _, _)| t < at),
                    "events out of order"
                );
                if let Some(previous) = pending.take() {
                    self.apply_instant(previous, out);
                }
                self.pending = Some(match kind {
                    EventKind::Login => (at, 1, 0),
                    EventKind::Logout => (at, 0, 1),
                });
            }
        }
    }

    /// Ends the stream: sessions still open time out or stay `open` (see the module doc).
    pub fn finish(&mut self, source_latest_event_at: i64, out: &mut Vec<Session>) {
        if let Some(previous) = self.pending.take() {
            self.apply_instant(previous, out);
        }
        for session in self.open.drain(..) {
            let deadline = deadline(&self.rules, &session);
            let timed_out = deadline.filter(|d| *d <= source_latest_event_at);
            out.push(Session {
                login_at: Some(session.login_at),
                logout_at: timed_out,
                end_reason: if timed_out.is_some() {
                    EndReason::Timeout
                } else {
                    EndReason::Open
                },
                deadline_at: deadline,
                absorbed_logins: session.absorbed_logins,
                is_double_login: session.is_double_login,
            });
        }
    }

    fn apply_instant(&mut self, (at, logins, logouts): (i64, u32, u32), out: &mut Vec<Session>) {
        self.expire_before(at, out);
        // 2. Logouts close sessions opened earlier, oldest first.
        let mut logouts = logouts;
        while logouts > 0 {
            let Some(session) = self.open.pop_front() else {
                break;
            };
            logouts -= 1;
            out.push(Session {
                login_at: Some(session.login_at),
                logout_at: Some(at),
                end_reason: EndReason::Logout,
                deadline_at: deadline(&self.rules, &session),
                absorbed_logins: session.absorbed_logins,
                is_double_login: session.is_double_login,
            });
        }
        // 3. Remaining logouts pair with this instant's logins: zero-length sessions.
        let pairs = logouts.min(logins);
        for _ in 0..pairs {
            out.push(Session {
                login_at: Some(at),
                logout_at: Some(at),
                end_reason: EndReason::Logout,
                deadline_at: self.rules.max_session_micros.map(|m| at.saturating_add(m)),
                absorbed_logins: 0,
                is_double_login: false,
            });
        }
        // 4. Remaining logins open sessions.
        let logins = logins - pairs;
        if logins > 0 {
            match (self.rules.policy, self.open.back_mut()) {
                (LoginPolicy::Same, Some(open)) => {
                    open.absorbed_logins += logins;
                    open.last_login_at = at;
                    open.is_double_login = true;
                }
                (LoginPolicy::Same, None) => self.open.push_back(OpenSession {
                    login_at: at,
                    last_login_at: at,
                    absorbed_logins: logins - 1,
                    is_double_login: logins > 1,
                }),
                (LoginPolicy::Parallel, _) => {
                    for _ in 0..logins {
                        let is_double_login = !self.open.is_empty();
                        self.open.push_back(OpenSession {
                            login_at: at,
                            last_login_at: at,
                            absorbed_logins: 0,
                            is_double_login,
                        });
                    }
                }
            }
        }
        // 5. Leftover logouts are orphans.
        for _ in 0..logouts - pairs {
            out.push(Session {
                login_at: None,
                logout_at: Some(at),
                end_reason: EndReason::Logout,
                deadline_at: None,
                absorbed_logins: 0,
                is_double_login: false,
            });
        }
    }

    /// Rule 1: sessions whose deadline is strictly before `at` end there with `timeout`.
    /// Open sessions are in login order and every deadline is login + the same maximum,
    /// so the expired ones are a prefix.
    fn expire_before(&mut self, at: i64, out: &mut Vec<Session>) {
        while let Some(session) = self.open.front() {
            match deadline(&self.rules, session) {
                Some(d) if d < at => {
                    out.push(Session {
                        login_at: Some(session.login_at),
                        logout_at: Some(d),
                        end_reason: EndReason::Timeout,
                        deadline_at: Some(d),
                        absorbed_logins: session.absorbed_logins,
                        is_double_login: session.is_double_login,
                    });
                    self.open.pop_front();
                }
                _ => break,
            }
        }
    }
}

fn deadline(rules: &SessionRules, session: &OpenSession) -> Option<i64> {
    let from = match rules.policy {
        LoginPolicy::Parallel => session.login_at,
        LoginPolicy::Same => session.last_login_at,
    };
    rules.max_session_micros.map(|m| from.saturating_add(m))
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
