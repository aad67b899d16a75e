//! Retention (issue 12): closed reports past their period are erased by crypto-shredding, a legal hold keeps
//! one, the content-free stub stays, figures and the ledger are unchanged, and the reporter's code says the
//! report was erased. The sweep runs at a clock years ahead, which is how back-dated reports meet it.

use minhbach::app::{retention, Clock};
use rocket::http::Status;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{bribe_case, form, Part, Session, TestApp};

const DAY: i64 = 86_400_000;

/// Moves a case through `path` as `session`.
async fn walk(app: &TestApp, session: &Session, id: &str, path: &[&str]) {
    for to in path {
        let (status, body) = app
            .post_transition(
                session,
                id,
                &json!({ "to": to, "reason": format!("Chuyển sang {to}.") }),
            )
            .await;
        assert_eq!(status, Status::Ok, "{to}: {body}");
    }
}

/// How many rows of `table` belong to report `id` (by `column`).
async fn rows_of(app: &TestApp, table: &str, column: &str, id: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1"))
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("count")
        .get("n")
}

/// Everything that holds a key or a ciphertext of report `id`: grants, messages, notes, files, chunks, the
/// commendation's grants; and the bytes left in its own sealed columns.
async fn secrets_of(app: &TestApp, id: &str) -> Vec<(&'static str, i64)> {
    let mut found = Vec::new();
    for (table, column) in [
        ("key_grants", "report_id"),
        ("messages", "report_id"),
        ("case_notes", "report_id"),
        ("attachments", "report_id"),
        ("commendation_grants", "report_id"),
    ] {
        found.push((table, rows_of(app, table, column, id).await));
    }
    let chunks: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM attachment_chunks WHERE attachment_id IN \
         (SELECT id FROM attachments WHERE report_id = $1)",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .expect("chunks")
    .get("n");
    found.push(("attachment_chunks", chunks));
    let row = sqlx::query(
        "SELECT LENGTH(wrapped_key) + LENGTH(key_salt) + LENGTH(narrative) + COALESCE(LENGTH(accused), 0) + \
         COALESCE(LENGTH(incident_date), 0) + COALESCE(LENGTH(amount_vnd), 0) AS n FROM reports WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .expect("report row");
    found.push(("reports (sealed bytes)", row.get::<i64, _>("n")));
    found
}

fn nothing_left(secrets: &[(&str, i64)]) -> bool {
    secrets.iter().all(|(_, n)| *n == 0)
}

/// The stub's columns: what statistics read.
async fn stub_of(app: &TestApp, id: &str) -> (String, String, String, i64, String) {
    let row = sqlx::query("SELECT category, unit_id, status, received_at, clock FROM reports WHERE id = $1")
        .bind(id)
        .fetch_one(app.db().pool())
        .await
        .expect("the report's row");
    (
        row.get("category"),
        row.get("unit_id"),
        row.get("status"),
        row.get("received_at"),
        row.get("clock"),
    )
}

/// The public page's figures as a checkpoint would publish them, over everything stored.
async fn public_figures(app: &TestApp) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let pool = app.db().pool();
    (
        minhbach::store::figures::reports_by_status(pool, i64::MAX)
            .await
            .unwrap(),
        minhbach::store::figures::commendations_by_status(pool, i64::MAX)
            .await
            .unwrap(),
    )
}

/// Every file of the data directory (database, WAL, keys), as raw bytes.
fn data_dir_bytes(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![app.data_dir.path().to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("data dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.push((path.display().to_string(), bytes));
            }
        }
    }
    files
}

fn files_holding(files: &[(String, Vec<u8>)], needle: &[u8]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(name, _)| name.clone())
        .collect()
}

#[rocket::async_test]
async fn the_sweep_erases_closed_reports_past_their_period_and_only_the_stub_stays() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let supervisor = app.sign_in("supervisor").await;

    // Under vn-2018: not accepted → 24 months; unsubstantiated → 60 months; substantiated with its
    // commendation still pending → no date yet. One of each, one unsubstantiated kept by a legal hold, one open.
    let (rejected_code, rejected) = bribe_case(&app).await;
    walk(&app, &inspector, &rejected, &["rejected", "closed"]).await;
    // The unsubstantiated one carries what erasure must reach: messages both ways and an evidence file.
    let evidence: Vec<u8> = "Biên lai thu tiền của xã, trang "
        .bytes()
        .cycle()
        .take(200_000)
        .collect();
    let report =
        json!({ "category": "bribe-taking", "unit": "ba-diem", "narrative": "Cán bộ nhận tiền; biên lai đính kèm." })
            .to_string();
    let (status, body) = app
        .post_multipart(
            "/api/v1/reports",
            &[
                Part::Text("report", &report),
                Part::File("file", "bien-lai.txt", &evidence),
            ],
        )
        .await;
    assert_eq!(status, Status::Created, "{body}");
    let gone_code = serde_json::from_str::<Value>(&body).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = app.report_id(&gone_code).await;
    let (status, _) = app.post_report_message(&gone_code, "Tôi còn một biên lai nữa.").await;
    assert_eq!(status, Status::Created);
    let (status, _) = app
        .post_case_message(&inspector, &gone, &json!({ "body": "Cảm ơn bạn." }))
        .await;
    assert_eq!(status, Status::Created);
    walk(
        &app,
        &inspector,
        &gone,
        &["accepted", "investigating", "unsubstantiated", "closed"],
    )
    .await;
    let (_, held) = bribe_case(&app).await;
    walk(
        &app,
        &inspector,
        &held,
        &["accepted", "investigating", "unsubstantiated", "closed"],
    )
    .await;
    let (_, awaiting) = bribe_case(&app).await;
    walk(
        &app,
        &inspector,
        &awaiting,
        &["accepted", "investigating", "substantiated", "closed"],
    )
    .await;
    let (_, open) = bribe_case(&app).await;

    // Staff see the day each will be erased; the supervisor places a hold, once.
    let (status, case) = app.get_case(&supervisor, &gone).await;
    assert_eq!(status, Status::Ok, "{case}");
    assert_eq!(case["retention"]["state"], "due", "{case}");
    assert_eq!(case["retention"]["outcome"], "unsubstantiated");
    assert_eq!(case["retention"]["months"], 60);
    let erase_on = case["retention"]["erase_on"].as_str().unwrap().to_owned();
    let (_, case) = app.get_case(&supervisor, &awaiting).await;
    assert_eq!(case["retention"]["state"], "awaiting_commendation", "{case}");
    let (_, case) = app.get_case(&supervisor, &open).await;
    assert_eq!(case["retention"]["state"], "open", "{case}");
    let hold = |action: &str| json!({ "hold": action, "reason": "Cơ quan điều tra đề nghị giữ hồ sơ." });
    let path = format!("/api/v1/cases/{held}/hold");
    let (status, body) = app.staff_post(&path, &inspector, &hold("place")).await;
    assert_eq!(status, Status::Forbidden, "an inspector may not: {body}");
    let (status, body) = app.staff_post(&path, &supervisor, &hold("place")).await;
    assert_eq!((status, &body["held"]), (Status::Ok, &json!(true)), "{body}");
    let (status, _) = app.staff_post(&path, &supervisor, &hold("place")).await;
    assert_eq!(status, Status::Conflict, "already held");
    let (status, body) = app
        .staff_post(&path, &supervisor, &json!({ "hold": "forever", "reason": "x" }))
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (_, case) = app.get_case(&supervisor, &held).await;
    assert!(case["retention"]["held_since"].is_string(), "{case}");
    let (_, queue) = app.get_cases(&supervisor, "status=closed").await;
    let row = |queue: &Value, id: &str| {
        queue["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    };
    assert_eq!(
        row(&queue, &gone).unwrap()["erase_on"],
        json!(erase_on),
        "the queue shows the day"
    );
    assert_eq!(row(&queue, &held).unwrap()["held"], json!(true));

    let on_time_before = app.get_on_time(&supervisor).await.1;
    let public_before = public_figures(&app).await;
    let stubs_before = (stub_of(&app, &rejected).await, stub_of(&app, &gone).await);
    let before: Vec<_> = [&rejected, &gone, &held, &awaiting, &open]
        .into_iter()
        .cloned()
        .collect();
    for id in &before {
        assert!(
            !nothing_left(&secrets_of(&app, id).await),
            "the positive control: {id} holds keys and ciphertexts"
        );
    }
    let chunk: Vec<u8> = sqlx::query(
        "SELECT data FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE report_id = $1)",
    )
    .bind(&gone)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
    .get("data");
    let fragment = chunk[chunk.len() / 2..chunk.len() / 2 + 32].to_vec();
    if app.backend() == minhbach::store::Backend::Sqlite {
        let holding = files_holding(&data_dir_bytes(&app), &fragment);
        assert!(
            !holding.is_empty(),
            "the positive control: the ciphertext is on disk before the sweep"
        );
    }

    // Five years and a month on, the rejected and the unsubstantiated ones are past their periods.
    let later = minhbach::store::now_millis() + (5 * 365 + 40) * DAY;
    let dry = retention::sweep(app.db(), Clock::at(later), true, |_, _| {})
        .await
        .unwrap();
    let mut named: Vec<String> = dry.erased.iter().map(|e| e.id.to_string()).collect();
    named.sort();
    let mut expected = vec![rejected.clone(), gone.clone()];
    expected.sort();
    assert_eq!(named, expected, "the dry run names the two");
    assert!(
        !nothing_left(&secrets_of(&app, &gone).await),
        "a dry run changes nothing"
    );

    let mut seen = 0;
    let sweep = retention::sweep(app.db(), Clock::at(later), false, |done, total| {
        assert!(done <= total);
        seen = total;
    })
    .await
    .unwrap();
    let mut erased: Vec<String> = sweep.erased.iter().map(|e| e.id.to_string()).collect();
    erased.sort();
    assert_eq!(erased, expected, "{sweep:?}");
    assert_eq!(
        (sweep.looked_at, seen, sweep.held, sweep.awaiting_commendation),
        (4, 4, 1, 1),
        "{sweep:?}"
    );
    for id in [&rejected, &gone] {
        let left = secrets_of(&app, id).await;
        assert!(nothing_left(&left), "{id}: {left:?}");
    }
    for id in [&held, &awaiting, &open] {
        assert!(!nothing_left(&secrets_of(&app, id).await), "{id} is kept whole");
    }
    println!(
        "retention sweep: {} closed looked at, {} erased, {} held, {} awaiting their commendation; erased reports \
         keep 0 grants, messages, notes, files, chunks and sealed bytes",
        sweep.looked_at,
        sweep.erased.len(),
        sweep.held,
        sweep.awaiting_commendation
    );

    // The stub and every figure stay as they were; the ledger verifies, with one `erased` entry each.
    assert_eq!(
        (stub_of(&app, &rejected).await, stub_of(&app, &gone).await),
        stubs_before
    );
    assert_eq!(public_figures(&app).await, public_before, "the transparency counts");
    assert_eq!(
        app.get_on_time(&supervisor).await.1,
        on_time_before,
        "the on-time figures"
    );
    let verified = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");
    let entries: i64 = sqlx::query("SELECT COUNT(*) AS n FROM ledger WHERE kind = 'erased'")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(entries, 2);
    println!("after erasure: {verified} ledger entries verify; on-time and transparency figures unchanged");

    // The reporter's code says when the report was erased, and nothing else.
    let (status, body) = app.post_report_status(&gone_code).await;
    assert_eq!(status, Status::Gone, "{body}");
    assert_eq!(body["error"]["code"], "erased");
    let day = minhbach::domain::calendar::local_date(later);
    let vi_day = format!("{:02}/{:02}/{}", day.day(), u8::from(day.month()), day.year());
    assert!(body["error"]["message"].as_str().unwrap().contains(&vi_day), "{body}");
    let (status, page) = app.post_form("/report/status", &[("code", &rejected_code)]).await;
    assert_eq!(status, Status::Gone);
    assert!(page.contains(&vi_day) && page.contains("đã được xóa"), "{page}");
    assert!(!page.contains("nhận tiền"), "no content on the notice");
    // Staff meet the same notice; the queue still lists the stub.
    let (status, body) = app.get_case(&supervisor, &gone).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (Status::Gone, &json!("erased")),
        "{body}"
    );
    let (_, queue) = app.get_cases(&supervisor, "status=closed").await;
    assert!(row(&queue, &gone).is_some(), "the stub stays in the queue");
    let (status, _) = app
        .staff_post(&format!("/api/v1/cases/{gone}/hold"), &supervisor, &hold("place"))
        .await;
    assert_eq!(status, Status::Gone, "no hold on an erased report");

    // On SQLite, the erased file's ciphertext is gone from every file of the data directory (the positive
    // control: it was there before the sweep; the test reads the copy it took).
    if app.backend() == minhbach::store::Backend::Sqlite {
        let holding = files_holding(&data_dir_bytes(&app), &fragment);
        assert!(
            holding.is_empty(),
            "the erased file's ciphertext is still in {holding:?}"
        );
        println!("after erasure: the erased file's ciphertext is in none of the data directory's files");
    }

    // Lifting the hold lets the next sweep erase it; a second sweep finds nothing more.
    let (status, body) = app.staff_post(&path, &supervisor, &hold("lift")).await;
    assert_eq!((status, &body["held"]), (Status::Ok, &json!(false)), "{body}");
    let (status, _) = app.staff_post(&path, &supervisor, &hold("lift")).await;
    assert_eq!(status, Status::Conflict, "no hold to lift");
    let sweep = retention::sweep(app.db(), Clock::at(later), false, |_, _| {})
        .await
        .unwrap();
    assert_eq!(sweep.erased.len(), 1, "{sweep:?}");
    assert_eq!(sweep.erased[0].id.to_string(), held);
    let again = retention::sweep(app.db(), Clock::at(later), false, |_, _| {})
        .await
        .unwrap();
    assert!(again.erased.is_empty(), "{again:?}");
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("still verifies");
}

/// The supervisor's page: the day of erasure on the case and in the queue, and the hold form, in a real
/// form post (CSRF token, same origin).
#[rocket::async_test]
async fn the_case_page_shows_the_erasure_day_and_a_supervisor_holds_it_there() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let (_, id) = bribe_case(&app).await;
    walk(&app, &inspector, &id, &["rejected", "closed"]).await;
    let (session, _) = app.sign_in_with_csrf("supervisor").await;
    let (status, page) = app.get_page(&format!("/inspector/cases/{id}?lang=en"), &session).await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("To be erased on"), "{page}");
    assert!(page.contains("not accepted, 24 months after closing"), "{page}");
    assert!(page.contains("Place a legal hold"));
    let (_, queue) = app.get_page("/inspector?status=closed&lang=en", &session).await;
    assert!(queue.contains("To be erased on"), "{queue}");
    let csrf = crate::helpers::csrf_on(&page);
    let (status, location, after) = app
        .post_page(
            &format!("/inspector/cases/{id}/hold?lang=en"),
            Some(&session),
            form(&[("csrf", &csrf), ("hold", "place"), ("reason", "Proceedings under way.")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::SeeOther, "{after}");
    assert!(location.is_some_and(|l| l.contains("done=hold-placed")));
    let (_, page) = app
        .get_page(&format!("/inspector/cases/{id}?done=hold-placed&lang=en"), &session)
        .await;
    assert!(page.contains("The legal hold was placed"), "{page}");
    assert!(page.contains("On legal hold since"), "{page}");
    assert!(page.contains("Lift the legal hold"));
    assert!(
        page.contains("Legal hold placed") && page.contains("Proceedings under way."),
        "the timeline"
    );
    let (_, queue) = app.get_page("/inspector?status=closed&lang=en", &session).await;
    assert!(queue.contains("On legal hold"), "{queue}");
}
