//! `TestApp`: the application on a fresh database, driven through Rocket's local client. Its requests are
//! split by kind: [`api`] has one method per JSON endpoint, [`pages`] the staff pages and their forms,
//! [`fixtures`] the staff, reports and organisations the tests start from.

use minhbach::store::{Backend, Db};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::Value;
use tempfile::TempDir;

mod api;
mod fixtures;
mod pages;

pub use fixtures::{bribe_case, file, report, two_teams, PASSWORD};
pub use pages::{csrf_on, form, token_on, Headers};

#[path = "../../common/postgres.rs"]
mod postgres;
pub use postgres::fresh_postgres_url;

pub struct TestApp {
    pub client: Client,
    pub data_dir: TempDir,
}

/// A staff member's session cookie.
#[derive(Clone)]
pub struct Session(pub rocket::http::Cookie<'static>);

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|figment| figment).await
    }

    /// An instance with settings of the test's own on top of the defaults.
    pub async fn spawn_with(settings: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let figment = minhbach::config::base().merge(("data_dir", data_dir.path().join("data")));
        let mut figment = settings(figment);
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

    pub fn secret(&self) -> &minhbach::config::ServerSecret {
        self.client.rocket().state().expect("the server secret is managed")
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

    pub async fn staff_get(&self, path: &str, session: &Session) -> (Status, Value) {
        let (status, text) = self.get_page(path, session).await;
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

    /// Makes the transparency checkpoint of `days_ahead` days from now, as the server's background task
    /// would once that day begins: from tomorrow on, it covers everything stored so far.
    pub async fn publish_checkpoint(&self, days_ahead: i64) -> bool {
        let at = minhbach::store::now_millis() + days_ahead * 86_400_000;
        minhbach::app::audit::make_checkpoint(self.db(), minhbach::app::Clock::at(at))
            .await
            .expect("checkpoint")
    }

    /// The schema's own tables (the migrations' bookkeeping left out), on either backend.
    pub async fn table_names(&self) -> Vec<String> {
        use sqlx::Row;
        let query = match self.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE '_sqlx%' ORDER BY name"
            }
            // `tablename` is of PostgreSQL's `name` type, which the Any driver does not read.
            Backend::Postgres => {
                "SELECT CAST(tablename AS TEXT) AS name FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename NOT LIKE '_sqlx%' ORDER BY tablename"
            }
        };
        sqlx::query(query)
            .fetch_all(self.db().pool())
            .await
            .expect("tables")
            .iter()
            .map(|r| r.get("name"))
            .collect()
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

/// One part of a `multipart/form-data` body: a text field, or a file field with its name as sent.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

pub const BOUNDARY: &str = "----minhbach-test-7f3a9c51d0e2";

/// A `multipart/form-data` body as a browser builds it (one boundary, CRLF lines, the file's own name).
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn multipart_type() -> ContentType {
    ContentType::new("multipart", "form-data").with_params(("boundary", BOUNDARY))
}

impl TestApp {
    /// Posts a multipart form (as a browser does with files) and returns the status and the body as text.
    pub async fn post_multipart(&self, path: &str, parts: &[Part<'_>]) -> (Status, String) {
        let response = self
            .client
            .post(path.to_owned())
            .header(multipart_type())
            .body(multipart(parts))
            .dispatch()
            .await;
        let status = response.status();
        (status, response.into_string().await.unwrap_or_default())
    }

    /// Downloads with a staff session: status, the headers named, the body's bytes.
    pub async fn staff_download(
        &self,
        path: &str,
        session: &Session,
        headers: &[&str],
    ) -> (Status, Vec<Option<String>>, Vec<u8>) {
        let response = self
            .client
            .get(path.to_owned())
            .cookie(session.0.clone())
            .dispatch()
            .await;
        let status = response.status();
        let named = headers
            .iter()
            .map(|h| response.headers().get_one(h).map(str::to_owned))
            .collect();
        (status, named, response.into_bytes().await.unwrap_or_default())
    }
}
