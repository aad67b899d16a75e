//! Staff: sign-in, who reads which case, keys that follow assignments, concurrent transitions, the ledger.

use std::collections::BTreeMap;

use minhbach::domain::org::Organisation;
use rocket::http::Status;
use serde_json::{json, Value};
use sqlx::{Executor, Row};

use crate::helpers::{report, Session, TestApp, PASSWORD};

/// The demo organisation plus a second team that handles forgery, so that cases of two teams exist.
async fn two_teams(app: &TestApp) {
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

async fn file(app: &TestApp, category: &str, unit: &str, narrative: &str) -> (String, String) {
    let mut body = report(narrative);
    body["category"] = json!(category);
    body["unit"] = json!(unit);
    let (status, reply) = app.post_json("/api/v1/reports", &body).await;
    assert_eq!(status, Status::Created, "{reply}");
    let code = reply["code"].as_str().expect("code").to_owned();
    let id = app.report_id(&code).await;
    (code, id)
}

#[rocket::async_test]
async fn sign_in_needs_the_password_and_a_fresh_one_time_code() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let code = app.totp("lan.nguyen", 0).await;
    let (wrong_password, _) = app.try_sign_in("lan.nguyen", "mật khẩu sai hoàn toàn", &code).await;
    let (unknown_user, _) = app.try_sign_in("no.body", PASSWORD, &code).await;
    let (wrong_code, _) = app.try_sign_in("lan.nguyen", PASSWORD, "000000").await;
    assert_eq!([wrong_password, unknown_user, wrong_code], [Status::Unauthorized; 3]);

    let (status, session) = app.try_sign_in("lan.nguyen", PASSWORD, &code).await;
    assert_eq!(status, Status::NoContent);
    let cookie = session.expect("cookie").0;
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(rocket::http::SameSite::Strict));
    assert!(
        !cookie.value().contains(&code) && cookie.value().len() > 100,
        "the cookie is sealed"
    );

    let (replayed, _) = app.try_sign_in("lan.nguyen", PASSWORD, &code).await;
    assert_eq!(replayed, Status::Unauthorized, "a used code is not accepted again");

    // Sign-in CSRF: what a cross-site form can send does not sign anyone in.
    let next = app.totp("lan.nguyen", 1).await;
    let body = json!({ "username": "lan.nguyen", "password": PASSWORD, "totp": next }).to_string();
    for content_type in [rocket::http::ContentType::Plain, rocket::http::ContentType::Form] {
        let response = app
            .client
            .post("/api/v1/session")
            .header(content_type)
            .body(body.clone())
            .dispatch()
            .await;
        assert_ne!(response.status(), Status::NoContent);
        assert!(response.cookies().get(minhbach::web::session::COOKIE).is_none());
    }
    let response = app
        .client
        .post("/api/v1/session")
        .header(rocket::http::ContentType::JSON)
        .header(rocket::http::Header::new("Origin", "https://evil.example"))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let unknown = app
        .post_json(
            "/api/v1/session",
            &json!({ "username": "x.y", "password": "p", "totp": "1" }),
        )
        .await;
    let wrong = app
        .post_json(
            "/api/v1/session",
            &json!({ "username": "lan.nguyen", "password": "p", "totp": "1" }),
        )
        .await;
    assert_eq!(unknown, wrong);
    assert_eq!(unknown.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn sign_in_is_throttled_per_account_without_locking_out_others() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("minh.tran", "inspector", None, None).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.try_sign_in("lan.nguyen", "wrong password!!", "000000").await.0.code);
    }
    println!("8 wrong sign-ins for one account: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "throttled after 5");
    app.sign_in("minh.tran").await;
}

/// Every staff route × role × own/foreign case. Prints the matrix size; every cell must be right.
#[rocket::async_test]
async fn the_authorization_matrix_holds_in_every_cell() {
    let app = TestApp::spawn().await;
    two_teams(&app).await;
    app.add_user("admin", "admin", None, None).await;
    app.add_user("officer", "officer", None, None).await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    app.add_user("land.inspector", "inspector", Some("land-team"), None)
        .await;
    // Own case: the district team's, assigned to "inspector". Foreign: the land team's.
    let (_, own) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    let (_, foreign) = file(&app, "forgery", "tan-xuan", "Giả mạo hồ sơ đất đai để hưởng lợi riêng.").await;

    let roles = ["admin", "officer", "supervisor", "inspector"];
    let mut sessions = BTreeMap::new();
    for role in roles {
        sessions.insert(role, app.sign_in(role).await);
    }
    // (route, may the role act on its own case?) Unreadable cases are 404, whatever the route.
    let readers = ["supervisor", "inspector"];
    let mut cells = 0;
    for role in roles {
        let session = &sessions[role];
        let (status, body) = app.staff_get("/api/v1/cases", session).await;
        let expected = if readers.contains(&role) {
            Status::Ok
        } else {
            Status::Forbidden
        };
        assert_eq!(status, expected, "{role} GET /cases: {body}");
        if status == Status::Ok {
            let ids: Vec<&str> = body["cases"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["id"].as_str())
                .collect();
            assert_eq!(ids, [own.as_str()], "{role} sees only their own queue");
        }
        cells += 1;
        for (case, ownership) in [(&own, "own"), (&foreign, "foreign")] {
            let allowed = readers.contains(&role) && ownership == "own";
            let (status, body) = app.staff_get(&format!("/api/v1/cases/{case}"), session).await;
            assert_eq!(
                status == Status::Ok,
                allowed,
                "{role} GET {ownership} case: {status} {body}"
            );
            if !allowed {
                assert_eq!(status, Status::NotFound, "{role} {ownership}");
                assert!(!body.to_string().contains("Cán bộ") && !body.to_string().contains("Giả mạo"));
            }
            let (status, _) = app
                .staff_post(
                    &format!("/api/v1/cases/{case}/messages"),
                    session,
                    &json!({ "body": "Xin bổ sung." }),
                )
                .await;
            assert_eq!(
                status == Status::Created,
                allowed,
                "{role} POST message to {ownership} case: {status}"
            );
            // A transition that is always allowed by the lifecycle from `received`, so only access decides.
            let (status, _) = app
                .staff_post(
                    &format!("/api/v1/cases/{case}/transitions"),
                    session,
                    &json!({ "to": "info_requested", "reason": "Cần thêm chứng cứ." }),
                )
                .await;
            if allowed {
                assert!(
                    status == Status::Ok || status == Status::Conflict,
                    "{role} transition on {ownership}: {status}"
                );
            } else {
                assert_eq!(status, Status::NotFound, "{role} transition on {ownership}");
            }
            let (status, _) = app
                .staff_post(
                    &format!("/api/v1/cases/{case}/assignment"),
                    session,
                    &json!({ "assignee": "inspector" }),
                )
                .await;
            let may_assign = role == "supervisor" && ownership == "own";
            assert_eq!(
                status == Status::Ok,
                may_assign,
                "{role} reassign {ownership}: {status}"
            );
            cells += 4;
        }
    }
    let (status, _) = app
        .staff_get(
            "/api/v1/cases",
            &Session(rocket::http::Cookie::new("mb_session", "forged")),
        )
        .await;
    assert_eq!(status, Status::Unauthorized, "a forged cookie is no session");
    println!(
        "authorization matrix: {} roles × 5 routes × own/foreign = {cells} cells, all right",
        roles.len()
    );
    assert_eq!(cells, roles.len() * 9);
}

#[rocket::async_test]
async fn after_reassignment_the_new_inspector_reads_the_case_and_the_old_one_cannot() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("first", "inspector", None, None).await;
    let (_, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    app.add_user("second", "inspector", None, None).await;
    let first = app.sign_in("first").await;
    assert_eq!(
        app.staff_get(&format!("/api/v1/cases/{case}"), &first).await.0,
        Status::Ok
    );

    let supervisor = app.sign_in("supervisor").await;
    let (status, body) = app
        .staff_post(
            &format!("/api/v1/cases/{case}/assignment"),
            &supervisor,
            &json!({ "assignee": "second" }),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let second = app.sign_in("second").await;
    let (status, view) = app.staff_get(&format!("/api/v1/cases/{case}"), &second).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["narrative"], "Cán bộ địa chính nhận tiền để cấp sổ đỏ.");
    assert_eq!(
        app.staff_get(&format!("/api/v1/cases/{case}"), &first).await.0,
        Status::NotFound
    );
    let first_id = minhbach::store::users::find_by_username(app.db().pool(), "first")
        .await
        .unwrap()
        .unwrap()
        .id;
    let grant = minhbach::store::grants::find_grant(app.db().pool(), &case, &first_id)
        .await
        .unwrap();
    assert!(grant.is_none(), "the old assignee's copy of the key is gone");
}

#[rocket::async_test]
async fn after_a_password_reset_and_a_regrant_the_user_reads_their_cases_again() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let (_, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    minhbach::app::accounts::user_reset_password(app.db(), "lan.nguyen", "một mật khẩu mới dài")
        .await
        .expect("reset");
    let code = app.totp("lan.nguyen", 0).await;
    let (status, session) = app.try_sign_in("lan.nguyen", "một mật khẩu mới dài", &code).await;
    assert_eq!(status, Status::NoContent);
    let session = session.unwrap();
    let (status, body) = app.staff_get(&format!("/api/v1/cases/{case}"), &session).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (Status::Forbidden, Some("no_key"))
    );

    let recovery_file = app.data_dir.path().join("data").join("recovery.key");
    let recovery = minhbach::app::accounts::read_recovery_key(&recovery_file).expect("the recovery key file");
    let granted = minhbach::app::accounts::keys_regrant(app.db(), &recovery, "lan.nguyen")
        .await
        .expect("regrant");
    assert_eq!(granted, 1);
    let (status, view) = app.staff_get(&format!("/api/v1/cases/{case}"), &session).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["narrative"], "Cán bộ địa chính nhận tiền để cấp sổ đỏ.");
}

#[rocket::async_test]
async fn of_two_simultaneous_transitions_exactly_one_succeeds_and_the_ledger_verifies() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    let (a, b) = (app.sign_in("inspector").await, app.sign_in("supervisor").await);
    let path = format!("/api/v1/cases/{case}/transitions");
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    let reject = json!({ "to": "rejected", "reason": "Không đủ điều kiện." });
    let ((first, _), (second, _)) =
        tokio::join!(app.staff_post(&path, &a, &accept), app.staff_post(&path, &b, &reject));
    let mut statuses = [first.code, second.code];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "exactly one wins");
    let checked = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");
    println!("two simultaneous transitions: {statuses:?}; {checked} ledger entries verify");

    let (status, view) = app.staff_get(&format!("/api/v1/cases/{case}"), &a).await;
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
        .staff_post(&path, &a, &json!({ "to": "substantiated", "reason": "Nhảy cóc." }))
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
    let (code, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    let session = app.sign_in("inspector").await;
    let (status, _) = app
        .staff_post(
            &format!("/api/v1/cases/{case}/messages"),
            &session,
            &json!({ "body": "Bạn có biên lai không?" }),
        )
        .await;
    assert_eq!(status, Status::Created);
    let (_, view) = app.status_of(&code).await;
    assert_eq!(view["messages"][0]["from"], "staff");
    assert_eq!(view["messages"][0]["body"], "Bạn có biên lai không?");

    // A request for more information: the reason is the question the reporter reads.
    let (status, _) = app
        .staff_post(
            &format!("/api/v1/cases/{case}/transitions"),
            &session,
            &json!({ "to": "info_requested", "reason": "Xin cho biết ngày giờ cụ thể." }),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (_, view) = app.status_of(&code).await;
    assert_eq!(view["status"], "info_requested");
    assert_eq!(view["messages"][1]["body"], "Xin cho biết ngày giờ cụ thể.");
}

#[rocket::async_test]
async fn signing_out_or_being_disabled_ends_the_session() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    app.add_user("other", "inspector", None, None).await;
    let session = app.sign_in("inspector").await;
    assert_eq!(app.staff_get("/api/v1/cases", &session).await.0, Status::Ok);
    let response = app
        .client
        .delete("/api/v1/session")
        .cookie(session.0.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(app.staff_get("/api/v1/cases", &session).await.0, Status::Unauthorized);

    let other = app.sign_in("other").await;
    minhbach::app::accounts::user_disable(app.db(), "other")
        .await
        .expect("disabled");
    assert_eq!(app.staff_get("/api/v1/cases", &other).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_state_change_without_json_changes_nothing() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
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

/// A copy of the whole data directory and database, without the recovery key file and without any
/// password: every key-shaped value found is tried against every ciphertext. Nothing opens.
#[rocket::async_test]
async fn a_stolen_data_directory_without_passwords_decrypts_nothing() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, case) = file(&app, "bribe-taking", "ba-diem", "CANARY-STOLEN Cán bộ nhận tiền.").await;
    let pool = app.db().pool();

    // Every 32-byte value on disk: files of the data directory (raw and hex) and every database cell.
    let mut candidates: Vec<[u8; 32]> = Vec::new();
    let data = app.data_dir.path().join("data");
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        if entry.file_name() == "recovery.key" {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Ok(decoded) = hex::decode(text.trim()) {
                if let Ok(key) = decoded.try_into() {
                    candidates.push(key);
                }
            }
        }
        for window in bytes.windows(32).step_by(16) {
            candidates.push(window.try_into().unwrap());
        }
    }
    for (table, columns) in [
        ("users", "public_key, private_key_salt, sealed_private_key, totp_secret"),
        ("reports", "key_salt, wrapped_key"),
        ("key_grants", "encapped_key, sealed_key"),
        ("org_keys", "public_key"),
    ] {
        for row in sqlx::query(&format!("SELECT {columns} FROM {table}"))
            .fetch_all(pool)
            .await
            .unwrap()
        {
            for i in 0..row.len() {
                let bytes: Vec<u8> = row.get(i);
                for window in bytes.windows(32) {
                    candidates.push(window.try_into().unwrap());
                }
            }
        }
    }
    // Keys the server derives from its secret are candidates too.
    let secret = app.secret();
    for purpose in ["reporter reply token v1", "totp secrets v1"] {
        candidates.push(*minhbach::crypto::subkey(&secret.0, purpose));
    }
    candidates.sort_unstable();
    candidates.dedup();

    let report = minhbach::store::reports::find_by_id(pool, &case)
        .await
        .unwrap()
        .unwrap();
    let grants = sqlx::query("SELECT holder, encapped_key, sealed_key FROM key_grants WHERE report_id = $1")
        .bind(&case)
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(grants.len(), 3, "inspector, supervisor and recovery hold the key");
    let mut attempts = 0;
    let mut opened = 0;
    for candidate in &candidates {
        // As the report key itself, and as the key that wraps it.
        opened += usize::from(minhbach::crypto::open_with(candidate, &[&case, "narrative"], &report.narrative).is_ok());
        opened +=
            usize::from(minhbach::crypto::open_with(candidate, &[&case, "report-key"], &report.wrapped.sealed).is_ok());
        let private = minhbach::crypto::PrivateKey::from_bytes(*candidate);
        for row in &grants {
            let holder: String = row.get("holder");
            let grant = minhbach::crypto::Grant {
                encapped: row.get("encapped_key"),
                sealed: row.get("sealed_key"),
            };
            opened += usize::from(minhbach::crypto::open_grant(&grant, &private, &case, &holder).is_ok());
            attempts += 1;
        }
        attempts += 2;
    }
    println!(
        "stolen data directory: {} candidate keys, {attempts} decryption attempts, {opened} succeeded",
        candidates.len()
    );
    assert_eq!(opened, 0);
    assert!(candidates.len() > 100);
}

#[rocket::async_test]
async fn audit_verify_names_the_first_edited_reordered_or_deleted_entry() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        file(
            &app,
            "bribe-taking",
            "ba-diem",
            &format!("Báo cáo số {i} về nhận hối lộ."),
        )
        .await;
    }
    let pool = app.db().pool();
    assert_eq!(
        minhbach::app::audit::audit_verify(app.db()).await.expect("intact"),
        7,
        "the demo organisation's import and two entries per report"
    );

    pool.execute("UPDATE ledger SET detail = '{\"category\":\"forgery\"}' WHERE seq = 4")
        .await
        .unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("edited")
        .to_string();
    assert!(error.contains("#4"), "{error}");
    pool.execute("UPDATE ledger SET detail = '{\"category\":\"bribe-taking\",\"unit\":\"ba-diem\"}' WHERE seq = 4")
        .await
        .unwrap();
    minhbach::app::audit::audit_verify(app.db()).await.expect("restored");

    pool.execute("UPDATE ledger SET seq = -6 WHERE seq = 6").await.unwrap();
    pool.execute("UPDATE ledger SET seq = 6 WHERE seq = 5").await.unwrap();
    pool.execute("UPDATE ledger SET seq = 5 WHERE seq = -6").await.unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("reordered")
        .to_string();
    assert!(error.contains("#5"), "{error}");
    pool.execute("UPDATE ledger SET seq = -6 WHERE seq = 6").await.unwrap();
    pool.execute("UPDATE ledger SET seq = 6 WHERE seq = 5").await.unwrap();
    pool.execute("UPDATE ledger SET seq = 5 WHERE seq = -6").await.unwrap();
    minhbach::app::audit::audit_verify(app.db()).await.expect("restored");

    pool.execute("DELETE FROM ledger WHERE seq = 7").await.unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("deleted")
        .to_string();
    assert!(error.contains("#7"), "{error}");
    pool.execute("DELETE FROM ledger WHERE seq = 3").await.unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("deleted")
        .to_string();
    assert!(error.contains("#3"), "{error}");
}

/// Queues and on-time figures read each report's `clock` column, a projection of its ledger entries:
/// `audit verify` recomputes it, so editing it to fake a deadline met is caught and named.
#[rocket::async_test]
async fn audit_verify_catches_a_clock_column_that_disagrees_with_the_ledger() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let session = app.sign_in("inspector").await;
    let (_, id) = file(&app, "bribe-taking", "ba-diem", "Cán bộ xã nhận tiền của người dân.").await;
    let (status, _) = app
        .staff_post(
            &format!("/api/v1/cases/{id}/transitions"),
            &session,
            &json!({ "to": "accepted", "reason": "Đủ điều kiện." }),
        )
        .await;
    assert_eq!(status, Status::Ok);
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("clock matches");
    let pool = app.db().pool();
    pool.execute(format!("UPDATE reports SET clock = '' WHERE id = '{id}'").as_str())
        .await
        .unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("tampered")
        .to_string();
    assert!(error.contains(&id), "{error}");
    let entries = minhbach::store::ledger::list_all(pool).await.unwrap();
    let repaired = minhbach::store::ledger::check_clocks(pool, &entries, true)
        .await
        .unwrap();
    assert_eq!(repaired, vec![id]);
    minhbach::app::audit::audit_verify(app.db()).await.expect("repaired");
}

/// The same matrix over the staff pages: the case page and its three forms, with each session's own CSRF
/// token, so that only access decides.
#[rocket::async_test]
async fn the_authorization_matrix_holds_on_the_staff_pages_too() {
    let app = TestApp::spawn().await;
    two_teams(&app).await;
    for (name, role) in [
        ("admin", "admin"),
        ("officer", "officer"),
        ("supervisor", "supervisor"),
        ("inspector", "inspector"),
    ] {
        app.add_user(name, role, None, None).await;
    }
    app.add_user("land.inspector", "inspector", Some("land-team"), None)
        .await;
    let (_, own) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    let (_, foreign) = file(&app, "forgery", "tan-xuan", "Giả mạo hồ sơ đất đai để hưởng lợi riêng.").await;
    let readers = ["supervisor", "inspector"];
    let mut cells = 0;
    for role in ["admin", "officer", "supervisor", "inspector"] {
        let (session, csrf) = app.sign_in_with_csrf(role).await;
        for (case, ownership) in [(&own, "own"), (&foreign, "foreign")] {
            let allowed = readers.contains(&role) && ownership == "own";
            let response = app
                .client
                .get(format!("/inspector/cases/{case}"))
                .cookie(session.0.clone())
                .dispatch()
                .await;
            let status = response.status();
            let body = response.into_string().await.unwrap_or_default();
            assert_eq!(
                status == Status::Ok,
                allowed,
                "{role} GET page of {ownership} case: {status}"
            );
            assert_eq!(
                body.contains("Cán bộ địa chính") || body.contains("Giả mạo hồ sơ"),
                allowed,
                "{role} {ownership}"
            );
            for (action, fields) in [
                ("transitions", format!("csrf={csrf}&to=info_requested&reason=x")),
                ("messages", format!("csrf={csrf}&body=x")),
                ("assignment", format!("csrf={csrf}&assignee=inspector")),
            ] {
                let response = app
                    .client
                    .post(format!("/inspector/cases/{case}/{action}"))
                    .header(rocket::http::ContentType::Form)
                    .cookie(session.0.clone())
                    .body(fields)
                    .dispatch()
                    .await;
                let may = allowed && (action != "assignment" || role == "supervisor");
                let status = response.status();
                // The second reader's move from `received` to `info_requested` finds the case moved: 409.
                let done = status == Status::SeeOther || (action == "transitions" && status == Status::Conflict);
                assert_eq!(done, may, "{role} POST {action} on {ownership} case: {status}");
                if !allowed {
                    assert_eq!(status, Status::NotFound, "{role} {action} {ownership}");
                }
                cells += 1;
            }
            cells += 1;
        }
        let response = app.client.get("/inspector").cookie(session.0.clone()).dispatch().await;
        let (queue, location) = (response.status(), response.headers().get_one("Location"));
        // Admins and officers have no case queue: each is sent to their own pages.
        let expected = match role {
            "admin" => (Status::SeeOther, Some("/admin")),
            "officer" => (Status::SeeOther, Some("/officer")),
            _ => (Status::Ok, None),
        };
        assert_eq!((queue, location), expected, "{role} queue page");
        let admin = app
            .client
            .get("/admin")
            .cookie(session.0.clone())
            .dispatch()
            .await
            .status();
        assert_eq!(admin == Status::Ok, role == "admin", "{role} admin page");
        cells += 2;
    }
    println!("staff pages: 4 roles × (2 cases × 4 routes + queue + admin) = {cells} cells, all right");
    assert_eq!(cells, 4 * 10);
}

#[rocket::async_test]
async fn an_unknown_user_costs_as_much_as_a_wrong_password() {
    let app = TestApp::spawn().await;
    // One known account per attempt, so that the per-account throttle stays out of the way.
    const PAIRS: usize = 24;
    for i in 0..PAIRS {
        app.add_user(&format!("known{i}"), "inspector", None, None).await;
    }
    let attempt = |username: String| {
        let app = &app;
        async move {
            let body = json!({ "username": username, "password": "wrong password!", "totp": "123456" });
            let t = std::time::Instant::now();
            let (status, _) = app.post_json("/api/v1/session", &body).await;
            assert_eq!(status, Status::Unauthorized);
            t.elapsed().as_secs_f64()
        }
    };
    attempt("warm.up".into()).await;
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    for i in 0..PAIRS {
        // Alternate which goes first, so drifts in machine load fall on both.
        if i % 2 == 0 {
            unknown.push(attempt(format!("ghost{i}")).await);
            known.push(attempt(format!("known{i}")).await);
        } else {
            known.push(attempt(format!("known{i}")).await);
            unknown.push(attempt(format!("ghost{i}")).await);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (u, k) = (median(&mut unknown), median(&mut known));
    println!(
        "sign-in median over {PAIRS}: unknown user {:.1} ms, known user with a wrong password {:.1} ms",
        u * 1e3,
        k * 1e3
    );
    assert!(
        u > 0.010,
        "an unknown user costs a full password check ({:.1} ms)",
        u * 1e3
    );
    // Without the decoy check an unknown user would answer in well under a millisecond: a ratio near 0.
    assert!((0.7..1.43).contains(&(u / k)), "ratio {:.2}", u / k);
}

#[rocket::async_test]
async fn an_inspector_never_receives_a_report_about_their_own_unit() {
    let app = TestApp::spawn().await;
    let local = app
        .add_user("ba.diem.inspector", "inspector", None, Some("ba-diem"))
        .await;
    let other = app
        .add_user("other.inspector", "inspector", None, Some("tan-xuan"))
        .await;
    for i in 0..4 {
        let (_, case) = file(
            &app,
            "bribe-taking",
            "ba-diem",
            &format!("Báo cáo số {i} về xã Bà Điểm."),
        )
        .await;
        let assignee: Option<String> = sqlx::query("SELECT assignee_id FROM reports WHERE id = $1")
            .bind(&case)
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .get("assignee_id");
        assert_eq!(assignee.as_deref(), Some(other.as_str()), "never {local}");
    }
    let (_, case) = file(&app, "bribe-taking", "tan-hiep", "Báo cáo về xã Tân Hiệp.").await;
    let assignee: Option<String> = sqlx::query("SELECT assignee_id FROM reports WHERE id = $1")
        .bind(&case)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("assignee_id");
    assert_eq!(
        assignee.as_deref(),
        Some(local.as_str()),
        "the least-loaded inspector from elsewhere"
    );
}

#[rocket::async_test]
async fn review_regressions_stay_fixed() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("first", "inspector", None, None).await;
    let (_, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    app.add_user("second", "inspector", None, None).await;
    app.add_user("third", "inspector", None, None).await;
    let (a, b) = (app.sign_in("supervisor").await, app.sign_in_with_csrf("second").await.0);
    let path = format!("/api/v1/cases/{case}/assignment");
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
    let won = minhbach::store::cases::reassign(pool, &case, Some(&first), &second.id, &grant, "test", 1)
        .await
        .unwrap();
    let lost = minhbach::store::cases::reassign(pool, &case, Some(&first), &third.id, &grant, "test", 2)
        .await
        .unwrap();
    assert_eq!((won, lost), (true, false));
    let (status, body) = app.staff_post(&path, &a, &json!({ "assignee": "third" })).await;
    assert_eq!(status, Status::Ok, "from the current assignee, it works: {body}");
    // A page number far past the end is an empty page, not a server error.
    let (status, body) = app.staff_get("/api/v1/cases?page=9223372036854775807", &a).await;
    assert_eq!(status, Status::Ok, "{body}");
    let response = app
        .client
        .get("/inspector?page=9223372036854775807")
        .cookie(b.0.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
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

#[rocket::async_test]
async fn extensions_follow_the_policy_and_an_overdue_resolution_is_escalated_once() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (code, case) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    let (sup, insp) = (app.sign_in("supervisor").await, app.sign_in("inspector").await);
    let extend = |kind: &'static str| json!({ "type": kind, "reason": "Phải xác minh ở nhiều nơi." });
    let path = format!("/api/v1/cases/{case}/extensions");
    assert_eq!(
        app.staff_post(&path, &sup, &extend("complex")).await.0,
        Status::Conflict,
        "nothing to extend before acceptance"
    );
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    assert_eq!(
        app.staff_post(&format!("/api/v1/cases/{case}/transitions"), &insp, &accept)
            .await
            .0,
        Status::Ok
    );

    assert_eq!(
        app.staff_post(&path, &insp, &extend("complex")).await.0,
        Status::Forbidden,
        "supervisors extend"
    );
    let (_, before) = app.staff_get(&format!("/api/v1/cases/{case}"), &sup).await;
    assert_eq!(app.staff_post(&path, &sup, &extend("complex")).await.0, Status::Ok);
    let (status, body) = app.staff_post(&path, &sup, &extend("complex")).await;
    assert_eq!(status, Status::Conflict, "complex: once");
    assert_eq!(body["error"]["code"], "extension_limit", "{body}");
    assert_eq!(
        app.staff_post(&path, &sup, &extend("very_complex")).await.0,
        Status::Ok,
        "90 days in all"
    );
    let (status, body) = app.staff_post(&path, &sup, &extend("very_complex")).await;
    assert_eq!(status, Status::Conflict, "past the 90-day cap");
    assert_eq!(body["error"]["code"], "extension_limit", "{body}");
    let (status, body) = app.staff_post(&path, &sup, &extend("urgent")).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");

    let (_, after) = app.staff_get(&format!("/api/v1/cases/{case}"), &sup).await;
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
    let (_, after) = app.staff_get(&format!("/api/v1/cases/{case}"), &sup).await;
    assert!(after["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "escalation"));
    let (_, view) = app.status_of(&code).await;
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
    let (_, handled) = file(
        &app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ địa chính nhận tiền để cấp sổ đỏ.",
    )
    .await;
    file(&app, "harassment", "tan-xuan", "Cán bộ một cửa đòi tiền bồi dưỡng.").await;
    let (sup, insp) = (app.sign_in("supervisor").await, app.sign_in("inspector").await);
    let accept = json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý." });
    assert_eq!(
        app.staff_post(&format!("/api/v1/cases/{handled}/transitions"), &insp, &accept)
            .await
            .0,
        Status::Ok
    );

    let (status, stats) = app.staff_get("/api/v1/stats/on-time", &sup).await;
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
    assert_eq!(app.staff_get("/api/v1/stats/on-time", &insp).await.0, Status::Forbidden);
    let page = app
        .client
        .get("/inspector/stats")
        .cookie(sup.0.clone())
        .dispatch()
        .await;
    let page = page.into_string().await.unwrap_or_default();
    assert!(
        page.contains("Tỷ lệ đúng hạn của tổ") && page.contains("100.0 %"),
        "the stats page shows the rate"
    );
    let queue = app.client.get("/inspector").cookie(sup.0.clone()).dispatch().await;
    assert!(
        queue
            .into_string()
            .await
            .unwrap_or_default()
            .contains("/inspector/stats"),
        "linked from the queue"
    );
    let forbidden = app
        .client
        .get("/inspector/stats")
        .cookie(insp.0.clone())
        .dispatch()
        .await
        .status();
    assert_eq!(forbidden, Status::Forbidden);
}
