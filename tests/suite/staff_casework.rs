//! Casework through the staff API: transitions (one of two at once, none without JSON), messages the
//! reporter reads, extensions and escalation, the on-time rate, and regressions found in review.

use rocket::http::Status;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{bribe_case, file, TestApp};

#[rocket::async_test]
async fn of_two_simultaneous_transitions_exactly_one_succeeds_and_the_ledger_verifies() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, case) = bribe_case(&app).await;
    let (a, b) = (app.sign_in("inspector").await, app.sign_in("supervisor").await);
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    let reject = json!({ "to": "rejected", "reason": "Không đủ điều kiện." });
    let ((first, _), (second, _)) = tokio::join!(
        app.post_transition(&a, &case, &accept),
        app.post_transition(&b, &case, &reject)
    );
    let mut statuses = [first.code, second.code];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "exactly one wins");
    let checked = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");
    println!("two simultaneous transitions: {statuses:?}; {checked} ledger entries verify");

    let (status, view) = app.get_case(&a, &case).await;
    assert_eq!(status, Status::Ok);
    let transitions: Vec<&Value> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "transition")
        .collect();
    assert_eq!(transitions.len(), 1);
    assert!(transitions[0]["reason"]
        .as_str()
        .is_some_and(|r| r.starts_with("Đủ") || r.starts_with("Không")));
    let (status, _) = app
        .post_transition(&a, &case, &json!({ "to": "substantiated", "reason": "Nhảy cóc." }))
        .await;
    assert_eq!(
        status,
        Status::Conflict,
        "the lifecycle forbids skipping the investigation"
    );
}

#[rocket::async_test]
async fn the_reporter_reads_the_inspectors_message_with_the_code() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let (code, case) = bribe_case(&app).await;
    let session = app.sign_in("inspector").await;
    let (status, _) = app
        .post_case_message(&session, &case, &json!({ "body": "Bạn có biên lai không?" }))
        .await;
    assert_eq!(status, Status::Created);
    let (_, view) = app.post_report_status(&code).await;
    assert_eq!(view["messages"][0]["from"], "staff");
    assert_eq!(view["messages"][0]["body"], "Bạn có biên lai không?");

    // A request for more information: the reason is the question the reporter reads.
    let (status, _) = app
        .post_transition(
            &session,
            &case,
            &json!({ "to": "info_requested", "reason": "Xin cho biết ngày giờ cụ thể." }),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (_, view) = app.post_report_status(&code).await;
    assert_eq!(view["status"], "info_requested");
    assert_eq!(view["messages"][1]["body"], "Xin cho biết ngày giờ cụ thể.");
}

#[rocket::async_test]
async fn a_state_change_without_json_changes_nothing() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, case) = bribe_case(&app).await;
    let session = app.sign_in("inspector").await;
    // What a cross-site form can send: url-encoded or plain text.
    for content_type in [rocket::http::ContentType::Form, rocket::http::ContentType::Plain] {
        let response = app
            .client
            .post(format!("/api/v1/cases/{case}/transitions"))
            .header(content_type)
            .cookie(session.0.clone())
            .body("to=accepted&reason=csrf")
            .dispatch()
            .await;
        assert!(response.status().code >= 400, "{}", response.status());
    }
    let status: String = sqlx::query("SELECT status FROM reports WHERE id = $1")
        .bind(&case)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("status");
    assert_eq!(status, "received");
}

#[rocket::async_test]
async fn extensions_follow_the_policy_and_an_overdue_resolution_is_escalated_once() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (code, case) = bribe_case(&app).await;
    let (sup, insp) = (app.sign_in("supervisor").await, app.sign_in("inspector").await);
    let extend = |kind: &'static str| json!({ "type": kind, "reason": "Phải xác minh ở nhiều nơi." });
    assert_eq!(
        app.post_extension(&sup, &case, &extend("complex")).await.0,
        Status::Conflict,
        "nothing to extend before acceptance"
    );
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    assert_eq!(app.post_transition(&insp, &case, &accept).await.0, Status::Ok);

    assert_eq!(
        app.post_extension(&insp, &case, &extend("complex")).await.0,
        Status::Forbidden,
        "supervisors extend"
    );
    let (_, before) = app.get_case(&sup, &case).await;
    assert_eq!(app.post_extension(&sup, &case, &extend("complex")).await.0, Status::Ok);
    let (status, body) = app.post_extension(&sup, &case, &extend("complex")).await;
    assert_eq!(status, Status::Conflict, "complex: once");
    assert_eq!(body["error"]["code"], "extension_limit", "{body}");
    assert_eq!(
        app.post_extension(&sup, &case, &extend("very_complex")).await.0,
        Status::Ok,
        "90 days in all"
    );
    let (status, body) = app.post_extension(&sup, &case, &extend("very_complex")).await;
    assert_eq!(status, Status::Conflict, "past the 90-day cap");
    assert_eq!(body["error"]["code"], "extension_limit", "{body}");
    let (status, body) = app.post_extension(&sup, &case, &extend("urgent")).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");

    let (_, after) = app.get_case(&sup, &case).await;
    let due = |view: &Value| {
        view["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["stage"] == "resolution")
            .map(|d| d["due"].clone())
    };
    assert_ne!(due(&before), due(&after), "the resolution deadline moved");
    let reasons: Vec<&Value> = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "extension")
        .collect();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0]["reason"], "Phải xác minh ở nhiều nơi.");

    // 120 days on, the resolution is overdue: one escalation, however often the sweep runs.
    let later = minhbach::store::now_millis() + 120 * 24 * 3_600_000;
    assert_eq!(
        minhbach::app::casework::escalate_overdue(app.db(), minhbach::app::Clock::at(later))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        minhbach::app::casework::escalate_overdue(app.db(), minhbach::app::Clock::at(later))
            .await
            .unwrap(),
        0
    );
    let (_, after) = app.get_case(&sup, &case).await;
    assert!(after["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "escalation"));
    let (_, view) = app.post_report_status(&code).await;
    let stages: Vec<&str> = view["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["stage"].as_str())
        .collect();
    assert_eq!(
        stages,
        ["triage", "notice", "resolution"],
        "the reporter sees every clock that runs"
    );
    assert!(minhbach::app::audit::audit_verify(app.db()).await.is_ok());
}

#[rocket::async_test]
async fn supervisors_see_the_on_time_rate_per_stage() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, handled) = bribe_case(&app).await;
    file(&app, "harassment", "tan-xuan", "Cán bộ một cửa đòi tiền bồi dưỡng.").await;
    let (sup, insp) = (app.sign_in("supervisor").await, app.sign_in("inspector").await);
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    assert_eq!(app.post_transition(&insp, &handled, &accept).await.0, Status::Ok);

    let (status, stats) = app.get_on_time(&sup).await;
    assert_eq!(status, Status::Ok, "{stats}");
    assert_eq!(stats["cases"], 2);
    let triage = stats["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "triage")
        .cloned()
        .expect("triage");
    // One triage ended in time; the other is open and not yet due, so it counts in neither.
    assert_eq!(
        (
            triage["met"].as_u64(),
            triage["missed"].as_u64(),
            triage["on_time_per_mille"].as_u64()
        ),
        (Some(1), Some(0), Some(1000))
    );
    assert_eq!(app.get_on_time(&insp).await.0, Status::Forbidden);
    let (_, page) = app.get_page("/inspector/stats", &sup).await;
    assert!(
        page.contains("Tỷ lệ đúng hạn của tổ") && page.contains("100,0\u{a0}%"),
        "the stats page shows the rate"
    );
    let (_, queue) = app.get_page("/inspector", &sup).await;
    assert!(queue.contains("/inspector/stats"), "linked from the queue");
    let forbidden = app.get_page("/inspector/stats", &insp).await.0;
    assert_eq!(forbidden, Status::Forbidden);
}

#[rocket::async_test]
async fn review_regressions_stay_fixed() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("first", "inspector", None, None).await;
    let (_, case) = bribe_case(&app).await;
    app.add_user("second", "inspector", None, None).await;
    app.add_user("third", "inspector", None, None).await;
    let (a, b) = (app.sign_in("supervisor").await, app.sign_in_with_csrf("second").await.0);
    // Two reassignments at once: one wins, the other is told so.
    // Two reassignments decided on the same view of the case (as two supervisors at once would): the second
    // finds the case no longer with its previous assignee and changes nothing.
    let pool = app.db().pool();
    let first = minhbach::store::users::find_by_username(pool, "first")
        .await
        .unwrap()
        .unwrap()
        .id;
    let [second, third] = ["second", "third"].map(|u| u.to_owned());
    let user = |name: String| async move {
        minhbach::store::users::find_by_username(pool, &name)
            .await
            .unwrap()
            .unwrap()
    };
    let (second, third) = (user(second).await, user(third).await);
    let grant = minhbach::crypto::Grant {
        encapped: vec![0; 32],
        sealed: vec![0; 48],
    };
    let won = minhbach::store::cases::reassign(
        pool,
        &case.as_str().into(),
        Some(&first),
        &second.id,
        &grant,
        &"test".into(),
        1,
    )
    .await
    .unwrap();
    let lost = minhbach::store::cases::reassign(
        pool,
        &case.as_str().into(),
        Some(&first),
        &third.id,
        &grant,
        &"test".into(),
        2,
    )
    .await
    .unwrap();
    assert_eq!((won, lost), (true, false));
    let (status, body) = app.post_assignment(&a, &case, &json!({ "assignee": "third" })).await;
    assert_eq!(status, Status::Ok, "from the current assignee, it works: {body}");
    // A page number far past the end is an empty page, not a server error.
    let (status, body) = app.get_cases(&a, "page=9223372036854775807").await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(
        app.get_page("/inspector?page=9223372036854775807", &b).await.0,
        Status::Ok
    );
    // The last admin cannot be disabled, however the name is written.
    app.add_user("boss", "admin", None, None).await;
    let error = minhbach::app::accounts::user_disable(app.db(), " boss")
        .await
        .expect_err("last admin");
    assert!(error.to_string().contains("last active admin"), "{error}");
    // A disabled account gets no keys back from the recovery key.
    minhbach::app::accounts::user_disable(app.db(), "third")
        .await
        .expect("disabled");
    let recovery =
        minhbach::app::accounts::read_recovery_key(&app.data_dir.path().join("data").join("recovery.key")).unwrap();
    assert!(minhbach::app::accounts::keys_regrant(app.db(), &recovery, "third")
        .await
        .is_err());
}

/// Two escalation sweeps at once (two instances' background tasks, or the CLI beside the server) escalate
/// each overdue case once: each escalation is written under the report's row lock, after checking there is
/// none.
#[rocket::async_test]
async fn two_escalation_sweeps_at_once_escalate_each_overdue_case_once() {
    let app = TestApp::spawn().await;
    let options = minhbach::demo::Options {
        reports: 240,
        seed: 2026,
        leave_overdue: true,
    };
    minhbach::demo::fill(app.db(), app.secret(), &options, &mut |_, _| {})
        .await
        .expect("the demo fills an empty database");
    let now = minhbach::app::Clock::now();
    let (a, b) = tokio::join!(
        minhbach::app::casework::escalate_overdue(app.db(), now),
        minhbach::app::casework::escalate_overdue(app.db(), now)
    );
    let (a, b) = (a.expect("a sweep"), b.expect("another"));
    let written: Vec<(String, i64)> =
        sqlx::query_as("SELECT report_id, COUNT(*) AS n FROM ledger WHERE kind = 'escalation' GROUP BY report_id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    eprintln!(
        "figure: escalations by two sweeps at once: {a} + {b}, {} cases escalated",
        written.len()
    );
    assert!(!written.is_empty(), "the control: the demo left overdue resolutions");
    assert_eq!(a + b, written.len(), "the sweeps count what they wrote");
    assert!(written.iter().all(|(_, n)| *n == 1), "{written:?}");
}
