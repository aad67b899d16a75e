//! What a report can name: categories and units, with names in the request's language.

use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde_json::{json, Value};

use crate::app::{self, org};
use crate::domain::Category;
use crate::store::Db;
use crate::web::i18n::Lang;

pub fn routes() -> Vec<Route> {
    routes![get_categories, get_units]
}

#[get("/categories")]
fn get_categories(lang: Lang) -> Json<Vec<Value>> {
    Json(
        Category::ALL
            .iter()
            .map(|c| json!({ "id": c.id(), "name": lang.tr(&c.message_key()) }))
            .collect(),
    )
}

#[get("/units")]
async fn get_units(lang: Lang, db: &State<Db>) -> app::Result<Json<Vec<Value>>> {
    let units = org::units(db).await?;
    Ok(Json(
        units
            .iter()
            .map(|u| json!({ "id": u.id, "name": u.name(lang.code()), "kind": u.kind, "parent": u.parent }))
            .collect(),
    ))
}
