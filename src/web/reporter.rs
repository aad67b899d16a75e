//! The reporter's pages: the report form, the confirmation with the code, the status lookup and the status
//! page with its reply form. No JavaScript, no cookie; the code travels only in POST bodies.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::error::{field_message, RetryAfter};
use super::evidence::{incoming, FilesContext, Upload, UploadTurn};
use super::guards::{SameOrigin, SameOriginRoom, Services};
use super::i18n::Lang;
use super::pages;
use super::status_page::{status_page, StatusNotice};
use super::token::TokenKey;
use crate::app::commendations::{self, Identity};
use crate::app::reporting::{self, Opened};
use crate::app::{self, evidence, org, Clock, Error, KdfGate};
use crate::config::Settings;
use crate::crypto::RetrievalCode;
use crate::domain::rating::Rating;
use crate::domain::report::parse_message;
use crate::domain::NewReport;
use crate::domain::{Category, FieldErrors, RawReport};
use crate::evidence::Evidence;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![
        get_report_form,
        post_report,
        get_lookup,
        post_lookup,
        post_message,
        post_claim,
        post_rating
    ]
}

type PageResult = app::Result<(Status, Template)>;

/// The form's fields, all optional text: every check happens in `NewReport::parse`, so that every
/// problem is shown at once, in the reporter's language, next to its field.
#[derive(Debug, Default, FromForm)]
struct ReportForm {
    category: Option<String>,
    unit: Option<String>,
    narrative: Option<String>,
    accused: Option<String>,
    incident_date: Option<String>,
    amount_vnd: Option<String>,
    /// Evidence files (`multipart/form-data`; none in a URL-encoded form).
    file: Vec<Upload>,
}

impl ReportForm {
    fn raw(&self) -> RawReport {
        RawReport {
            category: self.category.clone(),
            unit: self.unit.clone(),
            narrative: self.narrative.clone(),
            accused: self.accused.clone(),
            incident_date: self.incident_date.clone(),
            amount_vnd: self.amount_vnd.clone(),
        }
    }
}

const FIELDS: [&str; 6] = [
    "category",
    "unit",
    "narrative",
    "accused",
    "incident_date",
    "amount_vnd",
];

async fn form_page(
    db: &Db,
    lang: Lang,
    form: &ReportForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    files: FilesContext<'_>,
) -> app::Result<Template> {
    let units = org::units(db).await?;
    let selected = |value: &Option<String>, id: &str| value.as_deref() == Some(id);
    let categories: Vec<_> = Category::ALL
        .iter()
        .map(|c| json!({ "id": c.id(), "name": lang.tr(&c.message_key()), "selected": selected(&form.category, c.id()) }))
        .collect();
    let units: Vec<_> = units
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name(lang.code()), "selected": selected(&form.unit, &u.id) }))
        .collect();
    let error_map: serde_json::Map<String, Value> = FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), errors.get(f).map(|e| field_message(lang, e)).into()))
        .collect();
    let context = json!({
        "categories": categories,
        "units": units,
        "values": {
            "narrative": form.narrative.as_deref().unwrap_or(""),
            "accused": form.accused.as_deref().unwrap_or(""),
            "incident_date": form.incident_date.as_deref().unwrap_or(""),
            "amount_vnd": form.amount_vnd.as_deref().unwrap_or(""),
        },
        "errors": error_map,
        "has_errors": !errors.is_empty(),
        "notice": notice.map(|key| lang.tr(key)),
        "narrative_max": crate::domain::report::NARRATIVE_MAX,
        "files": files.context(lang),
    });
    Ok(pages::render("reporter/form", lang, "/report", context))
}

#[get("/")]
async fn get_report_form(lang: Lang, db: &State<Db>, settings: &State<Settings>) -> app::Result<Template> {
    let files = FilesContext::new(settings, &[]);
    form_page(
        db,
        lang,
        &<ReportForm as Default>::default(),
        &FieldErrors::default(),
        None,
        files,
    )
    .await
}

/// Stores the report and its files, then shows the code once, and what was removed from each file. When
/// the server is too busy to take it, the form comes back with what the reporter wrote and no code (nothing
/// was stored); a refused file brings the form back with each refusal (the files must be chosen again); a
/// storage failure shows an error and no code.
#[post("/", data = "<form>")]
async fn post_report(
    _origin: SameOrigin,
    _turn: UploadTurn,
    form: Form<ReportForm>,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
    settings: &State<Settings>,
) -> app::Result<RetryAfter<(Status, Template)>> {
    let clock = Clock::now();
    let mut form = form.into_inner();
    let uploads = incoming(std::mem::take(&mut form.file));
    let (report, files) = match check_all(db, lang, settings, &form, uploads, clock).await? {
        Ok(checked) => checked,
        Err(refused) => return Ok(RetryAfter((Status::UnprocessableEntity, refused), false)),
    };
    let submitted = match reporting::submit(db, gate, report, &files, clock).await {
        Ok(submitted) => submitted,
        Err(Error::Busy) => {
            let busy = FilesContext::new(settings, &[]);
            let page = form_page(db, lang, &form, &FieldErrors::default(), Some("error-busy-form"), busy).await?;
            return Ok(RetryAfter((Status::ServiceUnavailable, page), true));
        }
        Err(other) => return Err(other),
    };
    let context = json!({
        "code": submitted.code.grouped().as_str(),
        "received_at": pages::time(lang, submitted.received_at),
        "files": files.iter().map(|f| pages::stripped_file(lang, f)).collect::<Vec<_>>(),
        // The code is shown once: no link on this page may lead away from it by accident.
        "no_switch": true,
    });
    let page = pages::render("reporter/submitted", lang, "/report", context);
    Ok(RetryAfter((Status::Created, page), false))
}

/// The report's fields and its files, checked together: both ready, or the form again with every refusal of
/// either (the fields' beside them, the files' under the file field).
async fn check_all(
    db: &Db,
    lang: Lang,
    settings: &Settings,
    form: &ReportForm,
    uploads: Vec<crate::evidence::Incoming>,
    clock: Clock,
) -> app::Result<Result<(NewReport, Vec<Evidence>), Template>> {
    let checked = reporting::check(db, &form.raw(), clock).await;
    let files = evidence::prepare(uploads, settings.attachment_limits()).await;
    let (errors, refused) = match (checked, files) {
        (Ok(report), Ok(files)) => return Ok(Ok((report, files))),
        (Err(Error::InvalidFields(errors)), Ok(_)) => (errors, Vec::new()),
        (Err(Error::InvalidFields(errors)), Err(Error::InvalidFiles(refused))) => (errors, refused),
        (Ok(_), Err(Error::InvalidFiles(refused))) => (FieldErrors::default(), refused),
        (Err(other), _) | (_, Err(other)) => return Err(other),
    };
    let page = form_page(db, lang, form, &errors, None, FilesContext::new(settings, &refused)).await?;
    Ok(Err(page))
}

#[derive(Debug, FromForm)]
struct LookupForm {
    code: Option<String>,
}

fn lookup_page(lang: Lang, notice_key: Option<&str>) -> Template {
    pages::render(
        "reporter/lookup",
        lang,
        "/report/status",
        json!({ "notice": notice_key.map(|k| lang.tr(k)) }),
    )
}

#[get("/status")]
fn get_lookup(lang: Lang) -> Template {
    lookup_page(lang, None)
}

/// Opens the report of the typed code and shows its status. Unknown and malformed codes get one answer.
#[post("/status", data = "<form>")]
async fn post_lookup(
    _origin: SameOriginRoom,
    form: Form<LookupForm>,
    lang: Lang,
    services: Services<'_>,
) -> PageResult {
    let Services {
        db,
        gate,
        tokens,
        settings,
    } = services;
    let code = form.code.as_deref().and_then(RetrievalCode::parse);
    match reporting::open(db, gate, code.clone()).await {
        Ok(opened) => status_page(db, tokens, settings, lang, &opened, code, StatusNotice::None).await,
        Err(Error::CodeNotFound) => Ok((Status::NotFound, lookup_page(lang, Some("error-code-not-found")))),
        Err(other) => Err(other),
    }
}

/// Opens the report behind a status page's token, which stands in for the code for 30 minutes. An expired
/// or forged token gives the lookup page again (`Err`).
async fn open_by_token(
    db: &Db,
    gate: &KdfGate,
    tokens: &TokenKey,
    lang: Lang,
    token: Option<&str>,
) -> app::Result<Result<(RetrievalCode, Opened), (Status, Template)>> {
    let Some(code) = token.and_then(|t| tokens.redeem(t, Clock::now().millis())) else {
        return Ok(Err((
            Status::BadRequest,
            lookup_page(lang, Some("notice-token-expired")),
        )));
    };
    let opened = reporting::open(db, gate, Some(code.clone())).await?;
    Ok(Ok((code, opened)))
}

#[derive(Debug, FromForm)]
struct MessageForm {
    token: Option<String>,
    body: Option<String>,
    /// Evidence files sent with the reply.
    file: Vec<Upload>,
}

/// Sends the reporter's reply. The page's token stands in for the code for 30 minutes. When the key
/// derivation queue is full, the reply comes back in a form of its own (503, `Retry-After`), text and token
/// kept, so that nothing the reporter wrote is lost.
#[post("/messages", data = "<form>")]
async fn post_message(
    _origin: SameOrigin,
    _turn: UploadTurn,
    form: Form<MessageForm>,
    lang: Lang,
    services: Services<'_>,
) -> app::Result<RetryAfter<(Status, Template)>> {
    let Services {
        db,
        gate,
        tokens,
        settings,
    } = services;
    let mut form = form.into_inner();
    let (code, opened) = match open_by_token(db, gate, tokens, lang, form.token.as_deref()).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(expired)) => return Ok(RetryAfter(expired, false)),
        Err(Error::Busy) => {
            let context = json!({ "token": form.token, "reply_value": form.body, "no_switch": true });
            let page = pages::render("reporter/reply_busy", lang, "/report/messages", context);
            return Ok(RetryAfter((Status::ServiceUnavailable, page), true));
        }
        Err(other) => return Err(other),
    };
    let files = evidence::prepare(incoming(std::mem::take(&mut form.file)), settings.attachment_limits()).await;
    let typed = form.body.clone().unwrap_or_default();
    let notice = match (parse_message(form.body.as_deref()), files) {
        (Ok(body), Ok(files)) => {
            opened.reply(db, &body, &files, Clock::now()).await?;
            StatusNotice::Sent
        }
        (Err(e), _) => StatusNotice::Invalid(field_message(lang, e), typed),
        (Ok(_), Err(Error::InvalidFiles(refused))) => StatusNotice::FilesRefused(refused, typed),
        (Ok(_), Err(other)) => return Err(other),
    };
    let page = status_page(db, tokens, settings, lang, &opened, Some(code), notice).await?;
    Ok(RetryAfter(page, false))
}

#[derive(Debug, FromForm)]
struct ClaimForm {
    token: Option<String>,
    /// `claim` or `decline`.
    answer: Option<String>,
    name: Option<String>,
    id_number: Option<String>,
    contact: Option<String>,
    payment: Option<String>,
}

impl ClaimForm {
    /// What the reporter chose to reveal, as `Identity::parse` reads it.
    fn identity_fields(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("name", self.name.as_deref()),
            ("id_number", self.id_number.as_deref()),
            ("contact", self.contact.as_deref()),
            ("payment", self.payment.as_deref()),
        ]
    }
}

/// Claims (revealing what the reporter typed to the commendation officers alone) or declines the decided
/// reward. The page's token stands in for the code, as for replies.
#[post("/claim", data = "<form>")]
async fn post_claim(
    _origin: SameOrigin,
    form: Form<ClaimForm>,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
    tokens: &State<TokenKey>,
    settings: &State<Settings>,
) -> PageResult {
    let (code, opened) = match open_by_token(db, gate, tokens, lang, form.token.as_deref()).await? {
        Ok(opened) => opened,
        Err(expired) => return Ok(expired),
    };
    let accept = match form.answer.as_deref() {
        Some("claim") => true,
        Some("decline") => false,
        _ => {
            let notice = StatusNotice::ClaimError(lang.tr("error-claim-answer"));
            return status_page(db, tokens, settings, lang, &opened, Some(code), notice).await;
        }
    };
    let identity = match Identity::parse(form.identity_fields()) {
        Ok(identity) => identity,
        Err((_, e)) => {
            let notice = StatusNotice::ClaimError(field_message(lang, e));
            return status_page(db, tokens, settings, lang, &opened, Some(code), notice).await;
        }
    };
    let notice = match commendations::answer(db, &opened, Clock::now(), accept, identity.as_ref()).await {
        Ok(_) => StatusNotice::Claimed,
        Err(Error::NotClaimable) => StatusNotice::ClaimError(lang.tr("error-not-claimable")),
        Err(Error::NoRecipient) => StatusNotice::ClaimError(lang.tr("error-claim-no-officer")),
        Err(other) => return Err(other),
    };
    status_page(db, tokens, settings, lang, &opened, Some(code), notice).await
}

#[derive(Debug, FromForm)]
struct RatingForm {
    token: Option<String>,
    score: Option<String>,
    comment: Option<String>,
}

/// The reporter's rating of the handling, from the status page (the page's token stands in for the code):
/// once, after the result was notified.
#[post("/rating", data = "<form>")]
async fn post_rating(
    _origin: SameOrigin,
    form: Form<RatingForm>,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
    tokens: &State<TokenKey>,
    settings: &State<Settings>,
) -> PageResult {
    let (code, opened) = match open_by_token(db, gate, tokens, lang, form.token.as_deref()).await? {
        Ok(opened) => opened,
        Err(expired) => return Ok(expired),
    };
    let score = form.score.as_deref().map(|s| serde_json::Value::String(s.to_owned()));
    let notice = match Rating::parse(score.as_ref(), form.comment.as_deref()) {
        Err(errors) => {
            let messages: Vec<String> = errors.0.iter().map(|(_, e)| field_message(lang, *e)).collect();
            StatusNotice::RatingError(messages.join(" "))
        }
        Ok(rating) => match opened.rate(db, &rating, Clock::now()).await {
            Ok(()) => StatusNotice::Rated,
            Err(Error::AlreadyRated) => StatusNotice::RatingRefused(lang.tr("error-already-rated")),
            Err(Error::NotRatable) => StatusNotice::RatingRefused(lang.tr("error-not-ratable")),
            Err(other) => return Err(other),
        },
    };
    status_page(db, tokens, settings, lang, &opened, Some(code), notice).await
}
