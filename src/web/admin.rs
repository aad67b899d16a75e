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
use super::inspector::{category_name, name_of, staff_context};
use super::pages;
use super::session::Staff;
use crate::config::ServerSecret;
use crate::crypto::RetrievalCode;
use crate::domain::staff::Role;
use crate::store::{self, Db};

pub fn routes() -> Vec<Route> {
    routes![
        get_setup,
        post_setup,
        get_admin,
        post_user,
        post_user_disable,
        post_rule,
        post_rule_delete,
        post_team,
        post_unit
    ]
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

    fn restore(&self, typed: &str) {
        if let (Ok(mut guard), Some(code)) = (self.0.lock(), RetrievalCode::parse(typed)) {
            *guard = Some(code);
        }
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

/// Closes setup when an admin exists (one may have been created with the CLI while the server runs).
async fn setup_open(db: &Db, code: &SetupCode) -> bool {
    if store::users::count_admins(db.pool())
        .await
        .map(|n| n > 0)
        .unwrap_or(true)
    {
        if let Ok(mut guard) = code.0.lock() {
            *guard = None;
        }
        return false;
    }
    code.current().is_some()
}

#[get("/setup")]
async fn get_setup(lang: Lang, code: &State<SetupCode>, db: &State<Db>) -> Result<Template, PageError> {
    match setup_open(db, code).await.then_some(()) {
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
    if !setup_open(db, code).await || !code.take_if(form.code.as_deref().unwrap_or_default()) {
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
        Err(e) => {
            // Nothing was created: the code stays usable for the next try.
            code.restore(form.code.as_deref().unwrap_or_default());
            Err((Status::UnprocessableEntity, setup_page(lang, Some(e.to_string()))))
        }
    }
}

/// The admin's home: users, teams and routing rules. No report content, no case list.
#[get("/")]
async fn get_admin(staff: Staff, lang: Lang, db: &State<Db>) -> Result<Template, PageError> {
    admin_page(db, &staff, lang, None).await.map(|(_, t)| t)
}

/// What an admin action has to say on the page it returns to.
enum Notice {
    /// A new account's enrolment address, shown once.
    Enrol {
        username: String,
        uri: String,
    },
    Done,
    Error(String),
}

async fn admin_page(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    notice: Option<Notice>,
) -> Result<(Status, Template), PageError> {
    if staff.user.role != Role::Admin {
        return Err(PageError::new(Status::Forbidden, lang, "error-forbidden"));
    }
    let pool = db.pool();
    let storage = |e: sqlx::Error| PageError::from_failure(lang, e.into());
    let teams = store::org::list_teams(pool).await.map_err(storage)?;
    let rules = store::org::list_rules(pool).await.map_err(storage)?;
    let units = store::units::list_units(pool).await.map_err(storage)?;
    // Names as the admin reads them; an id only where nothing names it ("*" is every category or unit).
    let team_names: Vec<(String, String)> = teams
        .iter()
        .map(|t| (t.id.clone(), t.name(lang.code()).to_owned()))
        .collect();
    let unit_names: Vec<(String, String)> = units
        .iter()
        .map(|u| (u.id.clone(), u.name(lang.code()).to_owned()))
        .collect();
    let team_name = |id: &str| name_of(&team_names, id);
    let unit_name = |id: &str| match id {
        "*" => lang.tr("queue-all"),
        _ => name_of(&unit_names, id),
    };
    let category_name = |id: &str| match id {
        "*" => lang.tr("queue-all"),
        _ => category_name(lang, id),
    };
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
                "role": role_name(lang, &r.try_get::<String, _>("role").unwrap_or_default()),
                "team": r.try_get::<Option<String>, _>("team_id").unwrap_or_default().map(|t| team_name(&t)),
                "home_unit": r.try_get::<Option<String>, _>("home_unit_id").unwrap_or_default().map(|u| unit_name(&u)),
                "active": r.try_get::<i64, _>("active").unwrap_or_default() != 0,
            })
        })
        .collect();
    let (status, enrol, done, error) = match notice {
        None => (Status::Ok, None, false, None),
        Some(Notice::Enrol { username, uri }) => (
            Status::Ok,
            Some(json!({ "username": username, "uri": uri })),
            true,
            None,
        ),
        Some(Notice::Done) => (Status::Ok, None, true, None),
        Some(Notice::Error(e)) => (Status::UnprocessableEntity, None, false, Some(e)),
    };
    let context = json!({
        "staff": staff_context(staff, lang),
        "users": users,
        "teams": teams.iter().map(|t| json!({
            "id": t.id,
            "name": team_name(&t.id),
            "parent": t.parent.as_deref().map(team_name),
            "unit": t.unit.as_deref().map(unit_name),
            "default": t.default,
        })).collect::<Vec<_>>(),
        "rules": rules.iter().map(|r| json!({
            "category": r.category,
            "unit": r.unit,
            "category_name": category_name(&r.category),
            "unit_name": unit_name(&r.unit),
            "team_name": team_name(&r.team),
        })).collect::<Vec<_>>(),
        "units": units.iter().map(|u| json!({ "id": u.id, "name": u.name(lang.code()) })).collect::<Vec<_>>(),
        "categories": crate::domain::Category::ALL.iter().map(|c| json!({ "id": c.id(), "name": lang.tr(&c.message_key()) })).collect::<Vec<_>>(),
        "roles": Role::ALL.iter().map(|r| json!({ "id": r.as_str(), "name": lang.tr(&r.message_key()) })).collect::<Vec<_>>(),
        "unit_kinds": UNIT_KINDS.iter().map(|k| json!({ "id": k, "name": lang.tr(&format!("unit-kind-{k}")) })).collect::<Vec<_>>(),
        "enrol": enrol,
        "done": done,
        "error": error,
    });
    Ok((status, pages::render("admin/home", lang, "/admin", context)))
}

/// A stored role's name in the reader's language (the id itself if it is unknown).
fn role_name(lang: Lang, id: &str) -> String {
    Role::parse(id)
        .map(|r| lang.tr(&r.message_key()))
        .unwrap_or_else(|| id.to_owned())
}

type AdminResult = Result<(Status, Template), PageError>;

/// Runs an admin action after the role and CSRF checks, then shows the admin page with its outcome.
async fn admin_action(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    csrf: Option<&str>,
    action: impl std::future::Future<Output = Result<Notice, String>>,
) -> AdminResult {
    if staff.user.role != Role::Admin {
        return Err(PageError::new(Status::Forbidden, lang, "error-forbidden"));
    }
    if !staff.csrf_matches(csrf) {
        return Err(PageError::new(Status::Forbidden, lang, "error-csrf"));
    }
    let notice = action.await.unwrap_or_else(Notice::Error);
    admin_page(db, staff, lang, Some(notice)).await
}

#[derive(FromForm)]
struct UserForm {
    csrf: Option<String>,
    username: Option<String>,
    role: Option<String>,
    team: Option<String>,
    home_unit: Option<String>,
    password: Option<String>,
}

fn chosen(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[post("/users", data = "<form>")]
async fn post_user(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    secret: &State<ServerSecret>,
    form: Form<UserForm>,
) -> AdminResult {
    let action = async {
        let username = form.username.clone().unwrap_or_default();
        let new = crate::ops::NewUser {
            username: &username,
            role: form.role.as_deref().unwrap_or_default(),
            team: chosen(&form.team),
            home_unit: chosen(&form.home_unit),
            password: form.password.as_deref().unwrap_or_default(),
        };
        let added = crate::ops::user_add_by(db, secret, new, &staff.user.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Notice::Enrol {
            username: username.trim().to_owned(),
            uri: added.otpauth_uri,
        })
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}

#[derive(FromForm)]
struct CsrfOnly {
    csrf: Option<String>,
}

#[post("/users/<username>/disable", data = "<form>")]
async fn post_user_disable(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    username: &str,
    form: Form<CsrfOnly>,
) -> AdminResult {
    let action = async {
        // Compare accounts, not the typed name (which could carry spaces or another case).
        let target = store::users::find_by_username(db.pool(), username.trim())
            .await
            .map_err(|e| e.to_string())?;
        if target.as_ref().is_some_and(|u| u.id == staff.user.id) {
            return Err(lang.tr("error-disable-self"));
        }
        crate::ops::user_disable_by(db, username, &staff.user.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Notice::Done)
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}

#[derive(FromForm)]
struct RuleForm {
    csrf: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    team: Option<String>,
}

#[post("/rules", data = "<form>")]
async fn post_rule(_o: SameOrigin, staff: Staff, lang: Lang, db: &State<Db>, form: Form<RuleForm>) -> AdminResult {
    let action = async {
        let category = chosen(&form.category).unwrap_or("*");
        let unit = chosen(&form.unit).unwrap_or("*");
        let team = chosen(&form.team).unwrap_or_default();
        let units = store::units::list_units(db.pool()).await.map_err(|e| e.to_string())?;
        let teams = store::org::list_teams(db.pool()).await.map_err(|e| e.to_string())?;
        let valid = (category == "*" || crate::domain::Category::parse(category).is_some())
            && (unit == "*" || units.iter().any(|u| u.id == unit))
            && teams.iter().any(|t| t.id == team);
        if !valid {
            return Err(lang.tr("error-invalid-input"));
        }
        let rule = crate::domain::routing::Rule {
            category: category.into(),
            unit: unit.into(),
            team: team.into(),
        };
        store::org::upsert_rule(db.pool(), &rule, &staff.user.id, store::now_millis())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Notice::Done)
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}

#[post("/rules/delete", data = "<form>")]
async fn post_rule_delete(
    _o: SameOrigin,
    staff: Staff,
    lang: Lang,
    db: &State<Db>,
    form: Form<RuleForm>,
) -> AdminResult {
    let action = async {
        let (category, unit) = (chosen(&form.category).unwrap_or("*"), chosen(&form.unit).unwrap_or("*"));
        let removed = store::org::delete_rule(db.pool(), category, unit, &staff.user.id, store::now_millis())
            .await
            .map_err(|e| e.to_string())?;
        if removed {
            Ok(Notice::Done)
        } else {
            Err(lang.tr("error-invalid-input"))
        }
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}

#[derive(FromForm)]
struct TeamForm {
    csrf: Option<String>,
    id: Option<String>,
    name_vi: Option<String>,
    name_en: Option<String>,
    unit: Option<String>,
    parent: Option<String>,
}

#[post("/teams", data = "<form>")]
async fn post_team(_o: SameOrigin, staff: Staff, lang: Lang, db: &State<Db>, form: Form<TeamForm>) -> AdminResult {
    let action = async {
        let id = chosen(&form.id).unwrap_or_default();
        let slug_ok = is_slug(id);
        let name_vi = chosen(&form.name_vi).unwrap_or_default();
        let units = store::units::list_units(db.pool()).await.map_err(|e| e.to_string())?;
        let teams = store::org::list_teams(db.pool()).await.map_err(|e| e.to_string())?;
        let unit_ok = chosen(&form.unit).is_none_or(|u| units.iter().any(|x| x.id == u));
        let parent_ok = chosen(&form.parent).is_none_or(|p| p != id && teams.iter().any(|t| t.id == p));
        if !slug_ok || name_vi.is_empty() || name_vi.chars().count() > 200 || !unit_ok || !parent_ok {
            return Err(lang.tr("error-invalid-input"));
        }
        let team = crate::domain::org::Team {
            id: id.to_owned(),
            name_vi: name_vi.to_owned(),
            name_en: chosen(&form.name_en).unwrap_or(name_vi).to_owned(),
            unit: chosen(&form.unit).map(str::to_owned),
            parent: chosen(&form.parent).map(str::to_owned),
            default: false,
        };
        store::org::upsert_team(db.pool(), &team, &staff.user.id, store::now_millis())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Notice::Done)
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}

#[derive(FromForm)]
struct UnitForm {
    csrf: Option<String>,
    id: Option<String>,
    kind: Option<String>,
    name_vi: Option<String>,
    name_en: Option<String>,
    parent: Option<String>,
}

/// An id for a team or unit: 2 to 48 lowercase letters, digits and dashes.
fn is_slug(id: &str) -> bool {
    (2..=48).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

const UNIT_KINDS: [&str; 4] = ["district", "town", "commune", "ward"];

#[post("/units", data = "<form>")]
async fn post_unit(_o: SameOrigin, staff: Staff, lang: Lang, db: &State<Db>, form: Form<UnitForm>) -> AdminResult {
    let action = async {
        let id = chosen(&form.id).unwrap_or_default();
        let slug_ok = is_slug(id);
        let kind = chosen(&form.kind).filter(|k| UNIT_KINDS.contains(k));
        let name_vi = chosen(&form.name_vi).filter(|n| n.chars().count() <= 200);
        let units = store::units::list_units(db.pool()).await.map_err(|e| e.to_string())?;
        let parent_ok = chosen(&form.parent).is_none_or(|p| p != id && units.iter().any(|u| u.id == p));
        let (Some(kind), Some(name_vi), true, true) = (kind, name_vi, slug_ok, parent_ok) else {
            return Err(lang.tr("error-invalid-input"));
        };
        let unit = crate::domain::org::Unit {
            id: id.to_owned(),
            kind: kind.to_owned(),
            name_vi: name_vi.to_owned(),
            name_en: chosen(&form.name_en).unwrap_or(name_vi).to_owned(),
            parent: chosen(&form.parent).map(str::to_owned),
        };
        store::org::upsert_unit(db.pool(), &unit, &staff.user.id, store::now_millis())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Notice::Done)
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}
