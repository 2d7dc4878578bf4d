//! Token lifecycle: mint, renew before expiry, renew once when the portal rejects it.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::config::{ArcgisAuth, ArcgisSourceConfig};
use super::ArcgisError;
use crate::config::{Secret, SecretRef};
use crate::http::{ApiClient, ApiRequest, HttpError};

/// Renew this long before expiry (RJS and the Python API both use 5 minutes), so a
/// page requested just before expiry does not race it.
const RENEW_MARGIN_MS: i64 = 5 * 60_000;

fn resolve(what: &'static str, reference: &SecretRef) -> Result<Secret, ArcgisError> {
    reference
        .resolve()
        .map_err(|source| ArcgisError::Secret { what, source })
}

enum Credentials {
    UserPassword {
        username: String,
        password: Secret,
        referer: String,
        expiration_minutes: u32,
    },
    AppClient {
        client_id: String,
        client_secret: Secret,
    },
    Fixed(Secret),
}

#[derive(Clone)]
struct Token {
    value: Secret,
    /// Epoch ms after which we mint a new one; `None` = never (pre-issued tokens).
    renew_at_ms: Option<i64>,
}

pub(super) struct TokenSource {
    rest_root: String,
    credentials: Credentials,
    /// A tokio mutex: concurrent slices that all see an expired token wait for one
    /// renewal instead of minting one each.
    current: Mutex<Option<Token>>,
}

impl TokenSource {
    pub(super) fn new(cfg: &ArcgisSourceConfig) -> Result<Self, ArcgisError> {
        let credentials = match &cfg.auth {
            ArcgisAuth::UserPassword {
                username,
                password,
                referer,
                expiration_minutes,
            } => Credentials::UserPassword {
                username: username.clone(),
                password: resolve("password", password)?,
                referer: referer.clone(),
                expiration_minutes: *expiration_minutes,
            },
            ArcgisAuth::ClientCredentials {
                client_id,
                client_secret,
            } => Credentials::AppClient {
                client_id: client_id.clone(),
                client_secret: resolve("client secret", client_secret)?,
            },
            ArcgisAuth::Token { token } => Credentials::Fixed(resolve("token", token)?),
        };
        Ok(TokenSource {
            rest_root: cfg.rest_root(),
            credentials,
            current: Mutex::new(None),
        })
    }

    /// The `Referer` every request must carry when the token was minted for one.
    pub(super) fn referer(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::UserPassword { referer, .. } => Some(referer),
            _ => None,
        }
    }

    /// A token valid for at least the renewal margin.
    pub(super) async fn token(&self, client: &ApiClient) -> Result<Secret, ArcgisError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if token.renew_at_ms.is_none_or(|at| now_ms() < at) {
                return Ok(token.value.clone());
            }
        }
        let token = self.mint(client).await?;
        let value = token.value.clone();
        *current = Some(token);
        Ok(value)
    }

    /// Called after a 498/499 for `rejected`. If another request already replaced that
    /// token, use the replacement; otherwise mint a new one.
    pub(super) async fn renew_after_rejection(
        &self,
        client: &ApiClient,
        rejected: &Secret,
    ) -> Result<Secret, ArcgisError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if &token.value != rejected {
                return Ok(token.value.clone());
            }
        }
        if let Credentials::Fixed(_) = self.credentials {
            return Err(self.failure(
                "the pre-issued token was rejected (expired or revoked) and cannot be renewed",
            ));
        }
        tracing::info!(
            portal = self.rest_root.as_str(),
            "token rejected; renewing once"
        );
        let token = self.mint(client).await?;
        let value = token.value.clone();
        *current = Some(token);
        Ok(value)
    }

    async fn mint(&self, client: &ApiClient) -> Result<Token, ArcgisError> {
        let issued_ms = now_ms();
        match &self.credentials {
            Credentials::Fixed(token) => Ok(Token {
                value: token.clone(),
                renew_at_ms: None,
            }),
            Credentials::UserPassword {
                username,
                password,
                referer,
                expiration_minutes,
            } => {
                let request = ApiRequest::post_form(format!("{}/generateToken", self.rest_root))
                    .param("username", username)
                    .secret_param("password", password.clone())
                    .param("client", "referer")
                    .param("referer", referer)
                    .param("expiration", expiration_minutes.to_string())
                    .param("f", "json")
                    .header("Referer", referer)
                    .context(format!("generateToken for user {username}"));
                let minted: GeneratedToken =
                    client.send(&request).await.map_err(|e| self.refused(e))?;
                Ok(Token {
                    value: Secret::new(minted.token),
                    renew_at_ms: Some(renew_at(issued_ms, minted.expires)),
                })
            }
            Credentials::AppClient {
                client_id,
                client_secret,
            } => {
                let request = ApiRequest::post_form(format!("{}/oauth2/token", self.rest_root))
                    .param("client_id", client_id)
                    .secret_param("client_secret", client_secret.clone())
                    .param("grant_type", "client_credentials")
                    .param("f", "json")
                    .context(format!("oauth2/token for client {client_id}"));
                let minted: OauthToken =
                    client.send(&request).await.map_err(|e| self.refused(e))?;
                let expires_ms = issued_ms.saturating_add(minted.expires_in.saturating_mul(1000));
                Ok(Token {
                    value: Secret::new(minted.access_token),
                    renew_at_ms: Some(renew_at(issued_ms, expires_ms)),
                })
            }
        }
    }

    fn refused(&self, error: HttpError) -> ArcgisError {
        // Transient failures already had their retries inside the client; what is left
        // is either bad credentials or an unreachable portal. Both stop the run.
        self.failure(&error.to_string())
    }

    fn failure(&self, message: &str) -> ArcgisError {
        ArcgisError::Auth {
            portal: self.rest_root.clone(),
            message: message.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct GeneratedToken {
    token: String,
    /// Epoch ms.
    expires: i64,
}

#[derive(Deserialize)]
struct OauthToken {
    access_token: String,
    /// Seconds.
    expires_in: i64,
}

/// The renewal instant: 5 minutes before expiry, or halfway through the lifetime when
/// the portal issues tokens shorter than 10 minutes (so we do not mint one per request).
fn renew_at(issued_ms: i64, expires_ms: i64) -> i64 {
    let lifetime = (expires_ms - issued_ms).max(0);
    expires_ms - RENEW_MARGIN_MS.min(lifetime / 2)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::renew_at;

    #[test]
    fn renews_five_minutes_early_or_halfway_for_short_tokens() {
        assert_eq!(renew_at(0, 60 * 60_000), 55 * 60_000);
        assert_eq!(renew_at(0, 4 * 60_000), 2 * 60_000);
        assert_eq!(renew_at(1000, 500), 500);
    }
}
