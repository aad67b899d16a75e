//! The staff API: sign-in, the queue, a case, transitions, messages, reassignment. The session is the
//! same private cookie as the pages'; state-changing calls take `application/json` only, which a
//! cross-site form cannot send, on top of SameSite=Strict.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, Route, State};
use serde_json::{json, Value};

use super::JsonBody;
use crate::app::sign_in::{Credentials, SignInLimits};
use crate::app::{self, casework, Clock, KdfGate};
use crate::config::ServerSecret;
use crate::domain::ids::ReportId;
use crate::store::cases::Filter;
use crate::store::Db;
use crate::web::guards::SameOrigin;
use crate::web::pages;
use crate::web::session::{self, Staff};

pub fn routes() -> Vec<Route> {
    routes![
        post_session,
        delete_session,
        get_cases,
        get_case,
        post_transition,
        post_case_message,
        post_assignment,
        post_extension,
        post_hold,
        get_on_time
    ]
}

type ApiResult<T = Json<Value>> = app::Result<T>;

/// `{"username", "password", "totp"}` → 204 and the session cookie; wrong → 401, throttled → 429.
// Rocket handlers take their guards as arguments; this one needs every piece of sign-in.
#[allow(clippy::too_many_arguments)]
#[post("/session", format = "json", data = "<body>")]
async fn post_session(
    _origin: SameOrigin,
    body: JsonBody,
    db: &State<Db>,
    gate: &State<KdfGate>,
    limits: &State<SignInLimits>,
    secret: &State<ServerSecret>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Status> {
    let text = |field: &str| body.0.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (username, password, totp) = (text("username"), text("password"), text("totp"));
    let credentials = Credentials {
        username: &username,
        password: &password,
        totp: &totp,
    };
    session::sign_in(db, gate, limits, secret, cookies, credentials).await?;
    Ok(Status::NoContent)
}

#[delete("/session")]
async fn delete_session(
    _origin: SameOrigin,
    staff: Staff,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
) -> ApiResult<Status> {
    session::sign_out(db, &staff, cookies).await?;
    Ok(Status::NoContent)
}

#[get("/cases?<status>&<category>&<after>&<before>&<page>")]
async fn get_cases(
    staff: Staff,
    db: &State<Db>,
    status: Option<&str>,
    category: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
    page: Option<i64>,
) -> ApiResult {
    let filter = Filter::from_query(status, category);
    let found = casework::queue(db, &staff, &filter, casework::PageRequest { after, before, page }).await?;
    let deadlines = casework::next_deadlines(&found.rows, Clock::now());
    let cases: Vec<Value> = found
        .rows
        .iter()
        .map(|c| {
            json!({ "id": c.id, "category": c.category, "unit": c.unit_id, "status": c.status.as_str(),
                "assignee": c.assignee_id, "next_deadline": pages::deadline_json(deadlines.get(&c.id)),
                "erase_on": c.erased_at.is_none().then(|| c.retention().erase_on()).flatten().map(|d| d.to_string()),
                "held": c.held_since.is_some(), "erased_at": c.erased_at.map(pages::rfc3339) })
        })
        .collect();
    Ok(Json(
        json!({ "cases": cases, "page": found.page, "pages": found.pages, "prev": found.prev, "next": found.next }),
    ))
}

#[get("/cases/<id>")]
async fn get_case(staff: Staff, db: &State<Db>, id: &str) -> ApiResult {
    let (case, opened) = casework::open_case(db, &staff, &ReportId::from(id)).await?;
    let view = opened.status(db, Clock::now()).await?;
    let notes = casework::notes(db, &ReportId::from(id), opened.key()).await?;
    let events: Vec<Value> = view
        .events
        .iter()
        .map(|e| {
            let reason = notes.iter().find(|(seq, _)| *seq == e.seq).map(|(_, text)| text.clone());
            json!({ "at": pages::rfc3339(e.at), "kind": e.kind, "actor": e.actor, "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null), "reason": reason })
        })
        .collect();
    let messages: Vec<Value> = view
        .messages
        .iter()
        .map(|m| json!({ "from": m.author.as_str(), "at": pages::rfc3339(m.at), "body": m.body }))
        .collect();
    Ok(Json(json!({
        "id": case.id,
        "category": case.category,
        "unit": case.unit_id,
        "status": case.status.as_str(),
        "team": case.team_id,
        "assignee": case.assignee_id,
        "received_at": pages::rfc3339(case.received_at),
        "next_deadline": pages::deadline_json(crate::domain::deadlines::next(&view.deadlines)),
        "deadlines": view.deadlines.iter().map(|d| pages::deadline_json(Some(d))).collect::<Vec<_>>(),
        "narrative": view.content.narrative,
        "accused": view.content.accused,
        "incident_date": view.content.incident_date,
        "amount_vnd": view.content.amount_vnd,
        "messages": messages,
        "attachments": attachments(db, &opened).await?,
        "retention": pages::retention_json(&case),
        "events": events,
    })))
}

/// The case's files: `[{"id", "name", "type", "size", "removed", "kept", "message", "at"}]`; each downloads
/// from `/api/v1/cases/{id}/attachments/{attachment}`.
async fn attachments(db: &Db, opened: &crate::app::reporting::Opened) -> crate::app::Result<Vec<Value>> {
    let files = crate::app::evidence::list(db, opened).await?;
    Ok(files
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.meta.name,
                "type": a.meta.kind.mime(),
                "size": a.meta.size,
                "removed": a.meta.removed,
                "kept": a.meta.kept,
                "message": a.message_id,
                "at": pages::rfc3339(a.created_at),
            })
        })
        .collect())
}

/// `{"to", "reason"}` → 200; a transition the lifecycle forbids, or one that lost a race → 409.
#[post("/cases/<id>/transitions", format = "json", data = "<body>")]
async fn post_transition(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    let to = casework::transition(
        db,
        &staff,
        Clock::now(),
        &ReportId::from(id),
        body.str("to"),
        body.str("reason"),
    )
    .await?;
    Ok(Json(json!({ "status": to.as_str() })))
}

/// `{"body"}` → 201: a message to the reporter.
#[post("/cases/<id>/messages", format = "json", data = "<body>")]
async fn post_case_message(
    _origin: SameOrigin,
    staff: Staff,
    db: &State<Db>,
    id: &str,
    body: JsonBody,
) -> ApiResult<(Status, Json<Value>)> {
    casework::message(db, &staff, Clock::now(), &ReportId::from(id), body.str("body")).await?;
    Ok((Status::Created, Json(json!({ "status": "sent" }))))
}

/// `{"assignee": username}` → 200: a supervisor reassigns a case of their team.
#[post("/cases/<id>/assignment", format = "json", data = "<body>")]
async fn post_assignment(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    casework::reassign(db, &staff, Clock::now(), &ReportId::from(id), body.str("assignee")).await?;
    Ok(Json(json!({ "assignee": body.str("assignee") })))
}

/// `{"type": "complex" | "very_complex", "reason"}` → 200: a supervisor extends the resolution; past the
/// policy's count or cap → 409.
#[post("/cases/<id>/extensions", format = "json", data = "<body>")]
async fn post_extension(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    casework::extend(
        db,
        &staff,
        Clock::now(),
        &ReportId::from(id),
        body.str("type"),
        body.str("reason"),
    )
    .await?;
    Ok(Json(json!({ "extended": body.str("type") })))
}

/// `{"hold": "place" | "lift", "reason"}` → 200 `{"held"}`: a supervisor places or lifts a legal hold; placing
/// one on a held case or lifting none → 409.
#[post("/cases/<id>/hold", format = "json", data = "<body>")]
async fn post_hold(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    let held = crate::app::retention::set_hold(
        db,
        &staff,
        Clock::now(),
        &ReportId::from(id),
        body.str("hold"),
        body.str("reason"),
    )
    .await?;
    Ok(Json(json!({ "held": held })))
}

/// The on-time rate per stage over the supervisor's team: deadlines met and missed (ended late or still
/// overdue); open deadlines not yet due count in neither.
#[get("/stats/on-time")]
async fn get_on_time(staff: Staff, db: &State<Db>) -> ApiResult {
    let (cases, stages) = casework::team_on_time(db, &staff, Clock::now()).await?;
    let stages: Vec<Value> = stages
        .iter()
        .map(|(stage, t)| {
            json!({ "stage": stage, "met": t.met, "missed": t.missed,
                "on_time_per_mille": t.per_mille() })
        })
        .collect();
    Ok(Json(json!({ "cases": cases, "stages": stages })))
}
