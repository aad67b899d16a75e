//! The JSON API under `/api/v1`, documented in `docs/api.md` and, for machines, in the OpenAPI 3.1 document
//! `openapi.json` beside this file (served at `/api/v1/openapi.json`; a test checks it against the mounted
//! routes). Errors are `{"error": {"code", "message", "fields"?}}` in the request's language.

pub mod body;
mod catalog;
mod officer;
mod reports;
mod staff;

use rocket::http::ContentType;
use rocket::{get, Route};

pub use body::JsonBody;

pub fn routes() -> Vec<Route> {
    let mut routes = catalog::routes();
    routes.extend(reports::routes());
    routes.extend(staff::routes());
    routes.extend(officer::routes());
    routes.extend(rocket::routes![get_openapi]);
    routes
}

/// The OpenAPI 3.1 document of this API, written by hand beside the handlers.
const OPENAPI: &str = include_str!("openapi.json");

#[get("/openapi.json")]
fn get_openapi() -> (ContentType, &'static str) {
    (ContentType::JSON, OPENAPI)
}
