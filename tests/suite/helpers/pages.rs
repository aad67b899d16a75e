//! The staff pages: a page read with a session, a form posted with any headers, the page sign-in, and the
//! CSRF token read off a page.

use rocket::http::{ContentType, Header, Status};

use super::{urlencode, Session, TestApp, PASSWORD};

/// A header name and value.
pub type Headers = (&'static str, &'static str);

/// A url-encoded form body (the names are sent as they are).
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The CSRF token of the first form on `page`.
pub fn csrf_on(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[start..].split('"').next().unwrap_or_default().to_owned()
}

/// The reply token of the reporter's status page (its reply and claim forms carry it).
pub fn token_on(page: &str) -> String {
    let start = page.find("name=\"token\" value=\"").expect("a reply form") + "name=\"token\" value=\"".len();
    page[start..].split('"').next().unwrap_or_default().to_owned()
}

impl TestApp {
    /// A page read with the session: its status and its HTML.
    pub async fn get_page(&self, path: &str, session: &Session) -> (Status, String) {
        let response = self
            .client
            .get(path.to_owned())
            .cookie(session.0.clone())
            .dispatch()
            .await;
        (response.status(), response.into_string().await.unwrap_or_default())
    }

    /// A form body posted to `path`, with the session if any and extra headers: the status, the
    /// `Location` and the HTML.
    pub async fn post_page(
        &self,
        path: &str,
        session: Option<&Session>,
        body: String,
        headers: &[Headers],
    ) -> (Status, Option<String>, String) {
        let mut request = self.client.post(path.to_owned()).header(ContentType::Form).body(body);
        if let Some(session) = session {
            request = request.cookie(session.0.clone());
        }
        for (name, value) in headers {
            request = request.header(Header::new(*name, *value));
        }
        let response = request.dispatch().await;
        let location = response.headers().get_one("Location").map(str::to_owned);
        (
            response.status(),
            location,
            response.into_string().await.unwrap_or_default(),
        )
    }

    /// Signs a user in through the sign-in page; returns the session and where the page sends them.
    pub async fn sign_in_page(&self, username: &str) -> (Session, Option<String>) {
        let code = self.totp(username, 0).await;
        let body = form(&[("username", username), ("password", PASSWORD), ("totp", &code)]);
        let response = self
            .client
            .post("/inspector/sign-in")
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::SeeOther, "{username} signs in");
        let location = response.headers().get_one("Location").map(str::to_owned);
        let cookie = response
            .cookies()
            .get(minhbach::web::session::COOKIE)
            .expect("session cookie")
            .clone();
        (Session(cookie.into_owned()), location)
    }
}
