//! Pages for everyone: the home page and the stylesheet.

use rocket::http::ContentType;
use rocket::{get, routes, Route};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::i18n::Lang;
use super::pages;
use crate::app::{self, audit};
use crate::domain::{Category, Status};
use crate::store::Db;
use rocket::State;

pub fn routes() -> Vec<Route> {
    routes![get_home, get_stylesheet, get_transparency]
}

/// The home page: what can be reported, how anonymity is protected, what happens next.
#[get("/")]
fn get_home(lang: Lang) -> Template {
    let categories: Vec<_> = Category::ALL
        .iter()
        .map(|c| json!({ "id": c.id(), "name": lang.tr(&c.message_key()) }))
        .collect();
    pages::render("public/home", lang, "/", json!({ "categories": categories }))
}

/// The transparency page: the ledger's daily checkpoints (so anyone can note one and later detect a
/// rewritten history) with the figures published with the latest: reports by status and commendations by
/// state (named for the public, not as the reporter reads them). Aggregates only, changing once a day: no
/// live count and no time finer than the day, so watching the page tells nobody when a report arrived.
#[get("/transparency")]
async fn get_transparency(lang: Lang, db: &State<Db>) -> app::Result<Template> {
    let checkpoints = audit::transparency(db).await?;
    let Some(latest) = checkpoints.first() else {
        return Ok(pages::render("public/transparency", lang, "/transparency", json!({})));
    };
    let counts = &latest.figures.statuses;
    let statuses: Vec<_> = counts
        .iter()
        .map(|(status, n)| {
            let label = Status::parse(status)
                .map(|s| lang.tr(&s.message_key()))
                .unwrap_or_else(|| status.clone());
            json!({ "label": label, "count": n })
        })
        .collect();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let commendations: Vec<_> = latest
        .figures
        .commendations
        .iter()
        .map(|(state, n)| {
            let label = crate::domain::commendation::State::parse(state)
                .map(|s| lang.tr(&s.neutral_message_key()))
                .unwrap_or_else(|| state.clone());
            json!({ "label": label, "count": n })
        })
        .collect();
    let history: Vec<_> = checkpoints
        .iter()
        .map(|c| json!({ "day": pages::date(lang, c.day), "entries": c.entries, "hash": c.hash }))
        .collect();
    let context = json!({
        "checkpoint": true,
        "commendations": commendations,
        "day": pages::date(lang, latest.day),
        "entries": latest.entries,
        "hash": latest.hash,
        "history": history,
        "statuses": statuses,
        "total": total,
    });
    Ok(pages::render("public/transparency", lang, "/transparency", context))
}

const STYLESHEET: &str = include_str!("../../static/style.css");

#[get("/static/style.css")]
fn get_stylesheet() -> (ContentType, &'static str) {
    (ContentType::CSS, STYLESHEET)
}
