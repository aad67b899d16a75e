//! The reporter's status page, as every reporter's form that ends on it renders it: the report's status,
//! deadlines, timeline, messages and files, the commendation and its claim, the rating of the handling, and
//! the notice of what was just sent.

use rocket::http::Status;
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::evidence::FilesContext;
use super::i18n::Lang;
use super::pages;
use super::token::TokenKey;
use crate::app::commendations::{self, ReporterView};
use crate::app::reporting::{Opened, StatusView};
use crate::app::{self, evidence, org, Clock};
use crate::config::Settings;
use crate::crypto::RetrievalCode;
use crate::domain::Category;
use crate::evidence::Refused;
use crate::store::{messages::Author, Db};

type PageResult = app::Result<(Status, Template)>;

pub(super) enum StatusNotice {
    None,
    Sent,
    Claimed,
    ClaimError(String),
    /// The rating was stored; or why it was not: the form's fields (422), or the report (rated already, or
    /// not yet ratable: 409).
    Rated,
    RatingError(String),
    RatingRefused(String),
    /// The reply's error and what was typed, to show it again.
    Invalid(String, String),
    /// The reply's files that were refused, and what was typed.
    FilesRefused(Vec<Refused>, String),
}

impl StatusNotice {
    /// The page's status, and the reply form's state: sent, its error and what was typed.
    fn answer(&self) -> (Status, bool, Option<String>, String) {
        let refused = Status::UnprocessableEntity;
        match self {
            StatusNotice::None | StatusNotice::Claimed => (Status::Ok, false, None, String::new()),
            StatusNotice::Sent => (Status::Created, true, None, String::new()),
            StatusNotice::Invalid(error, value) => (refused, false, Some(error.clone()), value.clone()),
            StatusNotice::FilesRefused(_, value) => (refused, false, None, value.clone()),
            StatusNotice::ClaimError(_) | StatusNotice::RatingError(_) => (refused, false, None, String::new()),
            StatusNotice::Rated => (Status::Created, false, None, String::new()),
            StatusNotice::RatingRefused(_) => (Status::Conflict, false, None, String::new()),
        }
    }
}

pub(super) async fn status_page(
    db: &Db,
    tokens: &TokenKey,
    settings: &Settings,
    lang: Lang,
    opened: &Opened,
    code: Option<RetrievalCode>,
    notice: StatusNotice,
) -> PageResult {
    let now = Clock::now();
    let view = opened.status(db, now).await?;
    let units = org::units(db).await?;
    let unit_name = units
        .iter()
        .find(|u| *u.id == *view.unit)
        .map(|u| u.name(lang.code()).to_owned())
        .unwrap_or_default();
    let category = Category::parse(&view.category)
        .map(|c| lang.tr(&c.message_key()))
        .unwrap_or_default();
    let events: Vec<_> = view
        .events
        .iter()
        .filter(|e| e.kind.shown_to_reporter())
        .map(|e| pages::event(lang, e))
        .collect();
    let messages: Vec<_> = view
        .messages
        .iter()
        .map(
            |m| json!({ "from_reporter": m.author == Author::Reporter, "at": pages::time(lang, m.at), "body": m.body }),
        )
        .collect();
    let deadlines: Vec<_> = view.deadlines.iter().map(|d| pages::deadline(lang, d)).collect();
    let (status, sent, reply_error, reply_value) = notice.answer();
    let commendation = commendations::for_reporter(db, opened).await?;
    let commendation = commendation.map(|c| commendation_context(lang, &c));
    let (reply_files, files) = files_context(db, settings, lang, opened, &notice).await?;
    let rating = rating_context(lang, &view, &notice);
    let (claimed, claim_error) = match notice {
        StatusNotice::Claimed => (true, None),
        StatusNotice::ClaimError(error) => (false, Some(error)),
        _ => (false, None),
    };
    let context = json!({
        "status": view.status.as_str(),
        "status_label": lang.tr(&view.status.message_key()),
        "received_at": pages::time(lang, view.received_at),
        "category": category,
        "unit": unit_name,
        "events": events,
        "deadlines": deadlines,
        "messages": messages,
        "content": {
            "narrative": view.content.narrative,
            "accused": view.content.accused,
            "incident_date": view.content.incident_date,
            "amount": view.content.amount_vnd.map(|a| pages::amount(lang, a)),
        },
        "token": code.map(|c| tokens.issue(&c, now.millis())),
        "sent": sent,
        "reply_error": reply_error,
        "reply_value": reply_value,
        "commendation": commendation,
        "claimed": claimed,
        "claim_error": claim_error,
        "reply_files": reply_files,
        "files": files,
        "rating": rating,
    });
    Ok((
        status,
        pages::render("reporter/status", lang, "/report/status", context),
    ))
}

/// The status page's files: the reply form's file field (with the refusals of a reply just refused), and
/// the files the reporter sent, by name, size and what was removed (no download: the reporter has them).
async fn files_context(
    db: &Db,
    settings: &Settings,
    lang: Lang,
    opened: &Opened,
    notice: &StatusNotice,
) -> app::Result<(Value, Vec<Value>)> {
    let refused: &[Refused] = match notice {
        StatusNotice::FilesRefused(refused, _) => refused,
        _ => &[],
    };
    let sent = evidence::list(db, opened).await?;
    Ok((
        FilesContext::new(settings, refused).context(lang),
        sent.iter().map(|a| pages::attachment(lang, a, None)).collect(),
    ))
}

/// The commendation as the reporter's status page shows it.
fn commendation_context(lang: Lang, c: &ReporterView) -> Value {
    json!({
        "status": c.status,
        "status_label": lang.tr(&format!("commendation-{}", c.status.replace('_', "-"))),
        "form": c.form.as_deref().map(|f| lang.tr(&format!("form-{}", f.replace('_', "-")))),
        "amount": c.amount.map(|a| pages::money(lang, a, &c.currency)),
        "decided_at": c.decided_at.map(|at| pages::time(lang, at)),
        "reason": c.reason,
        "paid_amount": c.paid_amount.map(|a| pages::money(lang, a, &c.currency)),
        "paid_at": c.paid_at.map(|at| pages::time(lang, at)),
        "can_claim": c.can_claim,
        "can_decline": c.can_decline,
        "claimed": c.status == "claimed",
    })
}

/// The rating part of the status page: the rating given, or the form while the reporter may rate, and what
/// became of a rating just sent.
fn rating_context(lang: Lang, view: &StatusView, notice: &StatusNotice) -> Value {
    let scores: Vec<Value> = (1..=5)
        .map(|n| json!({ "value": n, "label": lang.tr(&format!("rating-score-{n}")) }))
        .collect();
    let error = match notice {
        StatusNotice::RatingError(e) | StatusNotice::RatingRefused(e) => Some(e.clone()),
        _ => None,
    };
    json!({
        "shown": view.rating.is_some() || view.may_rate || error.is_some(),
        "given": view.rating.map(|(score, at)| json!({
            "score": score,
            "label": lang.tr(&format!("rating-score-{score}")),
            "at": pages::time(lang, at),
        })),
        "may_rate": view.may_rate,
        "scores": scores,
        "rated": matches!(notice, StatusNotice::Rated),
        "error": error,
    })
}
