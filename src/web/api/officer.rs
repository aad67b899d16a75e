//! The commendation officer's API: the queue by deadline, a commendation's file, the proposal, the
//! decision and the payment. Same session and CSRF rules as the rest of the staff API.

use rocket::serde::json::Json;
use rocket::{get, post, routes, Route, State};
use serde_json::{json, Value};

use super::JsonBody;
use crate::app::commendations::{self, ClaimIdentity, ProposalInput};
use crate::app::{self, Clock, Error};
use crate::domain::commendation::State as CommendationState;
use crate::domain::ids::ReportId;
use crate::domain::FieldError;
use crate::store::Db;
use crate::web::guards::SameOrigin;
use crate::web::pages;
use crate::web::session::Staff;

pub fn routes() -> Vec<Route> {
    routes![get_queue, get_file, post_proposal, post_decision, post_payment]
}

type ApiResult = app::Result<Json<Value>>;

/// An amount given as a JSON integer or as text; anything else fails the amount check.
fn amount(body: &JsonBody, name: &str) -> Option<String> {
    match body.0.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(_) => Some("not a whole number".into()),
    }
}

fn time(at: Option<i64>) -> Value {
    at.map(pages::rfc3339).into()
}

/// `?status=&after=&before=&page=` → the commendations waiting for an officer first, by deadline; `next`
/// and `prev` are the keys of the pages around (pass them as `after` and `before`).
#[get("/commendations?<status>&<after>&<before>&<page>")]
async fn get_queue(
    staff: Staff,
    db: &State<Db>,
    status: Option<&str>,
    after: Option<&str>,
    before: Option<&str>,
    page: Option<i64>,
) -> ApiResult {
    let state = match status.filter(|s| !s.is_empty()) {
        Some(name) => Some(CommendationState::parse(name).ok_or(Error::Invalid("status", FieldError::UnknownStatus))?),
        None => None,
    };
    let request = app::paging::PageRequest { after, before, page };
    let found = commendations::queue(db, &staff, state, request, Clock::now()).await?;
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|(c, deadline)| {
            json!({ "id": c.report_id, "status": c.status.as_str(), "category": c.category, "unit": c.unit_id,
                "conclusion": c.conclusion, "opened_at": pages::rfc3339(c.opened_at),
                "amount": c.decided_amount, "currency": c.currency,
                "next_deadline": pages::deadline_json(deadline.as_ref()) })
        })
        .collect();
    Ok(Json(
        json!({ "commendations": rows, "page": found.page, "pages": found.pages,
        "prev": found.prev, "next": found.next }),
    ))
}

/// A commendation's file: the officer's record, the proposal (with today's base salary), the decision,
/// the claim with the identity the reporter revealed (decrypted with the officer's own key), the payment.
#[get("/commendations/<id>")]
async fn get_file(staff: Staff, db: &State<Db>, id: &str) -> ApiResult {
    let file = commendations::open_file(db, &staff, &ReportId::from(id)).await?;
    let identity = commendations::claim_identity(db, &staff, &file).await?;
    let now = Clock::now();
    let deadlines: Vec<Value> = file
        .deadlines(now)
        .iter()
        .map(|d| pages::deadline_json(Some(d)))
        .collect();
    let row = &file.row;
    let proposal = file.proposal_on(now.today());
    let evidence = file.evidence()?;
    let reason = file.reason()?;
    let reference = file.payment_reference()?;
    Ok(Json(json!({
        "id": row.report_id,
        "status": row.status.as_str(),
        "scheme": row.scheme,
        "currency": row.currency,
        "conclusion": row.conclusion,
        "category": row.category,
        "unit": row.unit_id,
        "opened_at": pages::rfc3339(row.opened_at),
        "deadlines": deadlines,
        "record": { "recovered": row.recovered, "bribe": row.bribe, "evidence": evidence, "form": row.proposed_form,
            "recorded_at": time(row.proposed_at) },
        "proposal": proposal,
        "forms": crate::domain::commendation::forms(file.scheme()),
        "decision": row.decided_at.map(|at| json!({ "form": row.decided_form, "amount": row.decided_amount,
            "reason": reason, "decided_at": pages::rfc3339(at) })),
        "claim": row.claimed_at.map(|at| json!({ "claimed_at": pages::rfc3339(at), "identity": identity.revealed(),
            "sealed_to_others": identity == ClaimIdentity::NotForYou })),
        "payment": row.paid_at.map(|at| json!({ "amount": row.paid_amount, "reference": reference,
            "paid_at": pages::rfc3339(at) })),
    })))
}

/// `{"recovered", "form"?, "bribe"?, "evidence"}` → 200 with the scheme's proposal.
#[post("/commendations/<id>/proposal", format = "json", data = "<body>")]
async fn post_proposal(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    let (recovered, bribe) = (amount(&body, "recovered"), amount(&body, "bribe"));
    let input = ProposalInput {
        recovered: recovered.as_deref(),
        bribe: bribe.as_deref(),
        form: body.str("form"),
        evidence: body.str("evidence"),
    };
    let proposal = commendations::propose(db, &staff, Clock::now(), &ReportId::from(id), &input).await?;
    Ok(Json(json!({ "proposal": proposal })))
}

/// `{"form", "amount", "reason"?}` → 200 with the new status (`decided`, or `no_reward` for form `none`).
#[post("/commendations/<id>/decision", format = "json", data = "<body>")]
async fn post_decision(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    let decided_amount = amount(&body, "amount");
    let state = commendations::decide(
        db,
        &staff,
        Clock::now(),
        &ReportId::from(id),
        body.str("form"),
        decided_amount.as_deref(),
        body.str("reason"),
    )
    .await?;
    Ok(Json(json!({ "status": state.as_str() })))
}

/// `{"amount", "reference", "claimed_at"?}` → 200: the claimed reward was paid. With `claimed_at` (the
/// file's `claim.claimed_at`), a claim made again since then is a 409.
#[post("/commendations/<id>/payment", format = "json", data = "<body>")]
async fn post_payment(_origin: SameOrigin, staff: Staff, db: &State<Db>, id: &str, body: JsonBody) -> ApiResult {
    let paid = amount(&body, "amount");
    commendations::pay(
        db,
        &staff,
        Clock::now(),
        &ReportId::from(id),
        paid.as_deref(),
        body.str("reference"),
        body.str("claimed_at"),
    )
    .await?;
    Ok(Json(json!({ "status": CommendationState::Paid.as_str() })))
}
