//! One method per JSON endpoint, in the style of zero2prod's `tests/api/helpers.rs`: a test names the
//! endpoint and gives the body, the method builds the path. Each returns the status and the reply read as
//! JSON (`Value::Null` when it is not JSON). Tests that send a malformed path, body or header on purpose
//! build their requests themselves.

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use super::{Session, TestApp};

/// The reporter's endpoints, which take the retrieval code instead of a session.
impl TestApp {
    /// `POST /api/v1/reports`.
    pub async fn post_report(&self, body: &Value) -> (Status, Value) {
        self.post_json("/api/v1/reports", body).await
    }

    /// `POST /api/v1/reports/status` with the code.
    pub async fn post_report_status(&self, code: &str) -> (Status, Value) {
        self.post_json("/api/v1/reports/status", &json!({ "code": code })).await
    }

    /// `POST /api/v1/reports/messages`: the reporter's message `body`, sent with the code.
    pub async fn post_report_message(&self, code: &str, body: &str) -> (Status, Value) {
        self.post_json("/api/v1/reports/messages", &json!({ "code": code, "body": body }))
            .await
    }

    /// `POST /api/v1/reports/claim`: `body` (the answer or the identity) with the code added.
    pub async fn post_claim(&self, code: &str, body: Value) -> (Status, Value) {
        let mut body = body;
        body["code"] = json!(code);
        self.post_json("/api/v1/reports/claim", &body).await
    }
}

/// Staff sessions.
impl TestApp {
    /// `POST /api/v1/session`, returning the session cookie it sets, if any.
    pub async fn try_sign_in(&self, username: &str, password: &str, totp: &str) -> (Status, Option<Session>) {
        let body = json!({ "username": username, "password": password, "totp": totp }).to_string();
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

    /// `POST /api/v1/session` with any JSON body, for the reply alone.
    pub async fn post_session(&self, body: &Value) -> (Status, Value) {
        self.post_json("/api/v1/session", body).await
    }

    /// `DELETE /api/v1/session`: signs the session out.
    pub async fn delete_session(&self, session: &Session) -> Status {
        self.client
            .delete("/api/v1/session")
            .cookie(session.0.clone())
            .dispatch()
            .await
            .status()
    }
}

/// Casework: the queue, a case and what staff do to it.
impl TestApp {
    /// `GET /api/v1/cases`, with `query` (`"page=2"`, say) after a `?` unless it is empty.
    pub async fn get_cases(&self, session: &Session, query: &str) -> (Status, Value) {
        if query.is_empty() {
            self.staff_get("/api/v1/cases", session).await
        } else {
            self.staff_get(&format!("/api/v1/cases?{query}"), session).await
        }
    }

    /// `GET /api/v1/cases/{id}`.
    pub async fn get_case(&self, session: &Session, id: &str) -> (Status, Value) {
        self.staff_get(&format!("/api/v1/cases/{id}"), session).await
    }

    /// `POST /api/v1/cases/{id}/transitions` (`{ "to", "reason" }`).
    pub async fn post_transition(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/cases/{id}/transitions"), session, body)
            .await
    }

    /// `POST /api/v1/cases/{id}/messages` (`{ "body" }`).
    pub async fn post_case_message(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/cases/{id}/messages"), session, body)
            .await
    }

    /// `POST /api/v1/cases/{id}/assignment` (`{ "assignee" }`).
    pub async fn post_assignment(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/cases/{id}/assignment"), session, body)
            .await
    }

    /// `POST /api/v1/cases/{id}/extensions` (`{ "type", "reason" }`).
    pub async fn post_extension(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/cases/{id}/extensions"), session, body)
            .await
    }

    /// `GET /api/v1/stats/on-time`.
    pub async fn get_on_time(&self, session: &Session) -> (Status, Value) {
        self.staff_get("/api/v1/stats/on-time", session).await
    }
}

/// The commendation officer's endpoints.
impl TestApp {
    /// `GET /api/v1/commendations`: the officer's queue.
    pub async fn get_commendations(&self, session: &Session) -> (Status, Value) {
        self.staff_get("/api/v1/commendations", session).await
    }

    /// `GET /api/v1/commendations/{id}`: the file.
    pub async fn get_commendation(&self, session: &Session, id: &str) -> (Status, Value) {
        self.staff_get(&format!("/api/v1/commendations/{id}"), session).await
    }

    /// `POST /api/v1/commendations/{id}/proposal` (`{ "recovered", "form", "evidence", … }`).
    pub async fn post_proposal(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/commendations/{id}/proposal"), session, body)
            .await
    }

    /// `POST /api/v1/commendations/{id}/decision` (`{ "form", "amount", "reason" }`).
    pub async fn post_decision(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/commendations/{id}/decision"), session, body)
            .await
    }

    /// `POST /api/v1/commendations/{id}/payment` (`{ "amount", "reference", "claimed_at" }`).
    pub async fn post_payment(&self, session: &Session, id: &str, body: &Value) -> (Status, Value) {
        self.staff_post(&format!("/api/v1/commendations/{id}/payment"), session, body)
            .await
    }
}
