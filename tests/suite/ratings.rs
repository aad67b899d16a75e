//! Reporters' ratings of the handling (issue 13): once per report, after its result was notified; the
//! comment encrypted at rest; the score in the supervisor's figures by month and, with small cells hidden,
//! on the public page by quarter.

use rocket::http::Status;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::stats::table_of;

const CANARY: &str = "Cán bộ Trần Văn Canary trả lời rất tận tình";

/// Every byte the deployment keeps: the data directory's files (SQLite: the database and its WAL), and on
/// PostgreSQL the ratings table's rows as the server returns them.
async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    let mut out: Vec<u8> = crate::retention::data_dir_bytes(app)
        .into_iter()
        .flat_map(|(_, bytes)| bytes)
        .collect();
    let rows: Vec<(String, Option<Vec<u8>>)> = sqlx::query_as("SELECT report_id, comment FROM ratings")
        .fetch_all(app.db().pool())
        .await
        .expect("ratings");
    for (id, comment) in rows {
        out.extend(id.into_bytes());
        out.extend(comment.unwrap_or_default());
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[rocket::async_test]
async fn a_report_is_rated_once_after_its_result_is_told_and_the_comment_is_sealed() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let supervisor = app.sign_in("supervisor").await;
    let (code, id) = app.concluded(&inspector, "unsubstantiated").await;
    let rating = json!({ "code": code, "score": 4, "comment": CANARY });

    // Concluded, but the result not yet told: not yet.
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(
        (status["can_rate"].clone(), status["rating"].clone()),
        (json!(false), Value::Null)
    );
    let (answer, body) = app.post_json("/api/v1/reports/rating", &rating).await;
    assert_eq!(
        (answer, body["error"]["code"].clone()),
        (Status::Conflict, json!("not_ratable")),
        "{body}"
    );

    // Told: rated once; a second rating is refused and changes nothing.
    let told = json!({ "body": "Kết quả giải quyết: nội dung tố cáo không đúng; xem kết luận số 12/KL-TTr." });
    assert_eq!(app.post_case_message(&inspector, &id, &told).await.0, Status::Created);
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(status["can_rate"], json!(true), "{status}");
    for (bad, field) in [(json!(0), "score"), (json!("năm"), "score"), (json!(null), "score")] {
        let (answer, body) = app
            .post_json("/api/v1/reports/rating", &json!({ "code": code, "score": bad }))
            .await;
        assert_eq!(answer, Status::UnprocessableEntity, "{bad}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    let long = json!({ "code": code, "score": 3, "comment": "ư".repeat(301) });
    assert_eq!(
        app.post_json("/api/v1/reports/rating", &long).await.0,
        Status::UnprocessableEntity
    );
    let (answer, body) = app.post_json("/api/v1/reports/rating", &rating).await;
    assert_eq!(
        (answer, body.clone()),
        (Status::Created, json!({ "rating": { "score": 4 } }))
    );
    let again = json!({ "code": code, "score": 1 });
    let (answer, body) = app.post_json("/api/v1/reports/rating", &again).await;
    assert_eq!(
        (answer, body["error"]["code"].clone()),
        (Status::Conflict, json!("already_rated")),
        "{body}"
    );
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(status["rating"]["score"], json!(4));
    assert_eq!(status["can_rate"], json!(false));
    assert_eq!(app.count("ratings").await, 1);

    // The comment is nowhere in the clear; the control: the same scan finds the report's id, which is.
    let stored = stored_bytes(&app).await;
    assert!(!stored.is_empty());
    assert!(
        !contains(&stored, CANARY) && !contains(&stored, "Canary"),
        "the comment in the clear"
    );
    assert!(contains(&stored, &id), "the scan reads the rows (positive control)");

    // The supervisor sees it in this month's row of the team's ratings: one 4.
    let (answer, page) = app.get_page("/inspector/stats", &supervisor).await;
    assert_eq!(answer, Status::Ok);
    let table = table_of(&page, "ratings");
    let month =
        minhbach::domain::stats::Month::of(minhbach::domain::calendar::local_date(minhbach::store::now_millis()));
    let row = table.iter().find(|r| r[0] == month.label()).expect("this month's row");
    assert_eq!(row[1..], ["0", "0", "0", "1", "0"], "{table:?}");

    // The public sees it from tomorrow's checkpoint, hidden as one of fewer than 5.
    assert!(app.publish_checkpoint(1).await);
    let public = app.get("/transparency").await.into_string().await.unwrap_or_default();
    let table = table_of(&public, "ratings");
    let last = table.last().expect("this quarter's row");
    assert_eq!(last[1..], ["0", "0", "0", "< 5", "0"], "{table:?}");
    assert!(!public.contains("Canary") && !public.contains(&id));
    println!("rating: refused before the result was told (409), stored once (201), a second refused (409); comment not found in {} stored bytes", stored.len());
}

/// The status page offers the form once the result is told, takes the rating with the page's token, and
/// then shows it instead of the form.
#[rocket::async_test]
async fn the_status_page_takes_a_rating_with_its_token() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    let (_, page) = app.post_form("/report/status", &[("code", &code)]).await;
    assert!(
        !page.contains("action=\"/report/rating"),
        "no form before the result is told"
    );
    let told = json!({ "body": "Kết quả: tố cáo đúng." });
    assert_eq!(app.post_case_message(&inspector, &id, &told).await.0, Status::Created);
    let (_, page) = app.post_form("/report/status", &[("code", &code)]).await;
    assert!(page.contains("action=\"/report/rating"), "the form once it is told");
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's token")
        .to_owned();
    let (status, page) = app
        .post_form("/report/rating", &[("token", &token), ("score", "9"), ("comment", "")])
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Hãy chọn điểm từ 1 đến 5."), "the error in Vietnamese");
    let (status, page) = app
        .post_form(
            "/report/rating",
            &[("token", &token), ("score", "5"), ("comment", "Rất kịp thời.")],
        )
        .await;
    assert_eq!(status, Status::Created);
    assert!(page.contains("Cảm ơn bạn: đánh giá đã được ghi nhận.") && page.contains("5 — rất hài lòng"));
    assert!(!page.contains("action=\"/report/rating"), "no form once rated");
    let (status, page) = app
        .post_form("/report/rating", &[("token", &token), ("score", "1")])
        .await;
    assert_eq!(status, Status::Conflict, "a second rating is refused");
    assert!(
        page.contains("Tin báo này đã được đánh giá") && page.contains("5 — rất hài lòng"),
        "said, beside the rating given"
    );
    assert_eq!(app.count("ratings").await, 1);
}
