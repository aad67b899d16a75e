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
    let statuses = labelled(counts, |s| Status::parse(s).map(|s| lang.tr(&s.message_key())));
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let commendations = labelled(&latest.figures.commendations, |s| {
        crate::domain::commendation::State::parse(s).map(|s| lang.tr(&s.neutral_message_key()))
    });
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

/// Counts by name, each with its label for the page (the name itself if it has none).
fn labelled(counts: &[(String, i64)], label: impl Fn(&str) -> Option<String>) -> Vec<serde_json::Value> {
    counts
        .iter()
        .map(|(name, n)| json!({ "label": label(name).unwrap_or_else(|| name.clone()), "count": n }))
        .collect()
}

const STYLESHEET: &str = include_str!("../../static/style.css");

#[get("/static/style.css")]
fn get_stylesheet() -> (ContentType, &'static str) {
    (ContentType::CSS, STYLESHEET)
}
