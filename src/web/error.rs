//! Errors as users see them: a page or a JSON error in their language, with the right status, never a
//! database or crypto detail and never a stack trace. Causes are logged (without user data).

use fluent_templates::fluent_bundle::FluentValue;
use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{catch, catchers, Catcher, Request};
use rocket_dyn_templates::Template;
use serde_json::{json, Map, Value};

use super::guards::{BusyRefused, CrossSiteRefused};
use super::i18n::Lang;
use super::pages;
use crate::app::Error;
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
    /// Refused evidence files: `[{"position", "name", "code", "message"}]`.
    files: Option<Value>,
}

impl ApiError {
    pub fn new(status: Status, code: &'static str, lang: Lang, message_key: &str) -> Self {
        Self {
            status,
            code,
            message: lang.tr(message_key),
            fields: None,
            files: None,
        }
    }

    pub fn invalid(lang: Lang, errors: &FieldErrors) -> Self {
        Self {
            fields: Some(field_map(lang, errors.0.iter())),
            ..Self::new(Status::UnprocessableEntity, "invalid", lang, "error-invalid-input")
        }
    }

    /// The JSON answer to an application error.
    pub fn from_app(lang: Lang, error: Error) -> Self {
        let (status, code, key) = meaning(&error);
        let fields = match &error {
            Error::Invalid(field, e) => Some(field_map(lang, [(*field, *e)].iter())),
            Error::InvalidFields(errors) => Some(field_map(lang, errors.0.iter())),
            _ => None,
        };
        let files = match &error {
            Error::InvalidFiles(refused) => Some(file_refusals(lang, refused)),
            _ => None,
        };
        log_cause(&error);
        Self {
            fields,
            files,
            message: message(lang, &error, key),
            ..Self::new(status, code, lang, key)
        }
    }

    fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(fields) = &self.fields {
            error["fields"] = Value::Object(fields.clone());
        }
        if let Some(files) = &self.files {
            error["files"] = files.clone();
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
    message: String,
}

impl PageError {
    pub fn new(status: Status, lang: Lang, message_key: &'static str) -> Self {
        Self {
            status,
            lang,
            message: lang.tr(message_key),
        }
    }

    /// The page answering an application error.
    pub fn from_app(lang: Lang, error: Error) -> Self {
        let (status, _, key) = meaning(&error);
        log_cause(&error);
        // A page has no form to mark a field on: a single field's refusal is the page's message.
        let message = match &error {
            Error::Invalid(_, e) => field_message(lang, *e),
            _ => message(lang, &error, key),
        };
        Self { status, lang, message }
    }
}

/// The message of an application error: its key's text, with the day for an erased report.
fn message(lang: Lang, error: &Error, key: &str) -> String {
    match error {
        Error::Erased(at) => {
            let day = pages::date(lang, crate::domain::calendar::local_date(*at));
            lang.tr_with(key, &[("date", FluentValue::from(day))])
        }
        _ => lang.tr(key),
    }
}

/// Each refused file with its position (from 1), its name as sent (made safe), a code and the message.
pub fn file_refusals(lang: Lang, refused: &[crate::evidence::Refused]) -> Value {
    refused
        .iter()
        .map(|r| json!({ "position": r.position, "name": r.name, "code": r.error.id(), "message": lang.tr(r.error.message_key()) }))
        .collect()
}

fn field_map<'a>(lang: Lang, errors: impl Iterator<Item = &'a (&'static str, FieldError)>) -> Map<String, Value> {
    errors
        .map(|(field, e)| ((*field).to_owned(), Value::from(field_message(lang, *e))))
        .collect()
}

/// What each application error means over HTTP — status, API code, message key — written once for the
/// pages and the API. Storage trouble is the server's, not the user's: 503.
fn meaning(error: &Error) -> (Status, &'static str, &'static str) {
    match error {
        Error::CodeNotFound => (Status::NotFound, "not_found", "error-code-not-found"),
        Error::NotFound => (Status::NotFound, "not_found", "error-case-not-found"),
        Error::Erased(_) => (Status::Gone, "erased", "error-erased"),
        Error::Forbidden => (Status::Forbidden, "forbidden", "error-forbidden"),
        Error::NoKey => (Status::Forbidden, "no_key", "error-no-key"),
        Error::Invalid(..) | Error::InvalidFields(_) => (Status::UnprocessableEntity, "invalid", "error-invalid-input"),
        Error::InvalidFiles(_) => (Status::UnprocessableEntity, "invalid_files", "error-invalid-files"),
        Error::DamagedFile => (Status::InternalServerError, "damaged_file", "error-damaged-file"),
        Error::Conflict => (Status::Conflict, "conflict", "error-transition-conflict"),
        Error::ExtensionLimit => (Status::Conflict, "extension_limit", "error-extension-limit"),
        Error::NotClaimable => (Status::Conflict, "conflict", "error-not-claimable"),
        Error::AlreadyRated => (Status::Conflict, "already_rated", "error-already-rated"),
        Error::NotRatable => (Status::Conflict, "not_ratable", "error-not-ratable"),
        Error::NoRecipient => (Status::Conflict, "no_officer", "error-claim-no-officer"),
        Error::Rejected => (Status::Unauthorized, "unauthorized", "error-sign-in"),
        Error::Throttled => (Status::TooManyRequests, "too_many_requests", "error-throttled"),
        Error::Busy => (Status::ServiceUnavailable, "busy", "error-busy"),
        Error::CrossSite => (Status::Forbidden, "cross_site", "error-csrf"),
        Error::Staff(refusal) => (Status::UnprocessableEntity, "invalid", refusal.key()),
        Error::Refused(_) => (Status::UnprocessableEntity, "invalid", "error-invalid-input"),
        Error::Storage(_) => (Status::ServiceUnavailable, "storage_unavailable", "error-storage"),
        Error::Internal(_) | Error::Corrupt(_) | Error::LedgerBroken { .. } | Error::ClockMismatch { .. } => {
            (Status::InternalServerError, "internal", "error-internal")
        }
    }
}

/// Logs what the user is not shown: the cause of a server-side failure (never user data).
fn log_cause(error: &Error) {
    match error {
        Error::Storage(cause) => tracing::error!(error = %cause, "storage failure"),
        Error::Corrupt(what) => tracing::error!(field = what, "stored data failed to decrypt or decode"),
        Error::Internal(what) => tracing::error!(what, "internal failure"),
        Error::DamagedFile => tracing::error!("a stored evidence file failed its integrity check"),
        Error::LedgerBroken { .. } | Error::ClockMismatch { .. } => tracing::error!(error = %error, "ledger check"),
        _ => {}
    }
}

/// Every application error answers for itself: JSON under `/api`, a page in the user's language elsewhere.
impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let lang = Lang::of(req);
        let retry = matches!(self, Error::Busy);
        // By segment, as Rocket routes (`//api/…` reaches the API too).
        if req.uri().path().segments().get(0) == Some("api") {
            RetryAfter(ApiError::from_app(lang, self), retry).respond_to(req)
        } else {
            RetryAfter(PageError::from_app(lang, self), retry).respond_to(req)
        }
    }
}

/// A response that says when to try again (`Retry-After`, seconds) when `.1` is set: the answer to a full
/// key-derivation queue.
pub struct RetryAfter<R>(pub R, pub bool);

impl<'r, R: Responder<'r, 'static>> Responder<'r, 'static> for RetryAfter<R> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut response = self.0.respond_to(req)?;
        if self.1 {
            response.set_raw_header("Retry-After", crate::app::kdf::RETRY_AFTER_SECONDS.to_string());
        }
        Ok(response)
    }
}

fn error_page(status: Status, lang: Lang, message: &str) -> Template {
    pages::render(
        "error",
        lang,
        "/",
        json!({
            "status": status.code,
            "title": lang.tr(&title_key(status)),
            "message": message,
            // A staff page answered 401: the way on is signing in again, not the home page.
            "sign_in": status.code == 401,
        }),
    )
}

fn title_key(status: Status) -> String {
    match status.code {
        400 | 401 | 403 | 404 | 410 | 413 | 422 | 503 => format!("error-title-{}", status.code),
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
        (self.status, error_page(self.status, self.lang, &self.message)).respond_to(req)
    }
}

/// Whether the same-origin guard refused this request (a form sent from another site, or a page so old
/// that the browser no longer says where it comes from).
fn cross_site(req: &Request<'_>) -> bool {
    req.local_cache(CrossSiteRefused::default).0
}

#[catch(default)]
fn page_default(status: Status, req: &Request<'_>) -> RetryAfter<(Status, Template)> {
    let lang = Lang::of(req);
    let key = if status.code == 403 && cross_site(req) {
        "error-csrf"
    } else if busy(req) {
        "error-busy"
    } else {
        message_key_for(status)
    };
    RetryAfter((status, error_page(status, lang, &lang.tr(key))), busy(req))
}

/// Whether the request was refused for a full key-derivation queue.
fn busy(req: &Request<'_>) -> bool {
    req.local_cache(BusyRefused::default).0
}

#[catch(default)]
fn api_default(status: Status, req: &Request<'_>) -> RetryAfter<(Status, Json<Value>)> {
    let lang = Lang::of(req);
    let code = match status.code {
        403 if cross_site(req) => "cross_site",
        503 if busy(req) => "busy",
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
        400 if req.content_type().is_some_and(|t| t.is_form_data()) => "error-malformed-form",
        400 => "error-malformed-json",
        401 => "error-unauthorized",
        403 if cross_site(req) => "error-cross-site",
        403 => "error-forbidden",
        404 => "error-api-not-found",
        422 => "error-invalid-input",
        503 if busy(req) => "error-busy",
        _ => message_key_for(status),
    };
    let body = Json(json!({ "error": { "code": code, "message": lang.tr(key) } }));
    RetryAfter((status, body), busy(req))
}

pub fn page_catchers() -> Vec<Catcher> {
    catchers![page_default]
}

pub fn api_catchers() -> Vec<Catcher> {
    catchers![api_default]
}
