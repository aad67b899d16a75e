//! Security headers on every response, error pages and static files included.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

/// No script may run, nothing may load from elsewhere, no page may be framed, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A downloaded evidence file's policy: opened in a browser, it runs nothing and loads nothing.
pub const DOWNLOAD_POLICY: &str = "sandbox; default-src 'none'";

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, _req: &'r Request<'_>, res: &mut Response<'r>) {
        // An evidence download keeps its own, stricter policy (sandbox); everything else gets the pages'.
        if res.headers().get_one("Content-Security-Policy") != Some(DOWNLOAD_POLICY) {
            res.set_header(Header::new("Content-Security-Policy", CONTENT_SECURITY_POLICY));
        }
        // Nothing a reporter sees may stay in a shared computer's cache or history snapshots.
        res.set_header(Header::new("Cache-Control", "no-store"));
        // No `Referer` ever leaves the site; within it, browsers then name this site in `Origin` on form
        // posts (under `no-referrer` they send `Origin: null`), which the same-origin guard checks.
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("Cross-Origin-Opener-Policy", "same-origin"));
        res.set_header(Header::new("Cross-Origin-Resource-Policy", "same-origin"));
        res.set_header(Header::new(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ));
        res.remove_header("Server");
    }
}
