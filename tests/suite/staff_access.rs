//! Who reads which case: every staff route and page for every role on an own and a foreign case, the keys
//! that follow a reassignment, a password reset and a regrant, routing away from an inspector's own unit,
//! and a stolen data directory that opens nothing.

use std::collections::BTreeMap;

use rocket::http::Status;
use serde_json::json;
use sqlx::Row;

use crate::helpers::{bribe_case, file, two_teams, Session, TestApp};

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
    let (_, own) = bribe_case(&app).await;
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
        let (status, body) = app.get_cases(session, "").await;
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
            let (status, body) = app.get_case(session, case).await;
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
                .post_case_message(session, case, &json!({ "body": "Xin bổ sung." }))
                .await;
            assert_eq!(
                status == Status::Created,
                allowed,
                "{role} POST message to {ownership} case: {status}"
            );
            // A transition that is always allowed by the lifecycle from `received`, so only access decides.
            let (status, _) = app
                .post_transition(
                    session,
                    case,
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
                .post_assignment(session, case, &json!({ "assignee": "inspector" }))
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
        .get_cases(&Session(rocket::http::Cookie::new("mb_session", "forged")), "")
        .await;
    assert_eq!(status, Status::Unauthorized, "a forged cookie is no session");
    println!(
        "authorization matrix: {} roles × 5 routes × own/foreign = {cells} cells, all right",
        roles.len()
    );
    assert_eq!(cells, roles.len() * 9);
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
    let (_, own) = bribe_case(&app).await;
    let (_, foreign) = file(&app, "forgery", "tan-xuan", "Giả mạo hồ sơ đất đai để hưởng lợi riêng.").await;
    let readers = ["supervisor", "inspector"];
    let mut cells = 0;
    for role in ["admin", "officer", "supervisor", "inspector"] {
        let (session, csrf) = app.sign_in_with_csrf(role).await;
        for (case, ownership) in [(&own, "own"), (&foreign, "foreign")] {
            let allowed = readers.contains(&role) && ownership == "own";
            let (status, body) = app.get_page(&format!("/inspector/cases/{case}"), &session).await;
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
                let (status, _, _) = app
                    .post_page(
                        &format!("/inspector/cases/{case}/{action}"),
                        Some(&session),
                        fields,
                        &[],
                    )
                    .await;
                let may = allowed && (action != "assignment" || role == "supervisor");
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
        let admin = app.get_page("/admin", &session).await.0;
        assert_eq!(admin == Status::Ok, role == "admin", "{role} admin page");
        cells += 2;
    }
    println!("staff pages: 4 roles × (2 cases × 4 routes + queue + admin) = {cells} cells, all right");
    assert_eq!(cells, 4 * 10);
}

#[rocket::async_test]
async fn after_reassignment_the_new_inspector_reads_the_case_and_the_old_one_cannot() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("first", "inspector", None, None).await;
    let (_, case) = bribe_case(&app).await;
    app.add_user("second", "inspector", None, None).await;
    let first = app.sign_in("first").await;
    assert_eq!(app.get_case(&first, &case).await.0, Status::Ok);

    let supervisor = app.sign_in("supervisor").await;
    let (status, body) = app
        .post_assignment(&supervisor, &case, &json!({ "assignee": "second" }))
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let second = app.sign_in("second").await;
    let (status, view) = app.get_case(&second, &case).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["narrative"], "Cán bộ địa chính nhận tiền để cấp sổ đỏ.");
    assert_eq!(app.get_case(&first, &case).await.0, Status::NotFound);
    let first_id = minhbach::store::users::find_by_username(app.db().pool(), "first")
        .await
        .unwrap()
        .unwrap()
        .id;
    let grant = minhbach::store::grants::find_grant(app.db().pool(), &case.as_str().into(), &first_id)
        .await
        .unwrap();
    assert!(grant.is_none(), "the old assignee's copy of the key is gone");
}

#[rocket::async_test]
async fn after_a_password_reset_and_a_regrant_the_user_reads_their_cases_again() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let (_, case) = bribe_case(&app).await;
    minhbach::app::accounts::user_reset_password(app.db(), "lan.nguyen", "một mật khẩu mới dài")
        .await
        .expect("reset");
    let code = app.totp("lan.nguyen", 0).await;
    let (status, session) = app.try_sign_in("lan.nguyen", "một mật khẩu mới dài", &code).await;
    assert_eq!(status, Status::NoContent);
    let session = session.unwrap();
    let (status, body) = app.get_case(&session, &case).await;
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
    let (status, view) = app.get_case(&session, &case).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(view["narrative"], "Cán bộ địa chính nhận tiền để cấp sổ đỏ.");
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

    let report = minhbach::store::reports::find_by_id(pool, &case.as_str().into())
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

/// Issue #11, D5: a NUL byte in what staff send (a case id in the path, a filter in the query, the
/// username at sign-in, signed out) is the request's fault: a 4xx, never a 503 from PostgreSQL refusing it.
#[rocket::async_test]
async fn a_nul_byte_in_staff_input_is_a_4xx_not_a_storage_error() {
    let app = crate::helpers::TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let session = app.sign_in("inspector").await;
    // A filter that matches nothing may be an empty list (SQLite) or a refusal (PostgreSQL); a case id
    // that cannot exist is a 4xx. Never a 5xx.
    for (path, empty_list_ok) in [
        ("/api/v1/cases/%00", false),
        ("/api/v1/cases?status=%00", true),
        ("/api/v1/cases?category=a%00b", true),
    ] {
        let response = app.client.get(path).cookie(session.0.clone()).dispatch().await;
        let status = response.status();
        let fine = (400..500).contains(&status.code) || (empty_list_ok && status == Status::Ok);
        assert!(fine, "{path}: {status}");
    }
    for path in ["/inspector/cases/%00", "/inspector?status=%00"] {
        let (status, _) = app.get_page(path, &session).await;
        assert!(
            (400..500).contains(&status.code) || status == Status::Ok,
            "{path}: {status}"
        );
    }
    let (status, _) = app
        .post_json(
            "/api/v1/session",
            &serde_json::json!({ "username": "thanh\u{0}tra", "password": "x".repeat(12), "totp": "000000" }),
        )
        .await;
    assert!((400..500).contains(&status.code), "sign-in: {status}");
    // Positive control: the same requests without the NUL byte are served.
    let response = app
        .client
        .get("/api/v1/cases")
        .cookie(session.0.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
}
