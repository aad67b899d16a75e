//! Admin pages. The first admin is created in the browser: when the server starts without one, it prints
//! the address of the setup page and a one-time setup code (kept in memory only, never in a URL); whoever
//! types the code sets the first admin's password and receives the TOTP enrolment. Admins see users,
//! teams and routing rules, never report content.

use std::sync::Mutex;

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::error::PageError;
use super::guards::SameOrigin;
use super::i18n::Lang;
use super::inspector::staff_context;
use super::pages;
use super::session::Staff;
use crate::config::ServerSecret;
use crate::crypto::RetrievalCode;
use crate::domain::staff::Role;
use crate::store::{self, Db};

pub fn routes() -> Vec<Route> {
    routes![get_setup, post_setup, get_admin]
}

/// The one-time code that lets the first admin be created; `None` once an admin exists.
pub struct SetupCode(pub Mutex<Option<RetrievalCode>>);

impl SetupCode {
    pub fn current(&self) -> Option<String> {
        self.0
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|c| c.grouped().to_string()))
    }

    fn take_if(&self, typed: &str) -> bool {
        let Ok(mut guard) = self.0.lock() else { return false };
        let matches = match (guard.as_ref(), RetrievalCode::parse(typed)) {
            (Some(expected), Some(typed)) => *expected == typed,
            _ => false,
        };
        if matches {
            *guard = None;
        }
        matches
    }
}

fn setup_page(lang: Lang, error: Option<String>) -> Template {
    pages::render("admin/setup", lang, "/admin/setup", json!({ "error": error }))
}

#[get("/setup")]
fn get_setup(lang: Lang, code: &State<SetupCode>) -> Result<Template, PageError> {
    match code.current() {
        Some(_) => Ok(setup_page(lang, None)),
        None => Err(PageError::new(Status::NotFound, lang, "error-setup-closed")),
    }
}

#[derive(FromForm)]
struct SetupForm {
    code: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

#[post("/setup", data = "<form>")]
async fn post_setup(
    _origin: SameOrigin,
    form: Form<SetupForm>,
    lang: Lang,
    code: &State<SetupCode>,
    db: &State<Db>,
    secret: &State<ServerSecret>,
) -> Result<Template, (Status, Template)> {
    let username = form.username.clone().unwrap_or_default();
    let password = form.password.clone().unwrap_or_default();
    if let Err(e) = crate::domain::staff::check_password(&password) {
        return Err((Status::UnprocessableEntity, setup_page(lang, Some(e.to_owned()))));
    }
    if let Err(e) = crate::domain::staff::Username::parse(&username) {
        return Err((Status::UnprocessableEntity, setup_page(lang, Some(e.to_owned()))));
    }
    if !code.take_if(form.code.as_deref().unwrap_or_default()) {
        return Err((Status::Forbidden, setup_page(lang, Some(lang.tr("error-setup-code")))));
    }
    let new = crate::ops::NewUser {
        username: &username,
        role: "admin",
        team: None,
        home_unit: None,
        password: &password,
    };
    match crate::ops::user_add(db, secret, new).await {
        Ok(added) => {
            let context = json!({ "username": username.trim(), "uri": added.otpauth_uri });
            Ok(pages::render("admin/setup_done", lang, "/admin/setup", context))
        }
        Err(e) => Err((Status::UnprocessableEntity, setup_page(lang, Some(e.to_string())))),
    }
}

/// The admin's home: users, teams and routing rules. No report content, no case list.
#[get("/")]
async fn get_admin(staff: Staff, lang: Lang, db: &State<Db>) -> Result<Template, PageError> {
    if staff.user.role != Role::Admin {
        return Err(PageError::new(Status::Forbidden, lang, "error-forbidden"));
    }
    let pool = db.pool();
    let storage = |e: sqlx::Error| PageError::from_failure(lang, e.into());
    let rows = sqlx::query("SELECT username, role, team_id, home_unit_id, active FROM users ORDER BY username")
        .fetch_all(pool)
        .await
        .map_err(storage)?;
    let users: Vec<_> = rows
        .iter()
        .map(|r| {
            use sqlx::Row;
            json!({
                "username": r.try_get::<String, _>("username").unwrap_or_default(),
                "role": r.try_get::<String, _>("role").unwrap_or_default(),
                "team": r.try_get::<Option<String>, _>("team_id").unwrap_or_default(),
                "home_unit": r.try_get::<Option<String>, _>("home_unit_id").unwrap_or_default(),
                "active": r.try_get::<i64, _>("active").unwrap_or_default() != 0,
            })
        })
        .collect();
    let teams = store::org::list_teams(pool).await.map_err(storage)?;
    let rules = store::org::list_rules(pool).await.map_err(storage)?;
    let context = json!({
        "staff": staff_context(&staff),
        "users": users,
        "teams": teams.iter().map(|t| json!({ "id": t.id, "name": if lang == Lang::En { &t.name_en } else { &t.name_vi }, "parent": t.parent, "unit": t.unit, "default": t.default })).collect::<Vec<_>>(),
        "rules": rules.iter().map(|r| json!({ "category": r.category, "unit": r.unit, "team": r.team })).collect::<Vec<_>>(),
    });
    Ok(pages::render("admin/home", lang, "/admin", context))
}
