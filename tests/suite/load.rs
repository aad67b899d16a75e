//! A full key-derivation queue: reporters are refused at once with `503` and `Retry-After` (nothing stored,
//! the form's text and a reply's kept), while staff still sign in.

use rocket::http::{ContentType, Header, Status};
use serde_json::json;

use crate::helpers::{report, TestApp};

#[rocket::async_test]
async fn a_full_derivation_queue_refuses_reporters_at_once_and_staff_still_sign_in() {
    // One worker, no queue: while one derivation runs, the next reporter is refused.
    let app = TestApp::spawn_with(|f| f.merge(("kdf_workers", 1)).merge(("kdf_queue", 0))).await;
    app.add_user("inspector", "inspector", None, None).await;
    // A reporter with a status page open (its reply form's token), before the queue fills.
    let code = app
        .submit("Cán bộ thu tiền ngoài quy định khi cấp phép xây dựng.")
        .await;
    let (_, status_page) = app.post_form("/report/status", &[("code", &code)]).await;
    let token = crate::helpers::token_on(&status_page);
    let reply_text = "Tôi bổ sung: người nhận tiền là cán bộ địa chính, có người làm chứng.";
    let gate = app.client.rocket().state::<minhbach::app::KdfGate>().expect("the gate");
    let (release, held) = std::sync::mpsc::channel::<()>();
    let holding = gate.anonymous(move || {
        let _ = held.recv();
    });
    let probing = async {
        while gate.anonymous_admitted() < 1 {
            rocket::tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let narrative = "Cán bộ xã nhận tiền để ký giấy xác nhận, chuyện xảy ra đầu tháng mười.";
        let mut body = report(narrative);
        body["narrative"] = json!(narrative);
        let response = app
            .client
            .post("/api/v1/reports")
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::ServiceUnavailable);
        assert_eq!(response.headers().get_one("Retry-After"), Some("2"));
        let reply: serde_json::Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
        assert_eq!(reply["error"]["code"], "busy", "{reply}");
        // The site is checked before the queue: a call from another site is refused as such, full queue or not.
        let response = app
            .client
            .post("/api/v1/reports")
            .header(ContentType::JSON)
            .header(Header::new("Sec-Fetch-Site", "cross-site"))
            .body(body.to_string())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Forbidden);
        assert_eq!(response.headers().get_one("Retry-After"), None);
        let reply: serde_json::Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
        assert_eq!(reply["error"]["code"], "cross_site", "{reply}");
        // The form comes back with what the reporter wrote, and says nothing was stored.
        let fields = [
            ("category", "bribe-taking"),
            ("unit", "ba-diem"),
            ("narrative", narrative),
        ];
        let response = app
            .client
            .post("/report")
            .header(ContentType::Form)
            .body(crate::helpers::form(&fields))
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::ServiceUnavailable);
        assert_eq!(response.headers().get_one("Retry-After"), Some("2"));
        let page = response.into_string().await.unwrap();
        assert!(page.contains(narrative), "the text is kept");
        assert!(page.contains("chưa có gì được lưu"), "{page}");
        // The reply comes back in a form of its own, its text and token kept.
        let (status, page) = app
            .post_form("/report/messages", &[("token", &token), ("body", reply_text)])
            .await;
        assert_eq!(status, Status::ServiceUnavailable);
        assert!(
            page.contains(reply_text) && page.contains(&token),
            "the reply is kept: {page}"
        );
        assert!(page.contains("chưa có gì được lưu"), "{page}");
        // A code lookup is refused the same way.
        let (status, _) = app.post_report_status("AAAA-AAAA-AAAA-AAAA-AAAA").await;
        assert_eq!(status, Status::ServiceUnavailable);
        // Staff derive in their own lane: the sign-in goes through while the reporters' lane is full.
        let session = app.sign_in("inspector").await;
        assert_eq!(app.get_page("/inspector", &session).await.0, Status::Ok);
        assert_eq!(app.count("reports").await, 1, "nothing refused was stored");
        assert_eq!(app.count("messages").await, 0, "nor the reply");
        release.send(()).expect("the held derivation ends");
    };
    let (held, ()) = rocket::tokio::join!(holding, probing);
    assert!(held.is_ok(), "the held derivation was admitted and ran");
    // Positive control: with the worker free, the same report is taken.
    let (status, reply) = app
        .post_report(&report("Cán bộ xã nhận tiền để ký giấy xác nhận."))
        .await;
    assert_eq!(status, Status::Created, "{reply}");
    assert_eq!(app.count("reports").await, 2);
    // And the kept reply, sent again from its page, is taken.
    let (status, page) = app
        .post_form("/report/messages", &[("token", &token), ("body", reply_text)])
        .await;
    assert_eq!(status, Status::Created, "{page}");
    assert_eq!(app.count("messages").await, 1);
}
