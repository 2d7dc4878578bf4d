//! `IndicoClient`: the token exchange and one GraphQL call, as the official clients do.
//!
//! Auth (indico/http/client.py, the C# authenticating handler): the long-lived API
//! token is exchanged at `POST /auth/users/refresh_token` (`Authorization: Bearer
//! <api token>`) for `{"auth_token"}`, sent as `Authorization: Bearer <auth_token>` on
//! every GraphQL call. A 401 means the access token expired: exchange once more and
//! repeat the call; a second 401 is an authentication failure. Transport trouble and
//! 503 while the platform hibernates (with `Retry-After`) are retried, bounded, by the
//! shared client. Tokens only ever travel as secret headers, so no error, log line or
//! `Debug` output can hold one.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::config::IndicoSourceConfig;
use super::graphql::Query;
use super::IndicoError;
use crate::config::Secret;
use crate::http::{ApiClient, ApiRequest, HttpError};

pub struct IndicoClient {
    http: ApiClient,
    base_url: String,
    api_token: Secret,
    /// A tokio mutex: concurrent calls that all see a 401 wait for one exchange.
    access: Mutex<Option<Secret>>,
}

#[derive(Deserialize)]
struct Exchanged {
    auth_token: String,
}

impl IndicoClient {
    /// Reads the API token and exchanges it, so a bad token fails the source before
    /// anything is planned.
    pub async fn connect(config: &IndicoSourceConfig) -> Result<Self, IndicoError> {
        let api_token = config.api_token.resolve().map_err(IndicoError::Secret)?;
        let http = ApiClient::new(&config.client_options())?;
        let client = IndicoClient {
            http,
            base_url: config.base_url(),
            api_token,
            access: Mutex::new(None),
        };
        client.access_token().await?;
        Ok(client)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn access_token(&self) -> Result<Secret, IndicoError> {
        let mut access = self.access.lock().await;
        if let Some(token) = access.as_ref() {
            return Ok(token.clone());
        }
        let token = self.exchange().await?;
        *access = Some(token.clone());
        Ok(token)
    }

    /// After a 401 for `rejected`: use a token another call already renewed, else
    /// exchange the API token again.
    async fn renew(&self, rejected: &Secret) -> Result<Secret, IndicoError> {
        let mut access = self.access.lock().await;
        if let Some(token) = access.as_ref() {
            if token != rejected {
                return Ok(token.clone());
            }
        }
        tracing::info!(
            host = self.base_url.as_str(),
            "access token expired; refreshing once"
        );
        let token = self.exchange().await?;
        *access = Some(token.clone());
        Ok(token)
    }

    async fn exchange(&self) -> Result<Secret, IndicoError> {
        let request =
            ApiRequest::post_json(format!("{}/auth/users/refresh_token", self.base_url), None)
                .secret_header(
                    "Authorization",
                    Secret::new(format!("Bearer {}", self.api_token.expose())),
                )
                .context("API token exchange");
        match self.http.send::<Exchanged>(&request).await {
            Ok(exchanged) => Ok(Secret::new(exchanged.auth_token)),
            Err(e) if is_unauthorized(&e) => Err(self.auth_failure(format!(
                "the API token was refused ({e}); create a new one in the Indico app"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `query` with `variables` and decodes `data` into `T`. `context` says which
    /// date and cursor this is, for errors.
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: Query,
        variables: Value,
        context: &str,
    ) -> Result<T, IndicoError> {
        let body = json!({
            "query": query.text,
            "variables": variables,
            "operationName": query.name,
        });
        let context = format!("{} {context}", query.name);
        let mut token = self.access_token().await?;
        let mut renewed = false;
        let response = loop {
            let request = ApiRequest::post_json(
                format!("{}/graph/api/graphql", self.base_url),
                Some(body.clone()),
            )
            .secret_header(
                "Authorization",
                Secret::new(format!("Bearer {}", token.expose())),
            )
            .context(context.clone());
            match self.http.send_json(&request).await {
                Ok(value) => break value,
                Err(e) if is_unauthorized(&e) && !renewed => {
                    token = self.renew(&token).await?;
                    renewed = true;
                }
                Err(e) if is_unauthorized(&e) => {
                    return Err(self.auth_failure(format!(
                        "a freshly refreshed access token was refused ({e})"
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        };
        decode(query, &context, response)
    }

    fn auth_failure(&self, message: String) -> IndicoError {
        IndicoError::Auth {
            host: self.base_url.clone(),
            message,
        }
    }
}

fn is_unauthorized(error: &HttpError) -> bool {
    error.code() == Some(401)
}

/// Any `errors` entry fails the call, also next to a partly filled `data`: archiving
/// the part would record an incomplete day as complete.
fn decode<T: DeserializeOwned>(
    query: Query,
    context: &str,
    mut response: Value,
) -> Result<T, IndicoError> {
    let errors = response.get("errors").and_then(Value::as_array);
    if let Some(errors) = errors.filter(|e| !e.is_empty()) {
        let messages: Vec<String> = errors
            .iter()
            .map(|e| match e.get("message").and_then(Value::as_str) {
                Some(message) => message.to_string(),
                None => e.to_string(),
            })
            .collect();
        return Err(IndicoError::Graphql {
            operation: query.name,
            context: context.to_string(),
            messages: messages.join("; "),
        });
    }
    let response_error = |message: String| IndicoError::Response {
        operation: query.name,
        context: context.to_string(),
        message,
    };
    let data = match response.get_mut("data").map(Value::take) {
        Some(Value::Null) | None => return Err(response_error("no `data` and no `errors`".into())),
        Some(data) => data,
    };
    serde_json::from_value(data).map_err(|e| response_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::graphql::USER_SUMMARY;
    use super::super::types::SummaryData;
    use super::*;

    #[test]
    fn errors_fail_even_with_partial_data_and_join_every_message() {
        let response = json!({
            "data": {"userSummary": {"users": {"enabled": 3, "disabled": null}, "appRoles": null}},
            "errors": [{"message": "boom", "path": ["userSummary", "users", "disabled"]},
                       {"message": "second"}, {"extensions": {"code": "X"}}]
        });
        let err = decode::<SummaryData>(USER_SUMMARY, "date 2026-11-01", response).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("boom; second; {\"extensions\""), "{text}");
        assert!(
            text.contains("GetUserSummary") && text.contains("2026-11-01"),
            "{text}"
        );

        let ok = json!({"data": {"userSummary": {"users": {"enabled": 3, "disabled": 1}, "appRoles": []}}, "errors": []});
        let data = decode::<SummaryData>(USER_SUMMARY, "-", ok).unwrap();
        assert_eq!(data.user_summary.unwrap().users.unwrap().enabled, Some(3));
        assert!(decode::<SummaryData>(USER_SUMMARY, "-", json!({"data": null})).is_err());
    }
}
