//! Admin pages. The first admin is created in the browser: when the server starts without one, it prints
//! the address of the setup page and a one-time setup code (kept in memory only, never in a URL); whoever
//! types the code sets the first admin's password and receives the TOTP enrolment. Admins see users,
//! teams and routing rules, never report content.

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
use crate::app::accounts::{self, NewUser};
use crate::app::sign_in::SetupCode;
use crate::app::{self, org, Clock, Error};
use crate::config::ServerSecret;
use crate::domain::org::UNIT_KINDS;
use crate::domain::staff::Role;
use crate::store::Db;

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

fn setup_page(lang: Lang, error: Option<String>) -> Template {
    pages::render("admin/setup", lang, "/admin/setup", json!({ "error": error }))
}

#[get("/setup")]
async fn get_setup(lang: Lang, code: &State<SetupCode>, db: &State<Db>) -> Result<Template, PageError> {
    match code.is_open(db).await.then_some(()) {
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
) -> app::Result<(Status, Template)> {
    let username = form.username.clone().unwrap_or_default();
    let password = form.password.clone().unwrap_or_default();
    let refused = |key: &str| Ok((Status::UnprocessableEntity, setup_page(lang, Some(lang.tr(key)))));
    let checked = crate::domain::staff::check_password(&password)
        .and_then(|()| crate::domain::staff::Username::parse(&username).map(drop));
    if let Err(e) = checked {
        return refused(e.key());
    }
    let typed = form.code.as_deref().unwrap_or_default();
    if !code.is_open(db).await || !code.take_if(db, typed).await? {
        return Ok((Status::Forbidden, setup_page(lang, Some(lang.tr("error-setup-code")))));
    }
    let new = NewUser {
        username: &username,
        role: "admin",
        team: None,
        home_unit: None,
        password: &password,
    };
    let added = accounts::user_add(db, secret, new).await;
    // Nothing was created: the code stays usable for the next try.
    if added.is_err() {
        code.restore(db, typed, Clock::now()).await?;
    }
    match added {
        Ok(added) => Ok((Status::Ok, setup_done(lang, username.trim(), &added.otpauth_uri))),
        Err(Error::Staff(refusal)) => refused(refusal.key()),
        Err(e) => Err(e),
    }
}

/// The first admin's enrolment address, shown once.
fn setup_done(lang: Lang, username: &str, uri: &str) -> Template {
    let context = json!({ "username": username, "uri": uri });
    pages::render("admin/setup_done", lang, "/admin/setup", context)
}

/// The admin's home: users, teams and routing rules. No report content, no case list.
#[get("/")]
async fn get_admin(staff: Staff, lang: Lang, db: &State<Db>) -> app::Result<Template> {
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

async fn admin_page(db: &Db, staff: &Staff, lang: Lang, notice: Option<Notice>) -> app::Result<(Status, Template)> {
    let org::Overview {
        units,
        teams,
        rules,
        users,
    } = org::overview(db, staff).await?;
    // Names as the admin reads them; an id only where nothing names it ("*" is every category or unit).
    let team_names: Vec<(String, String)> = teams
        .iter()
        .map(|t| (t.id.to_string(), t.name(lang.code()).to_owned()))
        .collect();
    let unit_names: Vec<(String, String)> = units
        .iter()
        .map(|u| (u.id.to_string(), u.name(lang.code()).to_owned()))
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
    let users: Vec<_> = users
        .iter()
        .map(|u| {
            json!({
                "username": u.username,
                "role": role_name(lang, &u.role),
                "team": u.team_id.as_deref().map(team_name),
                "home_unit": u.home_unit_id.as_deref().map(unit_name),
                "active": u.active,
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

type AdminResult = app::Result<(Status, Template)>;

/// Runs an admin action after the role and CSRF checks, then shows the admin page with its outcome: a
/// refusal on the page itself, a storage or internal failure as the error page (never its detail).
async fn admin_action(
    db: &Db,
    staff: &Staff,
    lang: Lang,
    csrf: Option<&str>,
    action: impl std::future::Future<Output = app::Result<Notice>>,
) -> AdminResult {
    staff.as_role(Role::Admin)?;
    if !staff.csrf_matches(csrf) {
        return Err(Error::CrossSite);
    }
    let notice = match action.await {
        Ok(notice) => notice,
        Err(Error::Invalid(..)) => Notice::Error(lang.tr("error-invalid-input")),
        Err(Error::Staff(refusal)) => Notice::Error(lang.tr(refusal.key())),
        // Anything else is not the admin's to fix on this page: the error page says what it means.
        Err(e) => return Err(e),
    };
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
        let new = NewUser {
            username: &username,
            role: form.role.as_deref().unwrap_or_default(),
            team: chosen(&form.team),
            home_unit: chosen(&form.home_unit),
            password: form.password.as_deref().unwrap_or_default(),
        };
        let added = accounts::user_add_by(db, secret, new, &staff.user.id).await?;
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
        accounts::user_disable_by(db, username, &staff).await?;
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
        let rule = crate::domain::routing::Rule {
            category: chosen(&form.category).unwrap_or("*").into(),
            unit: chosen(&form.unit).unwrap_or("*").into(),
            team: chosen(&form.team).unwrap_or_default().into(),
        };
        org::set_rule(db, &staff, Clock::now(), rule).await?;
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
        org::remove_rule(db, &staff, Clock::now(), category, unit).await?;
        Ok(Notice::Done)
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
        let name_vi = chosen(&form.name_vi).unwrap_or_default();
        let team = crate::domain::org::Team {
            id: chosen(&form.id).unwrap_or_default().into(),
            name_vi: name_vi.to_owned(),
            name_en: chosen(&form.name_en).unwrap_or(name_vi).to_owned(),
            unit: chosen(&form.unit).map(Into::into),
            parent: chosen(&form.parent).map(Into::into),
            default: false,
        };
        org::set_team(db, &staff, Clock::now(), team).await?;
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

#[post("/units", data = "<form>")]
async fn post_unit(_o: SameOrigin, staff: Staff, lang: Lang, db: &State<Db>, form: Form<UnitForm>) -> AdminResult {
    let action = async {
        let name_vi = chosen(&form.name_vi).unwrap_or_default();
        let unit = crate::domain::org::Unit {
            id: chosen(&form.id).unwrap_or_default().into(),
            kind: chosen(&form.kind).unwrap_or_default().to_owned(),
            name_vi: name_vi.to_owned(),
            name_en: chosen(&form.name_en).unwrap_or(name_vi).to_owned(),
            parent: chosen(&form.parent).map(Into::into),
        };
        org::set_unit(db, &staff, Clock::now(), unit).await?;
        Ok(Notice::Done)
    };
    admin_action(db, &staff, lang, form.csrf.as_deref(), action).await
}
