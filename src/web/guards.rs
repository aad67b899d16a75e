//! Request guards shared by the staff pages.

use rocket::http::{HeaderMap, Status};
use rocket::request::{FromRequest, Outcome, Request};

/// A state-changing request that did not come from another site. With SameSite=Strict cookies and the
/// synchronizer token of each form, this closes cross-site form posts, sign-in CSRF included.
///
/// Pages are sent with `Referrer-Policy: same-origin`, so a browser names this site in `Origin` when one of
/// its forms posts here (under `no-referrer` it would say `Origin: null`, which a sandboxed frame of any
/// other site says too). The rule, in [`from_this_site`]: `Sec-Fetch-Site` decides when the browser sends
/// it; otherwise `Origin`, when present, must be this site's, and `null` is refused. A request with
/// neither header (a non-browser client, an old browser) passes to the CSRF token check.
pub struct SameOrigin;

/// Set on a request the [`SameOrigin`] guard refused, so that the error page can say what happened.
#[derive(Clone, Copy, Default)]
pub struct CrossSiteRefused(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if from_this_site(req.headers()) {
            Outcome::Success(SameOrigin)
        } else {
            req.local_cache(|| CrossSiteRefused(true));
            Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// A reporter's request from this site that needs a key derivation: [`SameOrigin`] first (`403`), then room
/// in the derivation queue. When the queue is full the request is refused before its body is read (`503`,
/// `Retry-After`), so a flood costs the server almost nothing per refusal. Forms that carry the reporter's
/// own text do not use it: they pass [`SameOrigin`] alone and come back with the text kept instead (the
/// gate refuses them later, after the body is read).
pub struct SameOriginRoom;

/// Set on a request refused for a full derivation queue, so that the error answer can say so.
#[derive(Clone, Copy, Default)]
pub struct BusyRefused(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOriginRoom {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if let Outcome::Error(refused) = req.guard::<SameOrigin>().await {
            return Outcome::Error(refused);
        }
        let full = req
            .rocket()
            .state::<crate::app::KdfGate>()
            .is_some_and(|gate| gate.anonymous_full());
        if full {
            req.local_cache(|| BusyRefused(true));
            Outcome::Error((Status::ServiceUnavailable, ()))
        } else {
            Outcome::Success(SameOriginRoom)
        }
    }
}

/// Whether the browser's own account of where a request comes from says this site.
///
/// `Sec-Fetch-Site` is set by the browser alone (no page can forge it) and is the stronger signal:
/// `same-origin`, or `none` for a request the person started themselves, passes; `same-site` (a sibling
/// subdomain) and `cross-site` (a sandboxed frame included) do not. Without it, `Origin` must name the host
/// the request was sent to; `Origin: null` is an opaque origin (a sandboxed frame, a `data:` page, or a
/// page under `no-referrer`, which this site no longer sends) and is refused unless `Sec-Fetch-Site` says
/// `same-origin`.
pub fn from_this_site(headers: &HeaderMap<'_>) -> bool {
    if let Some(site) = headers.get_one("Sec-Fetch-Site") {
        let site = site.trim().to_ascii_lowercase();
        if !matches!(site.as_str(), "same-origin" | "none") {
            return false;
        }
        // The browser vouches for the source: with `same-origin`, an opaque `null` (a page of ours under an
        // older, stricter referrer policy) is fine; a post the person started (`none`) has no page behind
        // it, so `null` there is refused; naming another origin contradicts either and is refused.
        return headers
            .get_one("Origin")
            .is_none_or(|origin| (origin.trim() == "null" && site == "same-origin") || same_host(origin, headers));
    }
    headers
        .get_one("Origin")
        .is_none_or(|origin| same_host(origin, headers))
}

/// Whether a serialized origin (`scheme://host[:port]`) names the request's `Host`.
fn same_host(origin: &str, headers: &HeaderMap<'_>) -> bool {
    let Some((scheme, host)) = origin.trim().split_once("://") else {
        return false;
    };
    matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        && !host.is_empty()
        && !host.contains('/')
        && headers
            .get_one("Host")
            .is_some_and(|expected| expected.trim().eq_ignore_ascii_case(host))
}

/// What the reporter's code-opening handlers work with: the database, the key-derivation gate, the reply
/// token key and the settings (one guard, so a handler's own guards stay few).
pub struct Services<'r> {
    pub db: &'r crate::store::Db,
    pub gate: &'r crate::app::KdfGate,
    pub tokens: &'r super::token::TokenKey,
    pub settings: &'r crate::config::Settings,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Services<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let rocket = req.rocket();
        match (rocket.state(), rocket.state(), rocket.state(), rocket.state()) {
            (Some(db), Some(gate), Some(tokens), Some(settings)) => Outcome::Success(Services {
                db,
                gate,
                tokens,
                settings,
            }),
            _ => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

#[cfg(test)]
mod tests {
    use rocket::http::Header;

    use super::*;

    fn verdict(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut headers = HeaderMap::new();
        headers.add(Header::new("Host", "127.0.0.1:8000"));
        for (name, value) in pairs {
            headers.add(Header::new(*name, *value));
        }
        from_this_site(&headers)
    }

    #[test]
    fn a_browser_posting_one_of_our_forms_passes() {
        // Chromium and Firefox under `Referrer-Policy: same-origin`, over loopback (Sec-Fetch-* sent).
        assert!(verdict(&[
            ("Origin", "http://127.0.0.1:8000"),
            ("Sec-Fetch-Site", "same-origin")
        ]));
        // Over plain HTTP to a non-loopback host, browsers leave out Sec-Fetch-*.
        assert!(verdict(&[("Origin", "http://127.0.0.1:8000")]));
        assert!(verdict(&[("Origin", "HTTP://127.0.0.1:8000")]));
        // A page of ours still open from before the policy changed: the browser vouches for it.
        assert!(verdict(&[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")]));
        // A client that says nothing (curl, the API from a script) is left to the CSRF token and cookies.
        assert!(verdict(&[]));
    }

    #[test]
    fn another_site_is_refused_whatever_it_sends() {
        assert!(!verdict(&[
            ("Origin", "http://127.0.0.1:9000"),
            ("Sec-Fetch-Site", "same-site")
        ]));
        assert!(!verdict(&[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site")
        ]));
        assert!(!verdict(&[("Origin", "http://evil.example")]));
        assert!(!verdict(&[("Origin", "http://127.0.0.1:8000.evil.example")]));
        assert!(!verdict(&[("Origin", "127.0.0.1:8000")]));
        // A sandboxed frame on another site: an opaque origin.
        assert!(!verdict(&[("Origin", "null"), ("Sec-Fetch-Site", "cross-site")]));
        assert!(!verdict(&[("Origin", "null")]));
        // Same-origin by Sec-Fetch-Site but naming another origin: contradictory, refused.
        assert!(!verdict(&[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "same-origin")
        ]));
        assert!(!verdict(&[("Sec-Fetch-Site", "cross-site")]));
        assert!(!verdict(&[("Origin", "null"), ("Sec-Fetch-Site", "none")]));
        assert!(!verdict(&[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "none")
        ]));
    }
}
