//! Request guards shared by the staff pages.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

/// A state-changing request that did not come from another site: when the browser says where the request
/// comes from (`Sec-Fetch-Site`, `Origin`), it must be this site. With SameSite=Strict cookies and the
/// synchronizer token of each form, this closes cross-site form posts, sign-in CSRF included.
pub struct SameOrigin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let headers = req.headers();
        if let Some(site) = headers.get_one("Sec-Fetch-Site") {
            if !matches!(site, "same-origin" | "none") {
                return Outcome::Error((Status::Forbidden, ()));
            }
        }
        if let Some(origin) = headers.get_one("Origin") {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            if headers.get_one("Host") != Some(origin_host) {
                return Outcome::Error((Status::Forbidden, ()));
            }
        }
        Outcome::Success(SameOrigin)
    }
}
