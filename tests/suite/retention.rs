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

/// 32 bytes from the middle of each kind of secret (of `which`) the erasure must take off the disk: a chunk
/// of an evidence file, the sealed narrative, a sealed message, the sealed key of a grant.
async fn fragments_of(app: &TestApp, id: &str, which: &[&str]) -> Vec<(&'static str, Vec<u8>)> {
    let mut found = Vec::new();
    let kinds = [
        (
            "file chunk",
            "SELECT data AS b FROM attachment_chunks WHERE attachment_id IN \
             (SELECT id FROM attachments WHERE report_id = $1)",
        ),
        ("narrative", "SELECT narrative AS b FROM reports WHERE id = $1"),
        ("message", "SELECT body AS b FROM messages WHERE report_id = $1"),
        (
            "key grant",
            "SELECT sealed_key AS b FROM key_grants WHERE report_id = $1",
        ),
    ];
    for (what, sql) in kinds.into_iter().filter(|(what, _)| which.contains(what)) {
        let bytes: Vec<u8> = sqlx::query(sql)
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .get("b");
        let middle = bytes.len() / 2 - 16;
        found.push((what, bytes[middle..middle + 32].to_vec()));
    }
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
async fn public_figures(app: &TestApp) -> minhbach::domain::figures::PublicFigures {
    use minhbach::domain::calendar::{local_date, midnight_millis};
    let today = local_date(minhbach::app::Clock::now().millis());
    let cutoff = midnight_millis(today.next_day().and_then(|d| d.next_day()).expect("a day"));
    minhbach::app::audit::public_figures(app.db(), cutoff)
        .await
        .expect("the public figures")
}

/// Every file of the data directory (database, WAL, keys), as raw bytes.
pub(crate) fn data_dir_bytes(app: &TestApp) -> Vec<(String, Vec<u8>)> {
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
    let (held_code, held) = bribe_case(&app).await;
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
    let kinds = |events: &Value| -> Vec<String> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(
        kinds(&case["events"]).contains(&"legal_hold_placed".to_owned()),
        "staff see the hold: {case}"
    );
    let (_, view) = app.post_report_status(&held_code).await;
    assert!(
        !kinds(&view["events"]).iter().any(|k| k.starts_with("legal_hold")),
        "the reporter does not: {view}"
    );
    assert!(
        kinds(&view["events"]).contains(&"transition".to_owned()),
        "but sees the case's steps: {view}"
    );
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
    assert!(
        public_before.received.iter().sum::<u64>() >= 5,
        "the figures count the reports to be erased: {public_before:?}"
    );
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
    let fragments = fragments_of(&app, &gone, &["file chunk", "narrative", "message", "key grant"]).await;
    if app.backend() == minhbach::store::Backend::Sqlite {
        let files = data_dir_bytes(&app);
        for (what, fragment) in &fragments {
            let holding = files_holding(&files, fragment);
            assert!(
                !holding.is_empty(),
                "the positive control: the {what} is on disk before the sweep"
            );
        }
    }

    // Five years and a month on, the rejected and the unsubstantiated ones are past their periods.
    let later = minhbach::store::now_millis() + (5 * 365 + 40) * DAY;
    let dry = retention::sweep(app.db(), Clock::at(later), retention::Mode::DryRun, |_, _| {})
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

    // Counted apart from the sweep: the closed reports not erased yet.
    let closed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE status = 'closed' AND erased_at IS NULL")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    let sweep = retention::sweep(app.db(), Clock::at(later), retention::Mode::Operator, |_, _| {})
        .await
        .unwrap();
    let mut erased: Vec<String> = sweep.erased.iter().map(|e| e.id.to_string()).collect();
    erased.sort();
    assert_eq!(erased, expected, "{sweep:?}");
    assert_eq!(
        (sweep.looked_at as i64, sweep.held, sweep.awaiting_commendation),
        (closed, 1, 1),
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
    let stub = row(&queue, &gone).expect("the stub stays in the queue");
    assert!(stub["erase_on"].is_null() && stub["erased_at"].is_string(), "{stub}");
    let (status, _) = app
        .staff_post(&format!("/api/v1/cases/{gone}/hold"), &supervisor, &hold("place"))
        .await;
    assert_eq!(status, Status::Gone, "no hold on an erased report");

    // On SQLite, the erased file's ciphertext is gone from every file of the data directory (the positive
    // control: it was there before the sweep; the test reads the copy it took).
    if app.backend() == minhbach::store::Backend::Sqlite {
        let files = data_dir_bytes(&app);
        for (what, fragment) in &fragments {
            let holding = files_holding(&files, fragment);
            assert!(holding.is_empty(), "the erased report's {what} is still in {holding:?}");
        }
        println!(
            "after erasure: none of the {} fragments (file chunk, narrative, message, key grant) is in any file of \
             the data directory",
            fragments.len()
        );
    }

    // Lifting the hold lets the next sweep erase it; a second sweep finds nothing more.
    let (status, body) = app.staff_post(&path, &supervisor, &hold("lift")).await;
    assert_eq!((status, &body["held"]), (Status::Ok, &json!(false)), "{body}");
    let (status, _) = app.staff_post(&path, &supervisor, &hold("lift")).await;
    assert_eq!(status, Status::Conflict, "no hold to lift");
    let sweep = retention::sweep(app.db(), Clock::at(later), retention::Mode::Operator, |_, _| {})
        .await
        .unwrap();
    assert_eq!(sweep.erased.len(), 1, "{sweep:?}");
    assert_eq!(sweep.erased[0].id.to_string(), held);
    let again = retention::sweep(app.db(), Clock::at(later), retention::Mode::Operator, |_, _| {})
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
    assert!(page.contains("not accepted, 24 months from"), "{page}");
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

/// A substantiated report whose reward was claimed and paid: erasure takes the commendation's keys, the
/// claim's identity and every sealed field with the report, and keeps its clear amounts and state.
#[rocket::async_test]
async fn a_paid_commendation_loses_its_keys_claim_and_sealed_fields_with_its_report() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    app.add_user("officer", "officer", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let officer = app.sign_in("officer").await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    let record = json!({ "recovered": 0, "form": "ministry_certificate", "evidence": "KL 9/KL-TTr" });
    let (status, body) = app.post_proposal(&officer, &id, &record).await;
    assert_eq!(status, Status::Ok, "{body}");
    let decision = json!({ "form": "ministry_certificate", "amount": 46_800_000 });
    let (status, body) = app.post_decision(&officer, &id, &decision).await;
    assert_eq!(status, Status::Ok, "{body}");
    let identity =
        json!({ "name": "Nguyễn Thị Bích", "id_number": "079300001234", "payment": "Vietcombank 0071000123456" });
    let (status, body) = app.post_claim(&code, json!({ "identity": identity })).await;
    assert_eq!(status, Status::Ok, "{body}");
    let (status, body) = app
        .post_payment(
            &officer,
            &id,
            &json!({ "amount": 46_800_000, "reference": "UNC 7/2026" }),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    walk(&app, &inspector, &id, &["closed"]).await;
    let (_, case) = app.get_case(&inspector, &id).await;
    assert_eq!(case["retention"]["outcome"], "commendation_paid", "{case}");
    assert_eq!(case["retention"]["months"], 180, "the vn-2018 default");

    let sealed = |app: &TestApp| {
        let (pool, id) = (app.db().pool().clone(), id.clone());
        async move {
            let row = sqlx::query(
                "SELECT LENGTH(key_for_reporter) + COALESCE(LENGTH(evidence), 0) + COALESCE(LENGTH(reason), 0) + \
                 COALESCE(LENGTH(claim), 0) + COALESCE(LENGTH(payment_reference), 0) AS n, status, paid_amount \
                 FROM commendations WHERE report_id = $1",
            )
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
            (
                row.get::<i64, _>("n"),
                row.get::<String, _>("status"),
                row.get::<i64, _>("paid_amount"),
            )
        }
    };
    let (bytes, state, paid) = sealed(&app).await;
    assert!(bytes > 0, "the positive control: the commendation holds sealed fields");
    assert_eq!((state.as_str(), paid), ("paid", 46_800_000));
    let grants = rows_of(&app, "commendation_grants", "report_id", &id).await;
    assert!(grants >= 2, "the officer's file and claim grants: {grants}");

    // Fifteen years and a half on.
    let later = minhbach::store::now_millis() + (15 * 365 + 200) * DAY;
    let sweep = retention::sweep(app.db(), Clock::at(later), retention::Mode::Operator, |_, _| {})
        .await
        .unwrap();
    assert_eq!(sweep.erased.len(), 1, "{sweep:?}");
    assert_eq!(
        sealed(&app).await,
        (0, "paid".to_owned(), 46_800_000),
        "the stub keeps the clear record only"
    );
    let left = secrets_of(&app, &id).await;
    assert!(nothing_left(&left), "{left:?}");
    let (status, body) = app.get_commendation(&officer, &id).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (Status::Gone, &json!("erased")),
        "{body}"
    );
    let (_, queue) = app.get_commendations(&officer).await;
    assert!(
        queue.to_string().contains(&id),
        "the officer's queue keeps the stub: {queue}"
    );
    let (status, _) = app.post_report_status(&code).await;
    assert_eq!(status, Status::Gone);
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");
}

/// The positive control of the disk check: on SQLite, an erasure's old page images stay in the WAL until
/// the checkpoint truncates it (`reclaim`), and are gone after it.
#[rocket::async_test]
async fn on_sqlite_an_erasure_lingers_in_the_wal_until_it_is_truncated() {
    let app = TestApp::spawn().await;
    if app.backend() != minhbach::store::Backend::Sqlite {
        // Not a skip: this run is PostgreSQL's, and the SQLite run of the suite makes the check.
        return println!("the WAL check is SQLite's: this run's database is PostgreSQL");
    }
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let (_, id) = bribe_case(&app).await;
    walk(&app, &inspector, &id, &["rejected", "closed"]).await;
    let fragments = fragments_of(&app, &id, &["narrative", "key grant"]).await;
    let erasure = minhbach::store::retention::Erasure {
        report_id: &id.as_str().into(),
        at: minhbach::store::now_millis(),
        outcome: "rejected",
        due: "2026-12-02",
    };
    assert!(minhbach::store::retention::erase(app.db().pool(), &erasure)
        .await
        .unwrap());
    let files = data_dir_bytes(&app);
    for (what, fragment) in &fragments {
        let holding = files_holding(&files, fragment);
        assert!(
            holding.iter().any(|f| f.ends_with("-wal")),
            "without the truncation the {what} is still in the WAL: {holding:?}"
        );
    }
    assert!(minhbach::app::retention::reclaim(app.db()).await.unwrap(), "reclaimed");
    let files = data_dir_bytes(&app);
    for (what, fragment) in &fragments {
        let holding = files_holding(&files, fragment);
        assert!(holding.is_empty(), "after the truncation the {what} is in {holding:?}");
    }
    println!(
        "the WAL held the erased report's {} fragments until it was truncated, none after",
        fragments.len()
    );
}

/// The server's own sweep erases what fell due after it began under the policy, and leaves a backlog (reports
/// already past their period when it began: an upgrade, a policy with shorter periods) to the operator.
#[rocket::async_test]
async fn the_server_s_sweep_leaves_an_old_backlog_to_the_operator() {
    let later = minhbach::store::now_millis() + (2 * 365 + 40) * DAY;
    let mut erased_by = Vec::new();
    for began_first in [true, false] {
        let app = TestApp::spawn().await;
        app.add_user("inspector", "inspector", None, None).await;
        let inspector = app.sign_in("inspector").await;
        let (_, id) = bribe_case(&app).await;
        walk(&app, &inspector, &id, &["rejected", "closed"]).await;
        if !began_first {
            // An upgrade: the server's sweep under this policy begins only two years on. (The test server's
            // background task began it at its start, today; set the day it began as the upgrade would.)
            let policy = minhbach::domain::policy::Policy::active();
            sqlx::query(
                "INSERT INTO retention_state (policy, since) VALUES ($1, $2) \
                 ON CONFLICT (policy) DO UPDATE SET since = excluded.since",
            )
            .bind(format!("{} {}", policy.policy.id, policy.policy.version))
            .bind(later)
            .execute(app.db().pool())
            .await
            .unwrap();
        } else {
            // The server has swept since today: nothing is due yet.
            let now = retention::sweep(app.db(), Clock::now(), retention::Mode::Server, |_, _| {})
                .await
                .unwrap();
            assert_eq!((now.erased.len(), now.not_due, now.backlog), (0, 1, 0), "{now:?}");
        }
        // Two years and more on (not accepted: 24 months).
        let sweep = retention::sweep(app.db(), Clock::at(later), retention::Mode::Server, |_, _| {})
            .await
            .unwrap();
        if began_first {
            assert_eq!(
                (sweep.erased.len(), sweep.backlog),
                (1, 0),
                "due after the sweep began: {sweep:?}"
            );
            erased_by.push("server");
        } else {
            // The server's sweep began two years on: the report was due before that.
            assert_eq!((sweep.erased.len(), sweep.backlog), (0, 1), "a backlog: {sweep:?}");
            assert!(!nothing_left(&secrets_of(&app, &id).await), "kept whole");
            let operator = retention::sweep(app.db(), Clock::at(later), retention::Mode::Operator, |_, _| {})
                .await
                .unwrap();
            assert_eq!(operator.erased.len(), 1, "the operator's run erases it: {operator:?}");
            erased_by.push("operator");
        }
        assert!(nothing_left(&secrets_of(&app, &id).await));
    }
    println!(
        "a report due after the server's sweep began: erased by the {}; one due before: by the {}",
        erased_by[0], erased_by[1]
    );
}

/// Nothing is written into an erased report: a message or a grant that comes after the erasure (a request
/// that opened the report just before it) is refused inside its own transaction.
#[rocket::async_test]
async fn no_message_or_grant_is_written_into_an_erased_report() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let inspector = app.sign_in("inspector").await;
    let (_, id) = bribe_case(&app).await;
    walk(&app, &inspector, &id, &["rejected", "closed"]).await;
    let report_id: minhbach::domain::ids::ReportId = id.as_str().into();
    let message = minhbach::store::messages::StoredMessage {
        id: minhbach::domain::ids::MessageId::new(minhbach::crypto::random_id()),
        report_id: report_id.clone(),
        author: minhbach::store::messages::Author::Reporter,
        created_at: minhbach::store::now_millis(),
        body: vec![7; 80],
    };
    let grant = minhbach::crypto::Grant {
        encapped: vec![1; 32],
        sealed: vec![2; 48],
    };
    let pool = app.db().pool();
    // The positive control: before the erasure both are written.
    minhbach::store::messages::insert_message(pool, &message, "reporter")
        .await
        .expect("a message");
    let mut tx = pool.begin().await.unwrap();
    assert!(minhbach::store::grants::insert_grant(&mut tx, &id, "someone", &grant)
        .await
        .unwrap());
    tx.rollback().await.unwrap();
    let erasure = minhbach::store::retention::Erasure {
        report_id: &report_id,
        at: minhbach::store::now_millis(),
        outcome: "rejected",
        due: "2026-12-02",
    };
    assert!(minhbach::store::retention::erase(pool, &erasure).await.unwrap());
    let late = minhbach::store::messages::StoredMessage {
        id: minhbach::domain::ids::MessageId::new(minhbach::crypto::random_id()),
        ..message
    };
    let refused = minhbach::store::messages::insert_message(pool, &late, "reporter")
        .await
        .unwrap_err();
    assert!(
        matches!(minhbach::app::Error::from(refused), minhbach::app::Error::Erased(_)),
        "refused as erased"
    );
    let mut tx = pool.begin().await.unwrap();
    assert!(
        !minhbach::store::grants::insert_grant(&mut tx, &id, "someone", &grant)
            .await
            .unwrap(),
        "no grant"
    );
    tx.commit().await.unwrap();
    let left = secrets_of(&app, &id).await;
    assert!(nothing_left(&left), "{left:?}");
}
