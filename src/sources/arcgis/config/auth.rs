//! Credentials of an `arcgis` source: exactly one of username + password
//! (`generateToken`), OAuth app client id + secret, or a pre-issued token. Secret
//! values are references (`*_env` / `*_file`), never inline.

use std::path::Path;

use crate::config::parse::{Problems, Table};
use crate::config::SecretRef;
use crate::sources::arcgis::api::ArcgisAuth;

pub const DEFAULT_TOKEN_EXPIRATION_MINUTES: u32 = 60;
/// ArcGIS Online's cap (`maxTokenExpirationMinutes`, two weeks; reference §3.1).
pub const MAX_TOKEN_EXPIRATION_MINUTES: u32 = 20_160;

/// One way to authenticate: a label for messages and the keys that select it.
struct Method {
    label: &'static str,
    keys: &'static [&'static str],
}

/// Options of `generateToken`, meaningless with the other methods.
const USER_OPTIONS: [&str; 2] = ["referer", "token_expiration_minutes"];

const METHODS: [Method; 3] = [
    Method {
        label: "username + password_env/password_file",
        keys: &["username", "password_env", "password_file"],
    },
    Method {
        label: "client_id + client_secret_env/client_secret_file",
        keys: &["client_id", "client_secret_env", "client_secret_file"],
    },
    Method {
        label: "token_env/token_file",
        keys: &["token_env", "token_file"],
    },
];

pub(super) fn auth(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    portal_url: Option<&str>,
) -> Option<ArcgisAuth> {
    // The methods present, each with its first key in file order (for the message line).
    let mut used: Vec<(usize, &str)> = METHODS
        .iter()
        .enumerate()
        .filter_map(|(i, method)| {
            let first = method
                .keys
                .iter()
                .filter(|key| t.value(key).is_some())
                .min_by_key(|key| t.span(key).map(|s| s.start))?;
            Some((i, *first))
        })
        .collect();
    // The method written first is taken as meant; later ones get the problem.
    used.sort_by_key(|(_, key)| t.span(key).map(|s| s.start));
    let labels: Vec<&str> = METHODS.iter().map(|m| m.label).collect();
    if !used.iter().any(|(method, _)| *method == 0) {
        for key in USER_OPTIONS.iter().filter(|key| t.value(key).is_some()) {
            let span = t.span(key);
            let message = "only applies to username + password authentication (generateToken)";
            p.report(span.as_ref(), t.key(key), message, None);
        }
    }
    match used.as_slice() {
        [] => {
            let hint = format!("one of: {}", labels.join("; or "));
            p.report(
                t.header(),
                t.key("username"),
                "no credentials: set one authentication method",
                Some(hint),
            );
            None
        }
        [(method, _)] => match method {
            0 => user_password(p, t, base_dir, portal_url),
            1 => app_client(p, t, base_dir),
            _ => secret(p, t, base_dir, "token", "ARCGIS_TOKEN")
                .map(|token| ArcgisAuth::Token { token }),
        },
        [(first, _), rest @ ..] => {
            for (method, key) in rest {
                let span = t.span(key);
                let message = format!(
                    "set one authentication method, not several: {} and {}",
                    METHODS[*first].label, METHODS[*method].label
                );
                p.report(span.as_ref(), t.key(key), message, None);
            }
            None
        }
    }
}

fn user_password(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    portal_url: Option<&str>,
) -> Option<ArcgisAuth> {
    let username = t.required_string(p, "username");
    let password = secret(p, t, base_dir, "password", "ARCGIS_PASSWORD");
    let expiration = t.integer(
        p,
        "token_expiration_minutes",
        1..=i64::from(MAX_TOKEN_EXPIRATION_MINUTES),
    );
    // The token is bound to this Referer and every later request must send the same
    // one (reference §3.1); the portal URL is a value that says where it is used.
    let referer = t.string(p, "referer").or(portal_url);
    Some(ArcgisAuth::UserPassword {
        username: username?.to_owned(),
        password: password?,
        referer: referer?.to_owned(),
        expiration_minutes: expiration.map_or(DEFAULT_TOKEN_EXPIRATION_MINUTES, |m| m as u32),
    })
}

fn app_client(p: &mut Problems, t: &Table, base_dir: &Path) -> Option<ArcgisAuth> {
    let client_id = t.required_string(p, "client_id");
    let client_secret = secret(p, t, base_dir, "client_secret", "ARCGIS_CLIENT_SECRET");
    Some(ArcgisAuth::ClientCredentials {
        client_id: client_id?.to_owned(),
        client_secret: client_secret?,
    })
}

/// `<what>_env` or `<what>_file`, exactly one; a missing one is reported.
fn secret(
    p: &mut Problems,
    t: &Table,
    base_dir: &Path,
    what: &str,
    example_var: &str,
) -> Option<SecretRef> {
    let env_key = format!("{what}_env");
    let file_key = format!("{what}_file");
    let env = t.string(p, &env_key);
    let file = t.string(p, &file_key);
    match (t.value(&env_key).is_some(), t.value(&file_key).is_some()) {
        (true, true) => {
            let span = t.span(&file_key);
            let message = format!("set either {env_key} or {file_key}, not both");
            p.report(span.as_ref(), t.key(&file_key), message, None);
            None
        }
        (false, false) => {
            let hint = Some(format!("{env_key} = \"{example_var}\", or {file_key} = \"secrets/arcgis.{what}\" (relative to this file)"));
            let message = format!("missing {env_key} or {file_key}");
            p.report(t.header(), t.key(&env_key), message, hint);
            None
        }
        (true, false) => {
            let var = env?;
            // A value that cannot be a variable name is most likely the secret itself,
            // pasted into the wrong key: say so without repeating it.
            let is_var_name = var.bytes().enumerate().all(|(i, b)| {
                b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit())
            });
            if !is_var_name {
                let span = t.span(&env_key);
                let message = format!("must be the name of an environment variable (letters, digits, _), not the {what} itself");
                let hint = Some(format!("{env_key} = \"{example_var}\""));
                p.report(span.as_ref(), t.key(&env_key), message, hint);
                return None;
            }
            Some(SecretRef::Env(var.to_owned()))
        }
        (false, true) => file.map(|file| SecretRef::File(base_dir.join(file))),
    }
}
