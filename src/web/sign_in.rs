//! Staff sign-in and sign-out pages, under `/inspector` (every role signs in here; admins are sent on to
//! `/admin`). The forms pass [`SameOrigin`]; sign-out also carries the session's CSRF token.

use rocket::form::{Form, FromForm};
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::guards::SameOrigin;
use super::i18n::Lang;
use super::pages;
use super::session::{self, Staff};
use crate::app::sign_in::{Credentials, SignInLimits};
use crate::app::{self, Error, KdfGate};
use crate::config::ServerSecret;
use crate::domain::staff::Role;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![get_sign_in, post_sign_in, post_sign_out]
}

fn sign_in_page(lang: Lang, error: Option<&str>) -> Template {
    pages::render(
        "inspector/sign_in",
        lang,
        "/inspector/sign-in",
        json!({ "error": error.map(|k| lang.tr(k)) }),
    )
}

#[get("/sign-in")]
fn get_sign_in(lang: Lang) -> Template {
    sign_in_page(lang, None)
}

#[derive(FromForm)]
struct SignInForm {
    username: Option<String>,
    password: Option<String>,
    totp: Option<String>,
}

#[allow(clippy::too_many_arguments)]
#[post("/sign-in", data = "<form>")]
async fn post_sign_in(
    _origin: SameOrigin,
    form: Form<SignInForm>,
    lang: Lang,
    db: &State<Db>,
    gate: &State<KdfGate>,
    limits: &State<SignInLimits>,
    secret: &State<ServerSecret>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, (Status, Template)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (username, password, totp) = (text(&form.username), text(&form.password), text(&form.totp));
    let credentials = Credentials {
        username: &username,
        password: &password,
        totp: &totp,
    };
    match session::sign_in(db, gate, limits, secret, cookies, credentials).await {
        Ok(role) => {
            let home = if role == Role::Admin { "/admin" } else { "/inspector" };
            Ok(Redirect::to(format!("{home}{}", lang.query())))
        }
        Err(Error::Rejected) => Err((Status::Unauthorized, sign_in_page(lang, Some("error-sign-in")))),
        Err(Error::Throttled) => Err((Status::TooManyRequests, sign_in_page(lang, Some("error-throttled")))),
        Err(_) => Err((Status::ServiceUnavailable, sign_in_page(lang, Some("error-storage")))),
    }
}

#[derive(FromForm)]
struct CsrfForm {
    csrf: Option<String>,
}

#[post("/sign-out", data = "<form>")]
async fn post_sign_out(
    _origin: SameOrigin,
    staff: Staff,
    form: Form<CsrfForm>,
    lang: Lang,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
) -> app::Result<Redirect> {
    if !staff.csrf_matches(form.csrf.as_deref()) {
        return Err(Error::CrossSite);
    }
    session::sign_out(db, &staff, cookies).await?;
    Ok(Redirect::to(format!("/inspector/sign-in{}", lang.query())))
}
