//! The two pipeline-file keys of every kind that derives `sessions` (`events`, `arcgis`,
//! `tableau`): `login_policy` and `max_session_hours`. One parser, so the keys mean the
//! same thing and fail with the same messages in every section.

use crate::config::parse::{Problems, Table};
use crate::transform::sessions::{LoginPolicy, SessionRules};

/// The keys, for each kind's `keys` list.
pub const LOGIN_POLICY: &str = "login_policy";
pub const MAX_SESSION_HOURS: &str = "max_session_hours";

/// A year: longer "sessions" are a missing logout, not a session.
pub const MAX_SESSION_HOURS_LIMIT: i64 = 8784;

/// How a source's events become sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    pub login_policy: LoginPolicy,
    /// 0 means sessions never time out.
    pub max_session_hours: u32,
}

impl SessionSettings {
    pub fn rules(&self) -> SessionRules {
        SessionRules {
            policy: self.login_policy,
            max_session_micros: (self.max_session_hours > 0)
                .then(|| i64::from(self.max_session_hours) * 3_600_000_000),
        }
    }
}

/// Reads both keys over `defaults`. `no_logouts`: the kind logs no sign-outs (ArcGIS), so
/// a session can only end by timeout and `max_session_hours = 0` is refused with this
/// reason.
pub fn parse(
    p: &mut Problems,
    t: &Table,
    defaults: SessionSettings,
    no_logouts: Option<&str>,
) -> SessionSettings {
    let login_policy = t.choice(
        p,
        LOGIN_POLICY,
        &[
            ("parallel", LoginPolicy::Parallel),
            ("same", LoginPolicy::Same),
        ],
    );
    let mut hours = t.integer(p, MAX_SESSION_HOURS, 0..=MAX_SESSION_HOURS_LIMIT);
    if let (Some(0), Some(reason)) = (hours, no_logouts) {
        let span = t.span(MAX_SESSION_HOURS);
        let message = format!("must be at least 1: {reason}");
        let hint = Some(format!(
            "{MAX_SESSION_HOURS} = {} (the default)",
            defaults.max_session_hours
        ));
        p.report(span.as_ref(), t.key(MAX_SESSION_HOURS), message, hint);
        hours = None;
    }
    SessionSettings {
        login_policy: login_policy.unwrap_or(defaults.login_policy),
        // Range-checked above: fits u32.
        max_session_hours: hours.map_or(defaults.max_session_hours, |h| h as u32),
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline::file::test_support::{only_problem, parse};
    use crate::transform::sessions::{LoginPolicy, SessionRules};

    const HOUR: i64 = 3_600_000_000;
    /// Keys added by a test start at line 8.
    const TABLEAU: &str = "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"t\"\n\
                           kind = \"tableau\"\nhost = \"repo\"\n";
    const ARCGIS: &str = "[output]\nroot = \"lake\"\n\n[[sources]]\nname = \"a\"\n\
                          kind = \"arcgis\"\nportal_url = \"https://myorg.maps.arcgis.com\"\n\
                          token_env = \"ARCGIS_TOKEN\"\n";

    fn rules(text: &str) -> Option<SessionRules> {
        parse(text).sources[0].session_rules()
    }

    #[test]
    fn each_kind_has_its_defaults_and_takes_both_keys() {
        let same = |hours| SessionRules {
            policy: LoginPolicy::Same,
            max_session_micros: Some(hours * HOUR),
        };
        assert_eq!(rules(TABLEAU), Some(same(4)));
        assert_eq!(rules(ARCGIS), Some(same(2)));
        let text = format!("{TABLEAU}login_policy = \"parallel\"\nmax_session_hours = 0\n");
        let never = SessionRules {
            policy: LoginPolicy::Parallel,
            max_session_micros: None,
        };
        assert_eq!(rules(&text), Some(never));
        let text = format!("{ARCGIS}login_policy = \"parallel\"\nmax_session_hours = 8\n");
        let parallel = SessionRules {
            policy: LoginPolicy::Parallel,
            max_session_micros: Some(8 * HOUR),
        };
        assert_eq!(rules(&text), Some(parallel));
        // No historical_events archived: no sessions.
        let text = format!("{TABLEAU}datasets = [\"http_requests\"]\n");
        assert_eq!(rules(&text), None);
    }

    #[test]
    fn wrong_values_are_config_errors_with_line_and_hint() {
        let typo = only_problem(&format!("{TABLEAU}login_policy = \"paralel\"\n"));
        assert_eq!(
            (typo.line, typo.key.as_str()),
            (8, "sources[0].login_policy")
        );
        assert!(typo.hint.unwrap_or_default().contains("parallel"));

        let too_long = only_problem(&format!("{TABLEAU}max_session_hours = 9000\n"));
        assert_eq!(too_long.key, "sources[0].max_session_hours");
        assert!(
            too_long.message.contains("between 0 and 8784"),
            "{too_long:?}"
        );

        let never = only_problem(&format!("{ARCGIS}max_session_hours = 0\n"));
        assert_eq!(
            (never.line, never.key.as_str()),
            (9, "sources[0].max_session_hours")
        );
        assert!(never.message.contains("no sign-outs"), "{never:?}");
        assert!(
            never.hint.as_deref().unwrap_or("").contains("= 2"),
            "{never:?}"
        );

        let text = only_problem(&format!("{ARCGIS}max_session_hours = \"2\"\n"));
        assert_eq!(text.key, "sources[0].max_session_hours");
    }
}
