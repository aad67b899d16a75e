//! Staff pages: the queue ordered by deadline, the case page with its actions (sign-in is `sign_in.rs`). Every form that
//! changes state carries the session's CSRF token and passes [`SameOrigin`]; the cookie is SameSite=Strict.

use crate::app::evidence;
use crate::domain::EntryKind;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Route, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::error::field_message;
use super::guards::SameOrigin;
use super::i18n::Lang;
use super::pages::{self, status_name};
use super::session::Staff;
use crate::app::{self, casework, org, retention, Clock, Error};
use crate::domain::ids::ReportId;
use crate::domain::staff::Role;
use crate::domain::{Category, Status as CaseStatus};
use crate::store::cases::{CaseRow, Filter};
use crate::store::messages::Author;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![
        get_queue,
        get_queue_signed_out,
        get_case,
        post_transition,
        post_message,
        post_assignment,
        post_extension,
        post_hold
    ]
}

type PageResult<T = Template> = app::Result<T>;

/// What the layout shows of the signed-in user: the role by its name in the reader's language.
pub fn staff_context(staff: &Staff, lang: Lang) -> Value {
    json!({
        "username": staff.user.username,
        "role_label": lang.tr(&staff.user.role.message_key()),
        "csrf": staff.csrf,
        "idle_minutes": staff.idle_minutes,
    })
}

pub(super) async fn unit_names(db: &Db, lang: Lang) -> app::Result<Vec<(String, String)>> {
    Ok(org::units(db)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.name(lang.code()).to_owned()))
        .collect())
}

pub(super) fn name_of(names: &[(String, String)], id: &str) -> String {
    names
        .iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| id.to_owned())
}

pub(super) fn category_name(lang: Lang, id: &str) -> String {
    Category::parse(id)
        .map(|c| lang.tr(&c.message_key()))
        .unwrap_or_else(|| id.to_owned())
}

/// The queue's query: its filters (empty means any) and the page asked for (see `app::paging`).
#[derive(FromForm)]
struct QueueQuery<'r> {
    status: Option<&'r str>,
    category: Option<&'r str>,
    after: Option<&'r str>,
    before: Option<&'r str>,
    page: Option<i64>,
}

/// The queue: my cases (an inspector) or my team's (a supervisor), oldest deadline first.
#[get("/?<query..>")]
async fn get_queue(
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    query: QueueQuery<'_>,
) -> PageResult<Result<Template, Redirect>> {
    match staff.user.role {
        Role::Admin => return Ok(Err(Redirect::to(format!("/admin{}", lang.query())))),
        Role::Officer => return Ok(Err(Redirect::to(format!("/officer{}", lang.query())))),
        Role::Inspector | Role::Supervisor => {}
    }
    let filter = Filter::from_query(query.status, query.category);
    let request = casework::PageRequest {
        after: query.after,
        before: query.before,
        page: query.page,
    };
    let found = casework::queue(db, &staff, &filter, request).await?;
    let cases = queue_rows(lang, &found.rows, &unit_names(db, lang).await?);
    let (statuses, categories) = filter_options(lang, &filter);
    let base = format!(
        "/inspector?status={}&category={}",
        filter.status.unwrap_or(""),
        filter.category.unwrap_or("")
    );
    let (prev, next) = pages::pager_links(lang, &base, &found);
    let context = json!({
        "staff": staff_context(&staff, lang),
        "is_supervisor": staff.user.role == Role::Supervisor,
        "cases": cases,
        "statuses": statuses,
        "categories": categories,
        "page": found.page,
        "pages": found.pages,
        "prev": prev,
        "next": next,
    });
    Ok(Ok(pages::render("inspector/queue", lang, "/inspector", context)))
}

/// A queue page's rows as the page shows them, each with its next deadline.
fn queue_rows(lang: Lang, rows: &[CaseRow], units: &[(String, String)]) -> Vec<Value> {
    let deadlines = casework::next_deadlines(rows, Clock::now());
    rows.iter()
        .map(|c| {
            json!({
                "id": c.id,
                "short_id": &c.id[..8.min(c.id.len())],
                "category": category_name(lang, &c.category),
                "unit": name_of(units, &c.unit_id),
                "status": lang.tr(&c.status.message_key()),
                "erasure": pages::erasure_note(lang, c),
                "received": pages::time(lang, c.received_at),
                "deadline": deadlines.get(&c.id).map(|d| pages::deadline(lang, d)),
            })
        })
        .collect()
}

/// The queue filter's choices (statuses, categories), the current ones selected.
fn filter_options(lang: Lang, filter: &Filter<'_>) -> (Vec<Value>, Vec<Value>) {
    let statuses = CaseStatus::ALL
        .iter()
        .map(|s| json!({ "id": s.as_str(), "name": lang.tr(&s.message_key()), "selected": filter.status == Some(s.as_str()) }))
        .collect();
    let categories = Category::ALL
        .iter()
        .map(
            |c| json!({ "id": c.id(), "name": lang.tr(&c.message_key()), "selected": filter.category == Some(c.id()) }),
        )
        .collect();
    (statuses, categories)
}

#[get("/", rank = 2)]
fn get_queue_signed_out(lang: Lang) -> Redirect {
    Redirect::to(format!("/inspector/sign-in{}", lang.query()))
}

/// The case actions whose success the case page confirms (`?done=<action>`, message `case-done-<action>`).
const CASE_ACTIONS: [&str; 6] = [
    "transition",
    "message",
    "assignment",
    "extension",
    "hold-placed",
    "hold-lifted",
];

/// The case page; `done` names the action just taken (an unknown one is ignored).
#[get("/cases/<id>?<done>")]
async fn get_case(staff: Staff, lang: Lang, db: &State<Db>, id: &str, done: Option<&str>) -> PageResult {
    let done = pages::confirmation(lang, done, &CASE_ACTIONS, "case-done-");
    case_page(db, &staff, lang, id, done, None).await.map(|(_, t)| t)
}

async fn case_page(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    id: &str,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<(Status, Template)> {
    let (case, opened) = casework::open_case(db, staff, &ReportId::from(id)).await?;
    let view = opened.status(db, Clock::now()).await?;
    let notes = casework::notes(db, &ReportId::from(id), opened.key()).await?;
    let units = unit_names(db, lang).await?;
    let events = timeline(lang, &view.events, &notes);
    let messages: Vec<Value> = view
        .messages
        .iter()
        .map(
            |m| json!({ "from_reporter": m.author == Author::Reporter, "at": pages::time(lang, m.at), "body": m.body }),
        )
        .collect();
    let successors: Vec<Value> = view
        .status
        .successors()
        .iter()
        .map(|s| json!({ "id": s.as_str(), "name": lang.tr(&s.message_key()) }))
        .collect();
    // Who holds the case, by name: staff see it, and the reassignment form starts from it.
    let assignee = casework::assignee_name(db, &case).await?;
    let inspectors: Vec<Value> = if staff.user.role == Role::Supervisor {
        casework::team_inspectors(db, &case)
            .await?
            .into_iter()
            .map(|name| json!({ "selected": assignee.as_deref() == Some(name.as_str()), "name": name }))
            .collect()
    } else {
        vec![]
    };
    let context = json!({
        "staff": staff_context(staff, lang),
        "id": case.id,
        "category": category_name(lang, &case.category),
        "unit": name_of(&units, &case.unit_id),
        "status": view.status.as_str(),
        "status_label": lang.tr(&view.status.message_key()),
        "received": pages::time(lang, case.received_at),
        "deadlines": view.deadlines.iter().map(|d| pages::deadline(lang, d)).collect::<Vec<_>>(),
        "content": {
            "narrative": view.content.narrative,
            "accused": view.content.accused,
            "incident_date": view.content.incident_date,
            "amount": view.content.amount_vnd.map(|a| pages::amount(lang, a)),
        },
        "events": events,
        "messages": messages,
        "files": evidence::list(db, &opened)
            .await?
            .iter()
            .map(|a| pages::attachment(lang, a, Some(format!("/inspector/cases/{}/attachments/{}", case.id, a.id))))
            .collect::<Vec<_>>(),
        "successors": successors,
        "can_extend": staff.user.role == Role::Supervisor && view.status.resolution_running(),
        "retention": pages::retention(lang, &case),
        "can_hold": staff.user.role == Role::Supervisor,
        "inspectors": inspectors,
        "assignee": assignee,
        "done": done,
        "error": error,
    });
    let status = if context["error"].is_null() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    // The language link stays on this case.
    let path = format!("/inspector/cases/{}", case.id);
    Ok((status, pages::render("inspector/case", lang, &path, context)))
}

/// The case's timeline as staff read it: each step with its decrypted reason.
fn timeline(lang: Lang, events: &[crate::store::ledger::Entry], notes: &[(i64, String)]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
            let label = match e.kind {
                EntryKind::Transition => format!(
                    "{} → {}",
                    status_name(lang, detail["from"].as_str().unwrap_or("")),
                    status_name(lang, detail["to"].as_str().unwrap_or(""))
                ),
                kind => lang.tr(&kind.message_key()),
            };
            let reason = notes.iter().find(|(seq, _)| *seq == e.seq).map(|(_, r)| r.clone());
            json!({ "at": pages::time(lang, e.at), "label": label, "reason": reason })
        })
        .collect()
}

#[derive(FromForm)]
struct ActionForm {
    csrf: Option<String>,
    to: Option<String>,
    reason: Option<String>,
    body: Option<String>,
    assignee: Option<String>,
    #[field(name = "type")]
    kind: Option<String>,
    hold: Option<String>,
}

/// Runs `action` (one of [`CASE_ACTIONS`]) after the CSRF check, then shows the case again with its
/// confirmation (303) or with the error (4xx).
async fn act(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    id: &str,
    action: &str,
    form: &ActionForm,
    result: impl std::future::Future<Output = app::Result<()>>,
) -> PageResult<Result<Redirect, (Status, Template)>> {
    if !staff.csrf_matches(form.csrf.as_deref()) {
        return Err(Error::CrossSite);
    }
    match result.await {
        Ok(()) => Ok(Ok(Redirect::to(format!(
            "{}{}",
            uri!("/inspector", get_case(id, Some(action))),
            lang.and_query()
        )))),
        Err(Error::Invalid(_, e)) => Ok(Err(
            case_page(db, staff, lang, id, None, Some(field_message(lang, e))).await?
        )),
        Err(conflict @ (Error::Conflict | Error::ExtensionLimit)) => {
            let key = match conflict {
                Error::ExtensionLimit => "error-extension-limit",
                _ => "error-transition-conflict",
            };
            let (_, page) = case_page(db, staff, lang, id, None, Some(lang.tr(key))).await?;
            Ok(Err((Status::Conflict, page)))
        }
        Err(other) => Err(other),
    }
}

type ActionResult = PageResult<Result<Redirect, (Status, Template)>>;

#[post("/cases/<id>/transitions", data = "<form>")]
async fn post_transition(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<ActionForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        casework::transition(
            db,
            &staff,
            Clock::now(),
            &ReportId::from(id),
            form.to.as_deref(),
            form.reason.as_deref(),
        )
        .await
        .map(|_| ())
    };
    act(db, &staff, lang, id, "transition", &form, work).await
}

#[post("/cases/<id>/messages", data = "<form>")]
async fn post_message(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<ActionForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async { casework::message(db, &staff, Clock::now(), &ReportId::from(id), form.body.as_deref()).await };
    act(db, &staff, lang, id, "message", &form, work).await
}

#[post("/cases/<id>/assignment", data = "<form>")]
async fn post_assignment(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<ActionForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work =
        async { casework::reassign(db, &staff, Clock::now(), &ReportId::from(id), form.assignee.as_deref()).await };
    act(db, &staff, lang, id, "assignment", &form, work).await
}

#[post("/cases/<id>/extensions", data = "<form>")]
async fn post_extension(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<ActionForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        casework::extend(
            db,
            &staff,
            Clock::now(),
            &ReportId::from(id),
            form.kind.as_deref(),
            form.reason.as_deref(),
        )
        .await
    };
    act(db, &staff, lang, id, "extension", &form, work).await
}

#[post("/cases/<id>/hold", data = "<form>")]
async fn post_hold(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<ActionForm>,
) -> ActionResult {
    let action = match form.hold.as_deref() {
        Some("lift") => "hold-lifted",
        _ => "hold-placed",
    };
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        let hold = form.hold.as_deref();
        retention::set_hold(
            db,
            &staff,
            Clock::now(),
            &ReportId::from(id),
            hold,
            form.reason.as_deref(),
        )
        .await
        .map(|_| ())
    };
    act(db, &staff, lang, id, action, &form, work).await
}
