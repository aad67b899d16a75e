//! The JSON API under `/api/v1`, documented in `docs/api.md`. Errors are
//! `{"error": {"code", "message", "fields"?}}` in the request's language.

pub mod body;
mod catalog;
mod officer;
mod reports;
mod staff;

use rocket::Route;

pub use body::JsonBody;

pub fn routes() -> Vec<Route> {
    let mut routes = catalog::routes();
    routes.extend(reports::routes());
    routes.extend(staff::routes());
    routes.extend(officer::routes());
    routes
}
