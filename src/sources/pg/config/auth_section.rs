//! The `[sources.tables.auth]` section: which columns of an archived table are
//! login/logout events, and how they become `sessions`.

use super::*;

const AUTH_KEYS: &[&str] = &[
    "type_column",
    "user_column",
    "machine_column",
    "machine",
    "login_values",
    "logout_values",
    "failed_login_values",
    "login_policy",
    "max_session_hours",
];

pub(super) fn auth(
    p: &mut Problems,
    table: &Table,
    columns: Option<&[String]>,
) -> Option<AuthMapping> {
    let t = table.table(p, "auth")?;
    t.reject_unknown(p, AUTH_KEYS, &[]);
    let type_column = t.required_string(p, "type_column");
    let user_column = t.required_string(p, "user_column");
    let machine = match (t.value("machine_column"), t.value("machine")) {
        (Some(_), Some(_)) => {
            let span = t.span("machine");
            let message = "set either machine_column or machine (one name for every row), not both";
            p.report(span.as_ref(), t.key("machine"), message, None);
            None
        }
        (Some(_), None) => t
            .string(p, "machine_column")
            .map(|c| Machine::Column(c.into())),
        (None, Some(_)) => t.string(p, "machine").map(|m| Machine::Fixed(m.into())),
        (None, None) => {
            t.missing(
                p,
                "machine_column",
                Some("machine_column = \"client_host\", or machine = \"crm\" for one name".into()),
            );
            None
        }
    };
    if let Some(listed) = columns {
        let machine_column = match &machine {
            Some(Machine::Column(c)) => Some(c.as_str()),
            _ => None,
        };
        for (role, name) in [
            ("type_column", type_column),
            ("user_column", user_column),
            ("machine_column", machine_column),
        ] {
            let Some(name) = name else { continue };
            if !listed.iter().any(|c| c == name) {
                let span = t.span(role);
                p.report(
                    span.as_ref(),
                    t.key(role),
                    format!("column \"{name}\" is not in the table's `columns`"),
                    Some(format!("add \"{name}\" to `columns`")),
                );
            }
        }
    }
    let values = |p: &mut Problems, key: &str, default: &[&str]| -> Vec<String> {
        match t.string_list(p, key) {
            Some(list) => list.into_iter().map(|(v, _)| v.trim().to_owned()).collect(),
            None => default.iter().map(|v| v.to_string()).collect(),
        }
    };
    let login_values = values(p, "login_values", DEFAULT_LOGIN_VALUES);
    let logout_values = values(p, "logout_values", DEFAULT_LOGOUT_VALUES);
    let failed_login_values = values(p, "failed_login_values", DEFAULT_FAILED_LOGIN_VALUES);
    // A value mapped to two types would make the event's meaning depend on list order.
    let mut seen: Vec<(String, &str)> = Vec::new();
    for (key, list) in [
        ("login_values", &login_values),
        ("logout_values", &logout_values),
        ("failed_login_values", &failed_login_values),
    ] {
        for value in list {
            let folded = value.to_ascii_lowercase();
            match seen.iter().find(|(v, _)| *v == folded) {
                Some((_, other)) if *other != key => {
                    let span = t.span(key);
                    let message = format!("value \"{value}\" is also in {other}");
                    p.report(span.as_ref(), t.key(key), message, None);
                }
                _ => seen.push((folded, key)),
            }
        }
    }
    let login_policy = t.choice(
        p,
        "login_policy",
        &[
            ("parallel", LoginPolicy::Parallel),
            ("same", LoginPolicy::Same),
        ],
    );
    let max_hours = t.integer(p, "max_session_hours", 0..=MAX_SESSION_HOURS_LIMIT);
    Some(AuthMapping {
        type_column: type_column?.to_owned(),
        user_column: user_column?.to_owned(),
        machine: machine?,
        login_values,
        logout_values,
        failed_login_values,
        login_policy: login_policy.unwrap_or_default(),
        max_session_hours: max_hours.map_or(DEFAULT_MAX_SESSION_HOURS, |h| h as u32),
    })
}
