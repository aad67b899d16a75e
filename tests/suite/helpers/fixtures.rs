//! What tests start from: staff accounts and their sessions, reports filed and taken to a conclusion, and
//! an organisation with a second team.

use minhbach::domain::org::Organisation;
use rocket::http::Status;
use serde_json::{json, Value};

use super::{Session, TestApp};

pub const PASSWORD: &str = "mật khẩu đủ dài 2026";

/// A valid report body.
pub fn report(narrative: &str) -> Value {
    json!({
        "category": "bribe-taking",
        "unit": "ba-diem",
        "narrative": narrative,
        "accused": "Ông Nguyễn Văn A, cán bộ địa chính xã",
        "incident_date": "2026-10-01",
        "amount_vnd": 15_000_000,
    })
}

/// The demo organisation plus a second team that handles forgery, so that cases of two teams exist.
pub async fn two_teams(app: &TestApp) {
    let text = format!(
        "{}\n[[teams]]\nid = \"land-team\"\nname_vi = \"Tổ đất đai\"\nname_en = \"Land team\"\n\n\
         [[rules]]\ncategory = \"forgery\"\nunit = \"*\"\nteam = \"land-team\"\n",
        minhbach::domain::org::DEMO_ORGANISATION
    );
    let org = Organisation::parse(&text).expect("valid organisation");
    minhbach::store::org::import(app.db().pool(), &org, "test")
        .await
        .expect("imported");
}

/// Files a valid report of `category` about `unit`; returns its code and id.
pub async fn file(app: &TestApp, category: &str, unit: &str, narrative: &str) -> (String, String) {
    let mut body = report(narrative);
    body["category"] = json!(category);
    body["unit"] = json!(unit);
    let (status, reply) = app.post_report(&body).await;
    assert_eq!(status, Status::Created, "{reply}");
    let code = reply["code"].as_str().expect("code").to_owned();
    let id = app.report_id(&code).await;
    (code, id)
}

/// The staff tests' usual case: a bribe-taking report about Bà Điểm. Returns (code, report id).
pub async fn bribe_case(app: &TestApp) -> (String, String) {
    file(
        app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await
}

impl TestApp {
    /// Files a valid report through the API and returns its code.
    pub async fn submit(&self, narrative: &str) -> String {
        let (status, body) = self.post_report(&report(narrative)).await;
        assert_eq!(status, Status::Created, "{body}");
        body["code"].as_str().expect("a code").to_owned()
    }

    /// The id of the report a code belongs to (read from the database, as a test may).
    pub async fn report_id(&self, code: &str) -> String {
        let parsed = minhbach::crypto::RetrievalCode::parse(code).expect("a code");
        let locator = parsed.derive().locator.to_hex();
        match minhbach::store::reports::find_by_locator(self.db().pool(), &locator)
            .await
            .unwrap()
            .expect("stored")
        {
            minhbach::store::reports::Located::Report(report) => report.id.to_string(),
            minhbach::store::reports::Located::Erased(_) => panic!("the report was erased"),
        }
    }

    /// A report filed, then taken by its inspector to `conclusion` through the staff API.
    pub async fn concluded(&self, inspector: &Session, conclusion: &str) -> (String, String) {
        let code = self
            .submit("Cán bộ địa chính xã nhận tiền để làm nhanh hồ sơ đất.")
            .await;
        let id = self.report_id(&code).await;
        for to in ["accepted", "investigating", conclusion] {
            let (status, body) = self
                .post_transition(
                    inspector,
                    &id,
                    &json!({ "to": to, "reason": format!("Chuyển sang {to}.") }),
                )
                .await;
            assert_eq!(status, Status::Ok, "{to}: {body}");
        }
        (code, id)
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
            .to_string()
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

    /// Signs a user in with [`PASSWORD`] and the code of the current step.
    pub async fn sign_in(&self, username: &str) -> Session {
        let code = self.totp(username, 0).await;
        let (status, session) = self.try_sign_in(username, PASSWORD, &code).await;
        assert_eq!(status, Status::NoContent, "{username} signs in");
        session.expect("a session cookie")
    }

    /// Signs a user in and returns the session and its CSRF token (read from the sealed cookie, as the
    /// server would).
    pub async fn sign_in_with_csrf(&self, username: &str) -> (Session, String) {
        let code = self.totp(username, 0).await;
        let body = json!({ "username": username, "password": PASSWORD, "totp": code }).to_string();
        let response = self
            .client
            .post("/api/v1/session")
            .header(rocket::http::ContentType::JSON)
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
}
