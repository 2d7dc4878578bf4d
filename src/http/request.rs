//! `ApiRequest`: one logical request, its secrets kept apart from what errors may show.

use super::error::{HttpError, HttpErrorKind};
use crate::config::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// `application/x-www-form-urlencoded` body; used for credentials so they never sit
    /// in a URL (generateToken is POST-only for that reason, reference §3.1).
    PostForm,
    /// A JSON body (GraphQL), or none at all (a token exchange).
    PostJson,
}

impl Method {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::PostForm | Method::PostJson => "POST",
        }
    }
}

/// One logical request. Secret parameters and headers are kept apart from the plain
/// ones so that nothing derived for errors or logs can ever include them.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) params: Vec<(String, String)>,
    pub(super) secret_params: Vec<(String, Secret)>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) secret_headers: Vec<(String, Secret)>,
    /// For `PostJson`. Never holds a secret: tokens travel in `secret_headers`.
    pub(super) json_body: Option<serde_json::Value>,
    pub(super) context: String,
}

impl ApiRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        ApiRequest {
            method,
            url: url.into(),
            params: Vec::new(),
            secret_params: Vec::new(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            json_body: None,
            context: String::new(),
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    pub fn post_form(url: impl Into<String>) -> Self {
        Self::new(Method::PostForm, url)
    }

    /// A POST with `body` as JSON, or with no body when `None`.
    pub fn post_json(url: impl Into<String>, body: Option<serde_json::Value>) -> Self {
        let mut request = Self::new(Method::PostJson, url);
        request.json_body = body;
        request
    }

    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    pub fn secret_param(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secret_params.push((name.into(), value));
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn secret_header(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secret_headers.push((name.into(), value));
        self
    }

    /// What this request is, for error messages: page cursor, slice, filters.
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub(super) fn error(&self, attempts: u32, kind: HttpErrorKind) -> HttpError {
        // Drop any query string the caller may have put in the URL itself.
        let url = self.url.split('?').next().unwrap_or_default().to_string();
        let context = if self.context.is_empty() {
            "-".to_string()
        } else {
            self.context.clone()
        };
        HttpError {
            method: self.method.as_str(),
            url,
            context,
            attempts,
            kind,
        }
    }
}
