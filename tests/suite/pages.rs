//! The reporter's pages: the whole journey without JavaScript or cookies, errors in the reporter's
//! language, and what every response carries.

use rocket::http::{ContentType, Header, Status};
use serde_json::json;

use crate::helpers::{token_on, urlencode, TestApp};

const NARRATIVE: &str = "Cán bộ một cửa đòi 2 triệu đồng \"bồi dưỡng\" để nhận hồ sơ <b>đúng hạn</b>.";

fn report_form(narrative: &str) -> Vec<(&'static str, String)> {
    vec![
        ("category", "harassment".into()),
        ("unit", "tan-xuan".into()),
        ("narrative", narrative.into()),
        ("accused", "".into()),
        ("incident_date", "2026-11-02".into()),
        ("amount_vnd", "2.000.000".into()),
    ]
}

fn fields<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The grouped code shown on the confirmation page.
fn code_on(page: &str) -> String {
    let start = page.find("id=\"code\">").expect("the page shows a code") + "id=\"code\">".len();
    page[start..start + 24].to_owned()
}

#[rocket::async_test]
async fn a_reporter_files_checks_and_replies_with_forms_alone() {
    let app = TestApp::spawn().await;
    let (status, page) = app.post_form("/report", &fields(&report_form(NARRATIVE))).await;
    assert_eq!(status, Status::Created);
    assert!(page.contains("Hãy ghi lại mã tra cứu. Mất mã thì không thể khôi phục."));
    let code = code_on(&page);

    let (status, page) = app.post_form("/report/status", &[("code", &code)]).await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("Đã tiếp nhận") && page.contains("Xã Tân Xuân") && page.contains("2.000.000 ₫"));
    assert!(
        page.contains("&lt;b&gt;đúng hạn&lt;/b&gt;"),
        "what the reporter typed is escaped"
    );
    assert!(!page.contains(&code), "the status page does not repeat the code");

    let token = token_on(&page);
    let (status, page) = app
        .post_form(
            "/report/messages",
            &[("token", &token), ("body", "Tôi còn giữ tin nhắn đòi tiền.")],
        )
        .await;
    assert_eq!(status, Status::Created);
    assert!(page.contains("Tin nhắn của bạn đã được gửi.") && page.contains("Tôi còn giữ tin nhắn đòi tiền."));

    let (status, page) = app
        .post_form("/report/messages", &[("token", &token), ("body", " ")])
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Vui lòng điền mục này."));
    assert_eq!(app.count("messages").await, 1);
}

#[rocket::async_test]
async fn a_forged_or_missing_reply_token_changes_nothing() {
    let app = TestApp::spawn().await;
    for token in ["", "00", &"ab".repeat(60)] {
        let (status, page) = app
            .post_form("/report/messages", &[("token", token), ("body", "xin chào")])
            .await;
        assert_eq!(status, Status::BadRequest);
        assert!(page.contains("Phiên trả lời đã hết hạn"), "{page}");
    }
    assert_eq!(app.count("messages").await, 0);
}

#[rocket::async_test]
async fn an_invalid_form_comes_back_with_messages_and_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut form = report_form("quá ngắn");
    form[1].1 = "atlantis".into();
    form[4].1 = "31/12/2026".into();
    let (status, page) = app.post_form("/report?lang=en", &fields(&form)).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Your report was not sent yet."));
    assert!(page.contains("Too short: at least 10 characters."));
    assert!(page.contains("This unit is not in the list."));
    assert!(page.contains("Not a valid date"));
    assert!(page.contains(">quá ngắn</textarea>"), "the narrative is kept");
    assert!(
        page.contains("value=\"harassment\" selected"),
        "the category stays chosen"
    );
    // Handlebars escapes "=" in attributes; browsers read it back as "=".
    assert!(
        page.contains("action=\"/report?lang&#x3D;en\""),
        "the language is carried forward"
    );
    assert_eq!(app.count("reports").await, 0);
}

#[rocket::async_test]
async fn pages_come_in_vietnamese_by_default_and_english_on_request() {
    let app = TestApp::spawn().await;
    let home = app.get("/").await.into_string().await.unwrap();
    assert!(home.contains("lang=\"vi\"") && home.contains("Tham ô tài sản") && home.contains("Nhận hối lộ"));
    let english = app.get("/?lang=en").await.into_string().await.unwrap();
    assert!(english.contains("lang=\"en\"") && english.contains("Embezzlement of property"));
    let negotiated = app
        .client
        .get("/report")
        .header(Header::new("Accept-Language", "en-US,en;q=0.9"))
        .dispatch()
        .await;
    assert!(negotiated.into_string().await.unwrap().contains("Report corruption"));
    let form = app.get("/report").await.into_string().await.unwrap();
    let options = form.matches("<option value=\"").count() - form.matches("<option value=\"\"").count();
    assert_eq!(options, 13 + 13, "13 categories and 13 units");
}

/// Every kind of response the reporter can meet: pages, results, errors, the stylesheet, the API.
async fn every_kind_of_response(
    app: &TestApp,
) -> Vec<(String, Status, Option<ContentType>, Vec<(String, String)>, String)> {
    let mut out = Vec::new();
    let record = |label: &str, response: rocket::local::asynchronous::LocalResponse<'_>| {
        let headers = response
            .headers()
            .iter()
            .map(|h| (h.name().to_string(), h.value().to_string()))
            .collect();
        (label.to_owned(), response.status(), response.content_type(), headers)
    };
    for path in [
        "/",
        "/?lang=en",
        "/report",
        "/report?lang=en",
        "/report/status",
        "/transparency",
        "/static/style.css",
        "/nowhere",
        "/api/v1/categories",
        "/api/v1/units",
        "/api/v1/missing",
    ] {
        let response = app.get(path).await;
        let (label, status, ct, headers) = record(path, response);
        let body = app.get(path).await.into_string().await.unwrap_or_default();
        out.push((label, status, ct, headers, body));
    }
    let valid: String = report_form(NARRATIVE)
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let posts: Vec<(&str, String, ContentType)> = vec![
        ("/report", valid.clone(), ContentType::Form),
        ("/report", "narrative=x".into(), ContentType::Form),
        (
            "/report",
            format!("narrative={}", "x".repeat(300 * 1024)),
            ContentType::Form,
        ),
        ("/report/status", "code=AAAA".into(), ContentType::Form),
        ("/report/messages", "token=00&body=x".into(), ContentType::Form),
        ("/api/v1/reports", "{".into(), ContentType::JSON),
        ("/api/v1/reports/status", "{\"code\":\"x\"}".into(), ContentType::JSON),
    ];
    for (path, body, content_type) in posts {
        let response = app.client.post(path).header(content_type).body(body).dispatch().await;
        let (label, status, ct, headers) = record(&format!("POST {path}"), response);
        out.push((label, status, ct, headers, String::new()));
    }
    let response = app
        .client
        .post("/report")
        .header(ContentType::Form)
        .body(valid)
        .dispatch()
        .await;
    let status = response.status();
    let body = response.into_string().await.unwrap_or_default();
    let code = code_on(&body);
    out.push((
        "POST /report (page)".into(),
        status,
        Some(ContentType::HTML),
        vec![],
        body,
    ));
    let (status, body) = app.post_form("/report/status", &[("code", &code)]).await;
    out.push((
        "POST /report/status (page)".into(),
        status,
        Some(ContentType::HTML),
        vec![],
        body,
    ));
    out
}

#[rocket::async_test]
async fn no_page_has_a_script_or_an_external_resource() {
    let app = TestApp::spawn().await;
    let responses = every_kind_of_response(&app).await;
    let mut pages = 0;
    for (label, _, _, _, body) in &responses {
        if body.is_empty() {
            continue;
        }
        pages += 1;
        let lower = body.to_lowercase();
        assert!(!lower.contains("<script"), "{label} has a script");
        assert!(
            !lower.contains("http://") && !lower.contains("https://") && !lower.contains("src=\"//"),
            "{label} links outside"
        );
        for handler in ["onclick=", "onload=", "onerror=", "onsubmit=", "javascript:"] {
            assert!(!lower.contains(handler), "{label} has {handler}");
        }
    }
    println!("{pages} response bodies checked: 0 scripts, 0 external URLs");
    assert!(pages >= 10);
}

#[rocket::async_test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let responses = every_kind_of_response(&app).await;
    let mut checked = 0;
    for (label, status, _, headers, _) in responses.iter().filter(|r| !r.3.is_empty()) {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let csp = get("Content-Security-Policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{label} ({status}): CSP {csp:?}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{label}");
        assert_eq!(get("Cache-Control"), Some("no-store"), "{label}");
        assert_eq!(get("Referrer-Policy"), Some("same-origin"), "{label}");
        assert_eq!(get("X-Content-Type-Options"), Some("nosniff"), "{label}");
        assert_eq!(get("X-Frame-Options"), Some("DENY"), "{label}");
        assert!(get("Set-Cookie").is_none(), "{label} sets a cookie");
        assert!(status.code < 500, "{label} answered {status}");
        checked += 1;
    }
    let statuses: std::collections::BTreeSet<u16> = responses.iter().map(|r| r.1.code).collect();
    println!(
        "{checked} responses with statuses {statuses:?}: all carry CSP, no-store, same-origin referrers, nosniff, DENY"
    );
    assert!(
        statuses.is_superset(&[200, 201, 400, 404, 413, 422].into_iter().collect()),
        "{statuses:?}"
    );
}

#[rocket::async_test]
async fn the_transparency_page_publishes_the_ledger_head_and_counts_only() {
    let app = TestApp::spawn().await;
    let (status, _) = app.post_form("/report", &fields(&report_form(NARRATIVE))).await;
    assert_eq!(status, Status::Created);
    assert!(app.publish_checkpoint(1).await, "tomorrow's checkpoint is new");
    assert!(!app.publish_checkpoint(1).await, "a day has one checkpoint");
    let (entries, hash) = minhbach::store::ledger::head(app.db().pool()).await.expect("head");
    let page = app.get("/transparency").await.into_string().await.unwrap_or_default();
    assert!(
        page.contains(&format!("id=\"ledger-hash\">{hash}<")),
        "the head before tomorrow's midnight is shown"
    );
    assert!(page.contains(&format!("id=\"ledger-entries\">{entries}<")));
    let csv = app
        .get("/transparency/reports.csv")
        .await
        .into_string()
        .await
        .unwrap_or_default();
    assert!(csv.ends_with(",< 5,0\r\n"), "one report this quarter reads < 5: {csv}");
    assert!(
        !page.contains("bồi dưỡng") && !page.contains("Tân Xuân"),
        "no content, no unit"
    );
    assert!(minhbach::app::audit::audit_verify(app.db()).await.is_ok());
}

/// Issue 11, D2: the public page published the live ledger count, head and last time to the minute, so
/// polling it showed when each report and reply arrived. Now it shows daily checkpoints: a report and a
/// reply arriving leave it byte for byte the same; the next day's checkpoint (the positive control) counts
/// them.
#[rocket::async_test]
async fn the_transparency_page_does_not_change_when_a_report_arrives() {
    let app = TestApp::spawn().await;
    app.publish_checkpoint(0).await;
    let before = app.get("/transparency").await.into_string().await.unwrap_or_default();
    let csv = app.get("/transparency/reports.csv").await;
    assert_eq!(csv.status(), Status::NotFound, "no figures yet: no CSV either");
    assert!(before.contains("id=\"ledger-entries\">"), "{before}");
    let (status, page) = app.post_form("/report", &fields(&report_form(NARRATIVE))).await;
    assert_eq!(status, Status::Created);
    let code = code_on(&page);
    let (status, _) = app.post_report_message(&code, "Tôi bổ sung thêm một chi tiết.").await;
    assert_eq!(status, Status::Created);
    let after = app.get("/transparency").await.into_string().await.unwrap_or_default();
    assert_eq!(before, after, "a report and a reply changed the public page");
    let minute = time_of_day(&after);
    assert!(minute.is_none(), "a time of day on the public page: {minute:?}");

    assert!(app.publish_checkpoint(1).await);
    let tomorrow = app.get("/transparency").await.into_string().await.unwrap_or_default();
    assert_ne!(before, tomorrow, "the next checkpoint counts them");
    assert!(before.contains("id=\"no-figures\"") && tomorrow.contains("id=\"figure-reports\""));
    assert_eq!(app.get("/transparency/reports.csv").await.status(), Status::Ok);
    println!("public page: identical after 1 report and 1 reply; changed at the next day's checkpoint");
}

/// A time of day (`HH:MM` other than the checkpoints' 00:00) in `page`, if any.
fn time_of_day(page: &str) -> Option<String> {
    let bytes = page.as_bytes();
    (0..bytes.len().saturating_sub(4)).find_map(|i| {
        let w = &bytes[i..i + 5];
        let shaped = w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit();
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        (shaped && before_ok && w != b"00:00").then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// A published checkpoint edited in the database (or a chain rewritten under it) fails `audit verify`,
/// naming the checkpoint's entry.
#[rocket::async_test]
async fn audit_verify_checks_every_published_checkpoint() {
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        let (status, _) = app.post_form("/report", &fields(&report_form(NARRATIVE))).await;
        assert_eq!(status, Status::Created);
    }
    app.publish_checkpoint(1).await;
    let entries = minhbach::store::ledger::head(app.db().pool()).await.expect("head").0;
    assert!(
        minhbach::app::audit::audit_verify(app.db()).await.is_ok(),
        "positive control"
    );
    sqlx::query("UPDATE ledger_checkpoints SET hash = $1")
        .bind("ab".repeat(32))
        .execute(app.db().pool())
        .await
        .expect("edit");
    let refused = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("an edited checkpoint");
    let text = refused.to_string();
    assert!(
        text.contains(&format!("#{entries}")) && text.contains("checkpoint"),
        "{text}"
    );
}

/// The part of a page from the heading `title` to the end of its section.
fn section<'a>(page: &'a str, title: &str) -> &'a str {
    let start = page.find(&format!("<h2>{title}</h2>")).expect("the section is there");
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// Issue 8: the transparency page named commendation states as the reporter reads them ("Bạn đã từ chối
/// nhận thưởng"); the public reads neutral words (now figures per quarter, issue 13).
#[rocket::async_test]
async fn the_transparency_page_names_commendation_states_neutrally() {
    let app = TestApp::spawn().await;
    app.add_user("thanhtra.binh", "inspector", None, None).await;
    app.add_user("thi.dua", "officer", None, None).await;
    let inspector = app.sign_in("thanhtra.binh").await;
    let officer = app.sign_in("thi.dua").await;
    let decide = |id: String| {
        let (app, officer) = (&app, &officer);
        async move {
            let record = json!({ "recovered": 0, "form": "ministry_certificate", "evidence": "KL 9/KL-TTr" });
            assert_eq!(app.post_proposal(officer, &id, &record).await.0, Status::Ok);
            let decision = json!({ "form": "ministry_certificate", "amount": 46_800_000 });
            assert_eq!(app.post_decision(officer, &id, &decision).await.0, Status::Ok);
        }
    };
    app.concluded(&inspector, "substantiated").await;
    let (_, decided) = app.concluded(&inspector, "substantiated").await;
    decide(decided).await;
    let (code, declined) = app.concluded(&inspector, "partially_substantiated").await;
    decide(declined).await;
    let (status, _) = app.post_claim(&code, json!({ "accept": false })).await;
    assert_eq!(status, Status::Ok);

    app.publish_checkpoint(1).await;
    let vi = app.get("/transparency").await.into_string().await.unwrap_or_default();
    let commendations = section(&vi, "Khen thưởng đã quyết định và đã chi trả theo quý");
    assert!(
        commendations.contains("<td>&lt; 5</td>"),
        "two decisions read < 5: {commendations}"
    );
    let reports = section(&vi, "Tin báo tiếp nhận và đã kết luận theo quý");
    for part in [commendations, reports] {
        assert!(!part.to_lowercase().contains("bạn"), "speaks to the reporter: {part}");
    }
    let en = app
        .get("/transparency?lang=en")
        .await
        .into_string()
        .await
        .unwrap_or_default();
    for title in [
        "Commendations decided and paid per quarter",
        "Reports received and concluded per quarter",
    ] {
        let part = section(&en, title);
        assert!(!part.to_lowercase().contains("you"), "speaks to the reporter: {part}");
    }
}
