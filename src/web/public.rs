//! Pages for everyone: the home page and the stylesheet (the transparency page is `transparency.rs`).

use rocket::http::ContentType;
use rocket::{get, routes, Route};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::i18n::Lang;
use super::pages;
use crate::domain::Category;

pub fn routes() -> Vec<Route> {
    routes![get_home, get_stylesheet]
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

const STYLESHEET: &str = include_str!("../../static/style.css");

#[get("/static/style.css")]
fn get_stylesheet() -> (ContentType, &'static str) {
    (ContentType::CSS, STYLESHEET)
}
