//! `TestApp`: the application on a fresh database, driven through Rocket's local client.

use minhbach::store::{Backend, Db};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::Value;
use tempfile::TempDir;

#[path = "../common/postgres.rs"]
mod postgres;
pub use postgres::fresh_postgres_url;

pub struct TestApp {
    pub client: Client,
    pub data_dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut figment = minhbach::config::base().merge(("data_dir", data_dir.path().join("data")));
        if let Some(url) = fresh_postgres_url().await {
            figment = figment.merge(("database_url", url));
        }
        let rocket = minhbach::rocket(figment).expect("the application builds");
        // Untracked: staff tests carry each user's session cookie themselves.
        let client = Client::untracked(rocket).await.expect("the application ignites");
        Self { client, data_dir }
    }

    pub fn db(&self) -> &Db {
        self.client.rocket().state::<Db>().expect("the database is managed")
    }

    pub fn backend(&self) -> Backend {
        self.db().backend()
    }

    pub async fn get(&self, path: &str) -> LocalResponse<'_> {
        self.client.get(path.to_owned()).dispatch().await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (Status, Value) {
        self.post_raw(path, ContentType::JSON, body.to_string()).await
    }

    /// Posts any bytes and reads the reply as JSON (`Value::Null` when it is not JSON).
    pub async fn post_raw(&self, path: &str, content_type: ContentType, body: impl AsRef<[u8]>) -> (Status, Value) {
        let response = self
            .client
            .post(path.to_owned())
            .header(content_type)
            .body(body)
            .dispatch()
            .await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (Status, String) {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .client
            .post(path.to_owned())
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await;
        let status = response.status();
        (status, response.into_string().await.unwrap_or_default())
    }

    /// Files a valid report through the API and returns its code.
    pub async fn submit(&self, narrative: &str) -> String {
        let (status, body) = self.post_json("/api/v1/reports", &report(narrative)).await;
        assert_eq!(status, Status::Created, "{body}");
        body["code"].as_str().expect("a code").to_owned()
    }

    pub async fn status_of(&self, code: &str) -> (Status, Value) {
        self.post_json("/api/v1/reports/status", &serde_json::json!({ "code": code }))
            .await
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.db().pool())
            .await
            .expect("count")
            .get::<i64, _>("n")
    }
}

/// A valid report body.
pub fn report(narrative: &str) -> Value {
    serde_json::json!({
        "category": "bribe-taking",
        "unit": "ba-diem",
        "narrative": narrative,
        "accused": "Ông Nguyễn Văn A, cán bộ địa chính xã",
        "incident_date": "2026-10-01",
        "amount_vnd": 15_000_000,
    })
}

pub fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Whether `text` holds something shaped like a grouped retrieval code (`XXXX-XXXX-XXXX-XXXX-XXXX`).
pub fn contains_code_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(24).any(|w| {
        w.iter().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                *b == b'-'
            } else {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            }
        })
    })
}

/// The code's symbols that look alike for a typist, used to make a code with one wrong symbol.
pub fn with_one_symbol_changed(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    chars[7] = if chars[7] == 'Z' { 'Y' } else { 'Z' };
    chars.into_iter().collect()
}

/// A staff member's session cookie.
#[derive(Clone)]
pub struct Session(pub rocket::http::Cookie<'static>);

pub const PASSWORD: &str = "mật khẩu đủ dài 2026";

impl TestApp {
    pub fn secret(&self) -> &minhbach::config::ServerSecret {
        self.client.rocket().state().expect("the server secret is managed")
    }

    /// Creates a staff user with [`PASSWORD`]; returns their id.
    pub async fn add_user(&self, username: &str, role: &str, team: Option<&str>, home_unit: Option<&str>) -> String {
        let new = minhbach::app::accounts::NewUser {
            username,
            role,
            team,
            home_unit,
            password: PASSWORD,
        };
        minhbach::app::accounts::user_add(self.db(), self.secret(), new)
            .await
            .expect("user added")
            .id
    }

    /// The user's TOTP code `steps_ahead` steps after now (each step is accepted once per user).
    pub async fn totp(&self, username: &str, steps_ahead: u64) -> String {
        let user = minhbach::store::users::find_by_username(self.db().pool(), username)
            .await
            .unwrap()
            .expect("user");
        let secret = minhbach::app::accounts::open_totp_secret(self.secret(), &user).expect("TOTP secret opens");
        let now = (minhbach::store::now_millis() / 1000) as u64;
        minhbach::crypto::code_at(&secret, now + 30 * steps_ahead).expect("code")
    }

    pub async fn try_sign_in(&self, username: &str, password: &str, totp: &str) -> (Status, Option<Session>) {
        let body = serde_json::json!({ "username": username, "password": password, "totp": totp }).to_string();
        let response = self
            .client
            .post("/api/v1/session")
            .header(ContentType::JSON)
            .body(body)
            .dispatch()
            .await;
        // The cookie as the browser would store it: sealed under the server secret.
        let session = response
            .cookies()
            .get(minhbach::web::session::COOKIE)
            .map(|c| Session(c.clone().into_owned()));
        (response.status(), session)
    }

    /// Signs a user in and returns the session and its CSRF token (read from the sealed cookie, as the
    /// server would).
    pub async fn sign_in_with_csrf(&self, username: &str) -> (Session, String) {
        let code = self.totp(username, 0).await;
        let body = serde_json::json!({ "username": username, "password": PASSWORD, "totp": code }).to_string();
        let response = self
            .client
            .post("/api/v1/session")
            .header(ContentType::JSON)
            .body(body)
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::NoContent, "{username} signs in");
        let sealed = response
            .cookies()
            .get(minhbach::web::session::COOKIE)
            .expect("cookie")
            .clone()
            .into_owned();
        let opened = response
            .cookies()
            .get_private(minhbach::web::session::COOKIE)
            .expect("the cookie opens");
        let data: Value = serde_json::from_str(opened.value()).expect("session JSON");
        (Session(sealed), data["csrf"].as_str().expect("csrf").to_owned())
    }

    /// Signs a user in with [`PASSWORD`] and the code of the current step.
    pub async fn sign_in(&self, username: &str) -> Session {
        let code = self.totp(username, 0).await;
        let (status, session) = self.try_sign_in(username, PASSWORD, &code).await;
        assert_eq!(status, Status::NoContent, "{username} signs in");
        session.expect("a session cookie")
    }

    pub async fn staff_get(&self, path: &str, session: &Session) -> (Status, Value) {
        let response = self
            .client
            .get(path.to_owned())
            .cookie(session.0.clone())
            .dispatch()
            .await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn staff_post(&self, path: &str, session: &Session, body: &Value) -> (Status, Value) {
        let response = self
            .client
            .post(path.to_owned())
            .header(ContentType::JSON)
            .cookie(session.0.clone())
            .body(body.to_string())
            .dispatch()
            .await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A report filed, then taken by its inspector to `conclusion` through the staff API.
    pub async fn concluded(&self, inspector: &Session, conclusion: &str) -> (String, String) {
        let code = self
            .submit("Cán bộ địa chính xã nhận tiền để làm nhanh hồ sơ đất.")
            .await;
        let id = self.report_id(&code).await;
        for to in ["accepted", "investigating", conclusion] {
            let (status, body) = self
                .staff_post(
                    &format!("/api/v1/cases/{id}/transitions"),
                    inspector,
                    &serde_json::json!({ "to": to, "reason": format!("Chuyển sang {to}.") }),
                )
                .await;
            assert_eq!(status, Status::Ok, "{to}: {body}");
        }
        (code, id)
    }

    /// The id of the report a code belongs to (read from the database, as a test may).
    pub async fn report_id(&self, code: &str) -> String {
        let parsed = minhbach::crypto::RetrievalCode::parse(code).expect("a code");
        let locator = parsed.derive().locator.to_hex();
        minhbach::store::reports::find_by_locator(self.db().pool(), &locator)
            .await
            .unwrap()
            .expect("stored")
            .id
    }
}
