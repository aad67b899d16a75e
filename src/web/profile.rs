//! A staff member's profile page (`/inspector/profile`): the email address and the notifications they
//! receive (issue 13). Every role has one. When the server has no mail server the page says so, and the
//! choices are kept for when it does.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::error::field_message;
use super::guards::SameOrigin;
use super::i18n::Lang;
use super::inspector::staff_context;
use super::pages;
use super::session::Staff;
use crate::app::notify::{self, ChoicesInput, LANGUAGES};
use crate::app::{self, Clock, Error};
use crate::config::Settings;
use crate::store::notify::Choices;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![get_profile, post_profile]
}

#[derive(FromForm)]
struct ProfileForm {
    csrf: Option<String>,
    email: Option<String>,
    mail_lang: Option<String>,
    on_assigned: bool,
    on_reply: bool,
    on_commendation: bool,
    digest: bool,
    digest_hour: Option<String>,
}

impl ProfileForm {
    fn input(&self) -> ChoicesInput<'_> {
        ChoicesInput {
            email: self.email.as_deref(),
            lang: self.mail_lang.as_deref(),
            on_assigned: self.on_assigned,
            on_reply: self.on_reply,
            on_commendation: self.on_commendation,
            digest: self.digest,
            digest_hour: self.digest_hour.as_deref(),
        }
    }
}

#[get("/profile?<done>")]
async fn get_profile(
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    settings: &State<Settings>,
    done: Option<&str>,
) -> app::Result<Template> {
    let choices = notify::choices(db, &staff).await?;
    let shown = Shown::of(choices.as_ref(), lang);
    let saved = done == Some("saved");
    Ok(page(&staff, lang, settings, &shown, saved, None))
}

#[post("/profile", data = "<form>")]
async fn post_profile(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    settings: &State<Settings>,
    form: Form<ProfileForm>,
) -> app::Result<Result<Redirect, (Status, Template)>> {
    if !staff.csrf_matches(form.csrf.as_deref()) {
        return Err(Error::CrossSite);
    }
    match notify::save_choices(db, &staff, &form.input(), Clock::now()).await {
        Ok(()) => Ok(Ok(Redirect::to(format!(
            "/inspector/profile?done=saved{}",
            lang.and_query()
        )))),
        Err(Error::Invalid(_, e)) => {
            let shown = Shown::submitted(&form, lang);
            let page = page(&staff, lang, settings, &shown, false, Some(field_message(lang, e)));
            Ok(Err((Status::UnprocessableEntity, page)))
        }
        Err(other) => Err(other),
    }
}

/// What the form shows: the stored choices, the defaults (every event on, the digest at 7), or what was
/// just submitted and refused.
struct Shown {
    email: String,
    lang: String,
    flags: [bool; 4],
    digest_hour: String,
}

impl Shown {
    fn of(choices: Option<&Choices>, lang: Lang) -> Self {
        match choices {
            Some(c) => Self {
                email: c.email.clone(),
                lang: c.lang.clone(),
                flags: [c.on_assigned, c.on_reply, c.on_commendation, c.digest],
                digest_hour: c.digest_hour.to_string(),
            },
            None => Self {
                email: String::new(),
                lang: lang.code().to_owned(),
                flags: [true; 4],
                digest_hour: "7".into(),
            },
        }
    }

    fn submitted(form: &ProfileForm, lang: Lang) -> Self {
        Self {
            email: form.email.clone().unwrap_or_default(),
            lang: form.mail_lang.clone().unwrap_or_else(|| lang.code().to_owned()),
            flags: [form.on_assigned, form.on_reply, form.on_commendation, form.digest],
            digest_hour: form.digest_hour.clone().unwrap_or_default(),
        }
    }
}

fn page(staff: &Staff, lang: Lang, settings: &Settings, shown: &Shown, saved: bool, error: Option<String>) -> Template {
    let languages: Vec<Value> = LANGUAGES
        .iter()
        .map(|code| json!({ "code": code, "name": lang.tr(&format!("lang-name-{code}")), "selected": *code == shown.lang }))
        .collect();
    let hours: Vec<Value> = (0..24)
        .map(|h| json!({ "value": h, "label": format!("{h:02}:00"), "selected": h.to_string() == shown.digest_hour }))
        .collect();
    let events: Vec<Value> = ["on_assigned", "on_reply", "on_commendation"]
        .iter()
        .zip(shown.flags)
        .map(|(name, on)| json!({ "name": name, "label": lang.tr(&format!("profile-{}", name.replace('_', "-"))), "on": on }))
        .collect();
    let context = json!({
        "staff": staff_context(staff, lang),
        "off": settings.smtp_host.as_deref().is_none_or(|h| h.trim().is_empty()),
        "saved": saved,
        "error": error,
        "email": shown.email,
        "languages": languages,
        "events": events,
        "digest": shown.flags[3],
        "hours": hours,
    });
    pages::render("inspector/profile", lang, "/inspector/profile", context)
}
