//! The reporter's JSON API: submission, validation in the request's language, status and messages.

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::helpers::{report, TestApp};

#[rocket::async_test]
async fn categories_and_units_come_in_the_requested_language() {
    let app = TestApp::spawn().await;
    let categories: Value =
        serde_json::from_str(&app.get("/api/v1/categories").await.into_string().await.unwrap()).expect("JSON");
    assert_eq!(categories.as_array().map(Vec::len), Some(13));
    assert_eq!(categories[0], json!({ "id": "embezzlement", "name": "Tham ô tài sản" }));
    let english: Value =
        serde_json::from_str(&app.get("/api/v1/categories?lang=en").await.into_string().await.unwrap()).unwrap();
    assert_eq!(english[1]["name"], "Taking bribes");

    let units: Value = serde_json::from_str(&app.get("/api/v1/units").await.into_string().await.unwrap()).unwrap();
    let names: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names.len(), 13, "the district, its town and eleven communes");
    assert!(
        names.contains(&"Xã Bà Điểm") && names.contains(&"Thị trấn Hóc Môn"),
        "{names:?}"
    );
    let response = app
        .client
        .get("/api/v1/units")
        .header(rocket::http::Header::new("Accept-Language", "en-GB,en;q=0.8"))
        .dispatch()
        .await;
    let english: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert!(english
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "Bà Điểm Commune"));
}

#[rocket::async_test]
async fn a_report_is_stored_and_acknowledged_with_a_grouped_code() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post_report(&report("Cán bộ địa chính nhận 15 triệu đồng.")).await;
    assert_eq!(status, Status::Created);
    assert_eq!(body["status"], "received");
    let code = body["code"].as_str().expect("code");
    assert_eq!(code.len(), 24);
    assert_eq!(code.split('-').map(str::len).collect::<Vec<_>>(), vec![4; 5]);
    assert_eq!(app.count("reports").await, 1);
    assert_eq!(
        app.count("ledger").await,
        3,
        "the organisation's import, the receipt and the assignment are in the ledger"
    );
    assert_eq!(
        app.count("key_grants").await,
        1,
        "with no staff yet, only the recovery key holds the report key"
    );

    let (status, view) = app.post_report_status(code).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["status"], "received");
    assert_eq!(view["events"][0]["kind"], "received");
    assert_eq!(view["deadlines"][0]["stage"], "triage");
    assert!(view["received_at"].as_str().unwrap().ends_with("+07:00"));
}

#[rocket::async_test]
async fn only_the_required_fields_are_needed() {
    let app = TestApp::spawn().await;
    let minimal = json!({ "category": "other", "unit": "hoc-mon", "narrative": "Một việc cần xác minh." });
    assert_eq!(app.post_report(&minimal).await.0, Status::Created);
    let with_nulls = json!({ "category": "other", "unit": "hoc-mon", "narrative": "Một việc cần xác minh.",
        "accused": null, "incident_date": null, "amount_vnd": null });
    assert_eq!(app.post_report(&with_nulls).await.0, Status::Created);
}

#[rocket::async_test]
async fn invalid_fields_get_a_422_naming_each_field_in_the_request_language() {
    let app = TestApp::spawn().await;
    let bad = json!({ "category": "bribery", "unit": 7, "narrative": "ngắn", "incident_date": "2099-01-01",
        "amount_vnd": -1 });
    let (status, body) = app.post_report(&bad).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body["error"]["code"], "invalid");
    let fields = &body["error"]["fields"];
    assert_eq!(fields["category"], "Loại hành vi không có trong danh sách.");
    assert_eq!(fields["unit"], "Giá trị không đúng kiểu dữ liệu.");
    assert_eq!(fields["narrative"], "Quá ngắn: cần ít nhất 10 ký tự.");
    assert!(fields["incident_date"].is_string() && fields["amount_vnd"].is_string());

    let (_, english) = app.post_json("/api/v1/reports?lang=en", &bad).await;
    assert_eq!(
        english["error"]["fields"]["narrative"],
        "Too short: at least 10 characters."
    );
    assert_eq!(
        english["error"]["fields"]["amount_vnd"],
        "The amount must be a whole number of đồng, zero or more."
    );

    let (status, body) = app.post_report(&json!({ "amount_vnd": 1.5 })).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body["error"]["fields"]["category"], "Vui lòng điền mục này.");
    assert!(body["error"]["fields"]["amount_vnd"].is_string());
    assert_eq!(app.count("reports").await, 0, "nothing invalid was stored");
}

#[rocket::async_test]
async fn malformed_json_is_a_400_and_an_oversized_body_a_413() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post_raw("/api/v1/reports", ContentType::JSON, "{\"category\": ")
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["code"], "malformed");
    let (status, _) = app
        .post_raw("/api/v1/reports", ContentType::JSON, [0xff, 0xfe, b'{'])
        .await;
    assert_eq!(status, Status::BadRequest);
    let (status, body) = app.post_raw("/api/v1/reports", ContentType::JSON, "[1, 2]").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");

    let huge = json!({ "narrative": "x".repeat(300 * 1024) }).to_string();
    let (status, body) = app.post_raw("/api/v1/reports", ContentType::JSON, huge).await;
    assert_eq!(status, Status::PayloadTooLarge);
    assert_eq!(body["error"]["code"], "too_large");
    let (status, body) = app
        .post_raw("/api/v1/reports/status?lang=en", ContentType::JSON, "nope")
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["error"]["message"], "The request body is not valid JSON.");
}

#[rocket::async_test]
async fn the_reporter_sends_messages_with_the_code_alone() {
    let app = TestApp::spawn().await;
    let code = app.submit("Cán bộ thuế gợi ý nộp tiền để giảm thuế.").await;
    let (status, _) = app
        .post_report_message(&code.to_lowercase(), "Tôi có thêm hóa đơn.")
        .await;
    assert_eq!(status, Status::Created);
    let (_, view) = app.post_report_status(&code).await;
    assert_eq!(view["messages"][0]["body"], "Tôi có thêm hóa đơn.");
    assert_eq!(view["messages"][0]["from"], "reporter");
    let kinds: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["received", "assigned"], "messages are not status events");

    let (status, body) = app.post_report_message(&code, "   ").await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert_eq!(body["error"]["fields"]["body"], "Vui lòng điền mục này.");
    let (status, _) = app.post_report_message("AAAA-AAAA-AAAA-AAAA-AAAA", "xin chào").await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(app.count("messages").await, 1);
}

#[rocket::async_test]
async fn unknown_api_routes_and_methods_answer_in_json() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), Status::NotFound);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let body: Value = serde_json::from_str(&response.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let response = app.get("/api/v1/reports/status").await;
    assert_eq!(response.status(), Status::NotFound, "the status is never read with GET");
}

/// Issue #11, D4: another website cannot make a visitor's browser file a report. The form refuses a post
/// that names another origin, and the API takes only `application/json` (which a page elsewhere cannot
/// send without the browser asking first) from this site.
#[rocket::async_test]
async fn another_site_cannot_file_a_report_through_a_visitors_browser() {
    use rocket::http::Header;
    let app = TestApp::spawn().await;
    let fields = crate::helpers::form(&[
        ("category", "bribe-taking"),
        ("unit", "ba-diem"),
        ("narrative", "Một trang web khác gửi biểu mẫu này thay người xem."),
    ]);
    let forged_form = app
        .client
        .post("/report")
        .header(ContentType::Form)
        .header(Header::new("Origin", "https://evil.example"))
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .body(fields.clone())
        .dispatch()
        .await
        .status();
    assert_eq!(forged_form, Status::Forbidden);
    let body = report("Một trang web khác gửi yêu cầu này thay người xem.").to_string();
    for content_type in [ContentType::Plain, ContentType::Form] {
        let (status, reply) = app
            .post_raw("/api/v1/reports", content_type.clone(), body.clone())
            .await;
        assert_eq!(status, Status::UnsupportedMediaType, "{content_type}: {reply}");
    }
    let forged_json = app
        .client
        .post("/api/v1/reports")
        .header(ContentType::JSON)
        .header(Header::new("Origin", "https://evil.example"))
        .body(body.clone())
        .dispatch()
        .await
        .status();
    assert_eq!(forged_json, Status::Forbidden);
    assert_eq!(app.count("reports").await, 0, "nothing was filed");
    // Positive controls: the same form from this site, and the same JSON, are taken.
    let own_form = app
        .client
        .post("/report")
        .header(ContentType::Form)
        .header(Header::new("Sec-Fetch-Site", "same-origin"))
        .body(fields)
        .dispatch()
        .await
        .status();
    assert_eq!(own_form, Status::Created);
    let (status, _) = app.post_raw("/api/v1/reports", ContentType::JSON, body).await;
    assert_eq!(status, Status::Created);
    assert_eq!(app.count("reports").await, 2);
}
