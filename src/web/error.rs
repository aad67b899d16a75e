//! Errors as users see them: a page or a JSON error in their language, with the right status, never a
//! database or crypto detail and never a stack trace. Causes are logged (without user data).

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{catch, catchers, Catcher, Request};
use rocket_dyn_templates::Template;
use serde_json::{json, Map, Value};

use super::guards::CrossSiteRefused;
use super::i18n::Lang;
use super::pages;
use super::reporting::Failure;
use crate::domain::{FieldError, FieldErrors};

/// The localised message of a field error.
pub fn field_message(lang: Lang, error: FieldError) -> String {
    match error.limit() {
        Some(limit) => lang.tr_with(error.key(), &[("limit", FluentValue::from(limit))]),
        None => lang.tr(error.key()),
    }
}

/// A JSON API error: `{"error": {"code", "message", "fields"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: Status,
    code: &'static str,
    message: String,
    fields: Option<Map<String, Value>>,
}

impl ApiError {
    pub fn new(status: Status, code: &'static str, lang: Lang, message_key: &str) -> Self {
        Self {
            status,
            code,
            message: lang.tr(message_key),
            fields: None,
        }
    }

    pub fn invalid(lang: Lang, errors: &FieldErrors) -> Self {
        let fields = errors
            .0
            .iter()
            .map(|(field, e)| ((*field).to_owned(), Value::from(field_message(lang, *e))))
            .collect();
        Self {
            fields: Some(fields),
            ..Self::new(Status::UnprocessableEntity, "invalid", lang, "error-invalid-input")
        }
    }

    /// The error for a failed reporter request. Storage trouble is the server's, not the user's: 503.
    pub fn from_failure(lang: Lang, failure: Failure) -> Self {
        match failure {
            Failure::NotFound => Self::new(Status::NotFound, "not_found", lang, "error-code-not-found"),
            Failure::Storage(cause) => {
                tracing::error!(error = %cause, "storage failure");
                Self::new(Status::ServiceUnavailable, "storage_unavailable", lang, "error-storage")
            }
            Failure::Corrupt(what) => {
                tracing::error!(field = what, "stored data failed to decrypt");
                Self::new(Status::InternalServerError, "internal", lang, "error-internal")
            }
        }
    }

    fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(fields) = &self.fields {
            error["fields"] = Value::Object(fields.clone());
        }
        json!({ "error": error })
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let body = self.body();
        (self.status, Json(body)).respond_to(req)
    }
}

/// An error page: a title, a message and a way back.
#[derive(Debug)]
pub struct PageError {
    status: Status,
    lang: Lang,
    message_key: &'static str,
}

impl PageError {
    pub fn new(status: Status, lang: Lang, message_key: &'static str) -> Self {
        Self {
            status,
            lang,
            message_key,
        }
    }

    pub fn from_failure(lang: Lang, failure: Failure) -> Self {
        match ApiError::from_failure(lang, failure) {
            e if e.status == Status::ServiceUnavailable => Self::new(e.status, lang, "error-storage"),
            e if e.status == Status::NotFound => Self::new(e.status, lang, "error-code-not-found"),
            e => Self::new(e.status, lang, "error-internal"),
        }
    }
}

fn error_page(status: Status, lang: Lang, message_key: &str) -> Template {
    pages::render(
        "error",
        lang,
        "/",
        json!({
            "status": status.code,
            "title": lang.tr(&title_key(status)),
            "message": lang.tr(message_key),
            // A staff page answered 401: the way on is signing in again, not the home page.
            "sign_in": status.code == 401,
        }),
    )
}

fn title_key(status: Status) -> String {
    match status.code {
        400 | 401 | 403 | 404 | 413 | 422 | 503 => format!("error-title-{}", status.code),
        code if code < 500 => "error-title-400".to_owned(),
        _ => "error-title-500".to_owned(),
    }
}

fn message_key_for(status: Status) -> &'static str {
    match status.code {
        401 => "error-session-ended",
        404 => "error-page-not-found",
        413 => "error-too-large",
        422 | 400 => "error-bad-request",
        503 => "error-storage",
        code if code < 500 => "error-bad-request",
        _ => "error-internal",
    }
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        (self.status, error_page(self.status, self.lang, self.message_key)).respond_to(req)
    }
}

/// Whether the same-origin guard refused this request (a form sent from another site, or a page so old
/// that the browser no longer says where it comes from).
fn cross_site(req: &Request<'_>) -> bool {
    req.local_cache(CrossSiteRefused::default).0
}

#[catch(default)]
fn page_default(status: Status, req: &Request<'_>) -> (Status, Template) {
    let lang = Lang::of(req);
    let key = if status.code == 403 && cross_site(req) {
        "error-csrf"
    } else {
        message_key_for(status)
    };
    (status, error_page(status, lang, key))
}

#[catch(default)]
fn api_default(status: Status, req: &Request<'_>) -> (Status, Json<Value>) {
    let lang = Lang::of(req);
    let code = match status.code {
        403 if cross_site(req) => "cross_site",
        400 => "malformed",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "too_many_requests",
        405 => "method_not_allowed",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "invalid",
        503 => "storage_unavailable",
        code if code < 500 => "bad_request",
        _ => "internal",
    };
    let key = match status.code {
        400 => "error-malformed-json",
        401 => "error-unauthorized",
        403 if cross_site(req) => "error-cross-site",
        403 => "error-forbidden",
        404 => "error-api-not-found",
        422 => "error-invalid-input",
        _ => message_key_for(status),
    };
    (
        status,
        Json(json!({ "error": { "code": code, "message": lang.tr(key) } })),
    )
}

pub fn page_catchers() -> Vec<Catcher> {
    catchers![page_default]
}

pub fn api_catchers() -> Vec<Catcher> {
    catchers![api_default]
}
