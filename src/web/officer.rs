//! The commendation officer's pages: the queue by deadline, and a commendation's file with the proposal,
//! decision and payment forms. Every form carries the session's CSRF token and passes [`SameOrigin`].

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, routes, uri, Route, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::error::field_message;
use super::guards::SameOrigin;
use super::i18n::Lang;
use super::inspector::{category_name, name_of, staff_context, unit_names};
use super::pages;
use super::session::Staff;
use crate::app::commendations::{self, ClaimIdentity, ProposalInput};
use crate::app::{self, Clock, Error};
use crate::domain::calendar::Deadline;
use crate::domain::commendation::{forms, State as CommendationState, NO_REWARD};
use crate::domain::ids::ReportId;
use crate::domain::reward::Scheme;
use crate::store::commendations::Commendation;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![
        get_queue,
        get_queue_signed_out,
        get_file,
        post_proposal,
        post_decision,
        post_payment
    ]
}

type PageResult<T = Template> = app::Result<T>;

/// A commendation state as staff read it: the neutral name, not the words written for the reporter.
fn state_name(lang: Lang, state: CommendationState) -> String {
    lang.tr(&state.neutral_message_key())
}

fn form_name(lang: Lang, form: &str) -> String {
    lang.tr(&format!("form-{}", form.replace('_', "-")))
}

/// The scheme's commendation forms for the proposal's choice, the recorded one selected.
fn form_options(lang: Lang, scheme: Scheme, proposed: Option<&str>) -> Vec<Value> {
    forms(scheme)
        .iter()
        .map(|f| json!({ "id": f, "name": form_name(lang, f), "selected": proposed == Some(*f) }))
        .collect()
}

#[get("/?<status>&<after>&<before>&<page>")]
async fn get_queue(
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    status: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
    page: Option<i64>,
) -> PageResult {
    let state = status.filter(|s| !s.is_empty()).and_then(CommendationState::parse);
    let request = app::paging::PageRequest { after, before, page };
    let found = commendations::queue(db, &staff, state, request, Clock::now()).await?;
    let units = unit_names(db, lang).await?;
    let items = queue_items(lang, &found.rows, &units);
    let states: Vec<Value> = CommendationState::ALL
        .iter()
        .map(|s| json!({ "id": s.as_str(), "name": lang.tr(&s.neutral_message_key()), "selected": state == Some(*s) }))
        .collect();
    let base = format!("/officer?status={}", state.map(CommendationState::as_str).unwrap_or(""));
    let (prev, next) = pages::pager_links(lang, &base, &found);
    let context = json!({
        "staff": staff_context(&staff, lang),
        "items": items,
        "states": states,
        "page": found.page,
        "pages": found.pages,
        "prev": prev,
        "next": next,
    });
    Ok(pages::render("officer/queue", lang, "/officer", context))
}

/// The queue's rows as the officer reads them, each with the clock they work against.
fn queue_items(lang: Lang, rows: &[(Commendation, Option<Deadline>)], units: &[(String, String)]) -> Vec<Value> {
    rows.iter()
        .map(|(c, deadline)| {
            json!({
                "id": c.report_id,
                "short_id": &c.report_id[..8.min(c.report_id.len())],
                "category": category_name(lang, &c.category),
                "unit": name_of(units, &c.unit_id),
                "status": state_name(lang, c.status),
                "opened": pages::time(lang, c.opened_at),
                "amount": c.decided_amount.map(|a| pages::money(lang, a, &c.currency)),
                "deadline": deadline.as_ref().map(|d| pages::deadline(lang, d)),
            })
        })
        .collect()
}

#[get("/", rank = 2)]
fn get_queue_signed_out(lang: Lang) -> Redirect {
    Redirect::to(format!("/inspector/sign-in{}", lang.query()))
}

/// The file actions whose success the file page confirms (`?done=<action>`, message `officer-done-<action>`).
const FILE_ACTIONS: [&str; 3] = ["proposal", "decision", "payment"];

/// The commendation's file; `done` names the action just taken (an unknown one is ignored).
#[get("/commendations/<id>?<done>")]
async fn get_file(staff: Staff, lang: Lang, db: &State<Db>, id: &str, done: Option<&str>) -> PageResult {
    let done = pages::confirmation(lang, done, &FILE_ACTIONS, "officer-done-");
    file_page(db, &staff, lang, id, done, None).await.map(|(_, t)| t)
}

async fn file_page(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    id: &str,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<(Status, Template)> {
    let file = commendations::open_file(db, staff, &ReportId::from(id)).await?;
    let identity = commendations::claim_identity(db, staff, &file).await?;
    let now = Clock::now();
    let entries = commendations::history(db, &file).await?;
    let deadlines: Vec<Value> = file.deadlines(now).iter().map(|d| pages::deadline(lang, d)).collect();
    let events: Vec<Value> = entries.iter().map(|e| pages::event(lang, e)).collect();
    let row = &file.row;
    let currency = row.currency.as_str();
    let money = |a: Option<i64>| a.map(|a| pages::money(lang, a, currency));
    let state = file.state();
    let scheme = file.scheme();
    let proposal = file.proposal_on(now.today());
    let units = unit_names(db, lang).await?;
    let form_options = form_options(lang, scheme, row.proposed_form.as_deref());
    let evidence = file.evidence()?;
    let reason = file.reason()?;
    let reference = file.payment_reference()?;
    let context = json!({
        "staff": staff_context(staff, lang),
        "id": row.report_id,
        "status": row.status.as_str(),
        "status_label": state_name(lang, row.status),
        "conclusion": lang.tr(&format!("status-{}", row.conclusion.replace('_', "-"))),
        "category": category_name(lang, &row.category),
        "unit": name_of(&units, &row.unit_id),
        "opened": pages::time(lang, row.opened_at),
        "scheme": lang.tr(&format!("scheme-{}", scheme.id().replace('_', "-"))),
        "currency": currency,
        "deadlines": deadlines,
        "events": events,
        "record": row.proposed_at.map(|_| json!({
            "recovered": money(row.recovered),
            "bribe": money(row.bribe),
            "evidence": evidence,
            "form": row.proposed_form.as_deref().map(|f| form_name(lang, f)),
        })),
        "proposal": proposal.as_ref().map(|p| json!({
            "amount": pages::money(lang, p.amount, currency),
            "range": p.min.zip(p.max).map(|(lo, hi)| format!("{} – {}", pages::money(lang, lo, currency), pages::money(lang, hi, currency))),
            "rule": p.rule,
        })),
        "decision": row.decided_at.map(|at| json!({
            "form": row.decided_form.as_deref().map(|f| if f == NO_REWARD { lang.tr("form-none") } else { form_name(lang, f) }),
            "amount": money(row.decided_amount),
            "reason": reason,
            "at": pages::time(lang, at),
        })),
        "claim": row.claimed_at.map(|at| json!({ "at": pages::time(lang, at), "identity": identity.revealed(),
            "sealed_to_others": identity == ClaimIdentity::NotForYou })),
        "payment": row.paid_at.map(|at| json!({ "amount": money(row.paid_amount), "reference": reference, "at": pages::time(lang, at) })),
        "is_vn": scheme == Scheme::VnTtlt012015,
        "is_id": scheme == Scheme::IdPp432018,
        "forms": form_options,
        "can_propose": state == CommendationState::Pending,
        "can_decide": state == CommendationState::Pending && row.proposed_at.is_some(),
        "can_pay": state == CommendationState::Claimed,
        "decided_amount_raw": row.decided_amount,
        "claim_seen": row.claimed_at.map(pages::rfc3339),
        "proposed_amount_raw": proposal.as_ref().map(|p| p.amount),
        "values": { "recovered": row.recovered, "bribe": row.bribe },
        "done": done,
        "error": error,
    });
    let status = if context["error"].is_null() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    // The language link stays on this file.
    let path = format!("/officer/commendations/{id}");
    Ok((status, pages::render("officer/file", lang, &path, context)))
}

#[derive(FromForm)]
struct FileForm {
    csrf: Option<String>,
    recovered: Option<String>,
    bribe: Option<String>,
    form: Option<String>,
    evidence: Option<String>,
    amount: Option<String>,
    reason: Option<String>,
    reference: Option<String>,
    /// The claim the officer read when paying (its `claimed_at`).
    claim_seen: Option<String>,
}

type ActionResult = PageResult<Result<Redirect, (Status, Template)>>;

/// Runs `action` (one of [`FILE_ACTIONS`]) after the CSRF check, then shows the file again with its
/// confirmation (303) or with the error (4xx).
async fn act<T>(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    id: &str,
    action: &str,
    form: &FileForm,
    result: impl std::future::Future<Output = app::Result<T>>,
) -> ActionResult {
    if !staff.csrf_matches(form.csrf.as_deref()) {
        return Err(Error::CrossSite);
    }
    match result.await {
        Ok(_) => Ok(Ok(Redirect::to(format!(
            "{}{}",
            uri!("/officer", get_file(id, Some(action))),
            lang.and_query()
        )))),
        Err(Error::Invalid(field, e)) => {
            let message = format!(
                "{}: {}",
                lang.tr(&format!("commendation-field-{field}")),
                field_message(lang, e)
            );
            Ok(Err(file_page(db, staff, lang, id, None, Some(message)).await?))
        }
        Err(Error::Conflict) => {
            let (_, page) = file_page(db, staff, lang, id, None, Some(lang.tr("error-commendation-conflict"))).await?;
            Ok(Err((Status::Conflict, page)))
        }
        Err(other) => Err(other),
    }
}

#[post("/commendations/<id>/proposal", data = "<form>")]
async fn post_proposal(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<FileForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        let input = ProposalInput {
            recovered: form.recovered.as_deref(),
            bribe: form.bribe.as_deref(),
            form: form.form.as_deref(),
            evidence: form.evidence.as_deref(),
        };
        commendations::propose(db, &staff, Clock::now(), &ReportId::from(id), &input).await
    };
    act(db, &staff, lang, id, "proposal", &form, work).await
}

#[post("/commendations/<id>/decision", data = "<form>")]
async fn post_decision(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<FileForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        let (f, amount, reason) = (form.form.as_deref(), form.amount.as_deref(), form.reason.as_deref());
        commendations::decide(db, &staff, Clock::now(), &ReportId::from(id), f, amount, reason).await
    };
    act(db, &staff, lang, id, "decision", &form, work).await
}

#[post("/commendations/<id>/payment", data = "<form>")]
async fn post_payment(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    id: &str,
    form: Form<FileForm>,
) -> ActionResult {
    // Lazy: `act` checks the CSRF token before it runs this.
    let work = async {
        let (amount, reference, seen) = (
            form.amount.as_deref(),
            form.reference.as_deref(),
            form.claim_seen.as_deref(),
        );
        commendations::pay(db, &staff, Clock::now(), &ReportId::from(id), amount, reference, seen).await
    };
    act(db, &staff, lang, id, "payment", &form, work).await
}
