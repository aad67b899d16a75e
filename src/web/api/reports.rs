//! The reporter's API: submit, read the status with the code, send a message.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route, State};
use serde_json::{json, Value};

use super::JsonBody;
use crate::app::commendations::{self, Identity, ReporterView};
use crate::app::reporting::{self, StatusView};
use crate::app::{self, evidence, Clock, Error, KdfGate};
use crate::config::Settings;
use crate::crypto::RetrievalCode;
use crate::domain::rating::Rating;
use crate::domain::report::parse_message;
use crate::domain::{FieldError, FieldErrors};
use crate::evidence::Evidence;
use crate::store::Db;
use crate::web::evidence::{incoming, Upload, UploadTurn};
use crate::web::guards::{SameOrigin, SameOriginRoom};
use crate::web::i18n::Lang;
use crate::web::pages;

pub fn routes() -> Vec<Route> {
    routes![
        post_report,
        post_report_with_files,
        post_attachments,
        post_attachments_not_multipart,
        post_status,
        post_message,
        post_claim,
        post_rating
    ]
}

type ApiResult = app::Result<(Status, Json<Value>)>;

/// `{"category", "unit", "narrative", "accused"?, "incident_date"?, "amount_vnd"?}` → 201 with the code.
#[post("/reports", data = "<body>", rank = 2)]
async fn post_report(_origin: SameOriginRoom, body: JsonBody, db: &State<Db>, gate: &State<KdfGate>) -> ApiResult {
    submit(db, gate, &body, Ok(Vec::new())).await
}

/// The same as `multipart/form-data`: a `report` part holding that JSON object and up to the limit of `file`
/// parts. → 201 with the code and what was removed from each file; a refused file → 422 with `files`.
#[post("/reports", format = "multipart/form-data", data = "<form>", rank = 1)]
async fn post_report_with_files(
    _origin: SameOriginRoom,
    _turn: UploadTurn,
    form: Form<ReportParts>,
    db: &State<Db>,
    gate: &State<KdfGate>,
    settings: &State<Settings>,
) -> ApiResult {
    let form = form.into_inner();
    let body = JsonBody::parse(form.report.as_deref().unwrap_or_default().as_bytes())
        .map_err(|_| Error::Invalid("report", FieldError::WrongType))?;
    let files = evidence::prepare(incoming(form.file), settings.attachment_limits()).await;
    submit(db, gate, &body, files).await
}

/// A multipart report: its fields as a JSON object in `report`, its files in `file` (and the code, for
/// `/reports/attachments`).
#[derive(Debug, FromForm)]
struct ReportParts {
    report: Option<String>,
    code: Option<String>,
    file: Vec<Upload>,
}

async fn submit(db: &Db, gate: &KdfGate, body: &JsonBody, files: app::Result<Vec<Evidence>>) -> ApiResult {
    let mut errors = FieldErrors::default();
    let raw = body.raw_report(&mut errors);
    let clock = Clock::now();
    let report = match reporting::check(db, &raw, clock).await {
        Ok(report) if errors.is_empty() => report,
        Ok(_) => return Err(Error::InvalidFields(errors)),
        Err(Error::InvalidFields(domain_errors)) => {
            for (field, error) in domain_errors.0 {
                errors.push(field, error);
            }
            return Err(Error::InvalidFields(errors));
        }
        Err(other) => return Err(other),
    };
    let files = files?;
    let submitted = reporting::submit(db, gate, report, &files, clock).await?;
    let code = submitted.code.grouped();
    Ok((
        Status::Created,
        Json(json!({
            "code": code.as_str(),
            "status": crate::domain::Status::Received.as_str(),
            "attachments": files.iter().map(file_json).collect::<Vec<_>>(),
        })),
    ))
}

/// A file as stored: its safe name, type, size, and what was removed (`kept`: what may remain).
fn file_json(file: &Evidence) -> Value {
    json!({ "name": file.name, "type": file.kind.mime(), "size": file.bytes.len(), "removed": file.removed, "kept": file.kept })
}

/// Files come only as `multipart/form-data`: anything else → 415.
#[post("/reports/attachments", rank = 2)]
fn post_attachments_not_multipart(_origin: SameOrigin) -> Status {
    Status::UnsupportedMediaType
}

/// `multipart/form-data` with a `code` part and `file` parts: adds files to the report → 201. The files are
/// checked before the code is, so a refused file never costs a key derivation.
#[post("/reports/attachments", format = "multipart/form-data", data = "<form>")]
async fn post_attachments(
    _origin: SameOriginRoom,
    _turn: UploadTurn,
    form: Form<ReportParts>,
    db: &State<Db>,
    gate: &State<KdfGate>,
    settings: &State<Settings>,
) -> ApiResult {
    let form = form.into_inner();
    let code = form.code.as_deref().and_then(RetrievalCode::parse);
    let files = evidence::prepare(incoming(form.file), settings.attachment_limits()).await?;
    if files.is_empty() {
        return Err(Error::Invalid("file", FieldError::Required));
    }
    let opened = reporting::open(db, gate, code).await?;
    opened.attach(db, &files, Clock::now()).await?;
    let attachments: Vec<Value> = files.iter().map(file_json).collect();
    Ok((Status::Created, Json(json!({ "attachments": attachments }))))
}

fn code_of(body: &JsonBody) -> Option<RetrievalCode> {
    body.0
        .get("code")
        .and_then(Value::as_str)
        .and_then(RetrievalCode::parse)
}

/// `{"code"}` → the report's status, timeline, deadlines and messages. Any unknown or malformed code gets
/// the same 404.
#[post("/reports/status", data = "<body>")]
async fn post_status(
    _origin: SameOriginRoom,
    body: JsonBody,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
) -> ApiResult {
    let opened = reporting::open(db, gate, code_of(&body)).await?;
    let view = opened.status(db, Clock::now()).await?;
    let commendation = commendations::for_reporter(db, &opened).await?;
    let mut body = status_json(lang, &view);
    body["commendation"] = commendation_json(lang, commendation.as_ref());
    Ok((Status::Ok, Json(body)))
}

/// The `"commendation"` object of the status: `null` until a substantiated conclusion opens one.
fn commendation_json(lang: Lang, view: Option<&ReporterView>) -> Value {
    let Some(c) = view else { return Value::Null };
    json!({
        "status": c.status,
        "status_label": lang.tr(&format!("commendation-{}", c.status.replace('_', "-"))),
        "form": c.form,
        "amount": c.amount,
        "currency": c.currency,
        "decided_at": c.decided_at.map(pages::rfc3339),
        "reason": c.reason,
        "claimed_at": c.claimed_at.map(pages::rfc3339),
        "paid_amount": c.paid_amount,
        "paid_at": c.paid_at.map(pages::rfc3339),
        "can_claim": c.can_claim,
        "can_decline": c.can_decline,
    })
}

/// `{"code", "accept"?: bool (default true), "identity"?: {"name", "id_number", "contact", "payment"}}`
/// → 200 with the commendation: a decided reward claimed (the identity sealed to the commendation officers
/// alone) or declined. Nothing to claim → 409. The body is checked before the code.
#[post("/reports/claim", data = "<body>")]
async fn post_claim(
    _origin: SameOriginRoom,
    body: JsonBody,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
) -> ApiResult {
    let (accept, identity) = claim_of(&body)?;
    let opened = reporting::open(db, gate, code_of(&body)).await?;
    commendations::answer(db, &opened, Clock::now(), accept, identity.as_ref()).await?;
    let view = commendations::for_reporter(db, &opened).await?;
    Ok((
        Status::Ok,
        Json(json!({ "commendation": commendation_json(lang, view.as_ref()) })),
    ))
}

/// `{"code", "score": 1–5, "comment"?}` → 201: the reporter's rating of the handling, once the result was
/// notified (before → 409 `not_ratable`), once per report (a second → 409 `already_rated`). The comment is
/// one line of at most 300 characters, sealed under the report key. The body is checked before the code.
#[post("/reports/rating", data = "<body>")]
async fn post_rating(_origin: SameOriginRoom, body: JsonBody, db: &State<Db>, gate: &State<KdfGate>) -> ApiResult {
    let comment = match body.0.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.as_str()),
        Some(_) => return Err(Error::Invalid("comment", FieldError::WrongType)),
    };
    let rating = Rating::parse(body.0.get("score"), comment).map_err(Error::InvalidFields)?;
    let opened = reporting::open(db, gate, code_of(&body)).await?;
    opened.rate(db, &rating, Clock::now()).await?;
    Ok((Status::Created, Json(json!({ "rating": { "score": rating.score } }))))
}

/// The claim's `accept` and `identity`, every field error at once.
fn claim_of(body: &JsonBody) -> app::Result<(bool, Option<Identity>)> {
    let mut errors = FieldErrors::default();
    let accept = match body.0.get("accept") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push("accept", FieldError::WrongType);
            true
        }
    };
    let identity = match body.0.get("identity") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let names = ["name", "id_number", "contact", "payment"];
            if names
                .iter()
                .any(|n| !matches!(map.get(*n), None | Some(Value::Null | Value::String(_))))
            {
                errors.push("identity", FieldError::WrongType);
                Ok(None)
            } else {
                Identity::parse(names.map(|n| (n, map.get(n).and_then(Value::as_str))))
            }
        }
        Some(_) => {
            errors.push("identity", FieldError::WrongType);
            Ok(None)
        }
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err((field, e)) => {
            errors.push(field, e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(Error::InvalidFields(errors));
    }
    Ok((accept, identity))
}

fn status_json(lang: Lang, view: &StatusView) -> Value {
    json!({
        "status": view.status.as_str(),
        "status_label": lang.tr(&view.status.message_key()),
        "category": view.category,
        "unit": view.unit,
        "received_at": pages::rfc3339(view.received_at),
        "events": view.events.iter().filter(|e| e.kind.shown_to_reporter()).map(|e| json!({
            "at": pages::rfc3339(e.at),
            "kind": e.kind,
            "label": lang.tr(&e.kind.message_key()),
        })).collect::<Vec<_>>(),
        "messages": view.messages.iter().map(|m| json!({
            "from": m.author.as_str(),
            "at": pages::rfc3339(m.at),
            "body": m.body,
        })).collect::<Vec<_>>(),
        "deadlines": view.deadlines.iter().map(|d| pages::deadline_json(Some(d))).collect::<Vec<_>>(),
        "rating": view.rating.map(|(score, at)| json!({ "score": score, "rated_at": pages::rfc3339(at) })),
        "can_rate": view.may_rate,
    })
}

/// `{"code", "body"}` → 201. The body is checked before the code is, so a bad body never costs a key
/// derivation; an unknown code is the same 404 as for the status.
#[post("/reports/messages", data = "<body>")]
async fn post_message(_origin: SameOriginRoom, body: JsonBody, db: &State<Db>, gate: &State<KdfGate>) -> ApiResult {
    let mut errors = FieldErrors::default();
    let text = body.text("body", &mut errors);
    let message = match parse_message(text.as_deref()) {
        Ok(message) if errors.is_empty() => message,
        Ok(_) => return Err(Error::InvalidFields(errors)),
        Err(e) => {
            errors.push("body", e);
            return Err(Error::InvalidFields(errors));
        }
    };
    let opened = reporting::open(db, gate, code_of(&body)).await?;
    opened.reply(db, &message, &[], Clock::now()).await?;
    Ok((Status::Created, Json(json!({ "status": "sent" }))))
}
