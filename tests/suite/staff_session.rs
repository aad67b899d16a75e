//! Staff sessions: sign-in with a password and a fresh one-time code, the same answer and the same cost for
//! unknown users (their timing: `guessing.rs`), throttling per account, and signing out or being disabled.

use rocket::http::Status;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

#[rocket::async_test]
async fn sign_in_needs_the_password_and_a_fresh_one_time_code() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let code = app.totp("lan.nguyen", 0).await;
    // (A wrong password with a fresh code spends the code: `a_code_with_a_wrong_password_is_spent`.)
    let (unknown_user, _) = app.try_sign_in("no.body", PASSWORD, &code).await;
    let (wrong_code, _) = app.try_sign_in("lan.nguyen", PASSWORD, "000000").await;
    assert_eq!([unknown_user, wrong_code], [Status::Unauthorized; 2]);

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
        .post_session(&json!({ "username": "x.y", "password": "p", "totp": "1" }))
        .await;
    let wrong = app
        .post_session(&json!({ "username": "lan.nguyen", "password": "p", "totp": "1" }))
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

/// Issue 11, D6: a flood of wrong sign-ins (for the member's own username and for made-up ones) used to
/// empty the per-account and the global buckets, keeping everyone out. Now an attempt with a fresh
/// one-time code passes the throttles: during the flood the member with the right password and code signs
/// in, while the right password with a wrong code (the positive control) is still throttled.
#[rocket::async_test]
async fn a_flood_of_wrong_sign_ins_does_not_keep_out_a_member_with_the_right_code() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("minh.tran", "inspector", None, None).await;
    const FLOOD: usize = 150;
    // A made-up username has a bucket of its own, full: its 429s come from the global bucket.
    let (mut own, mut made_up) = (0, 0);
    for i in 0..FLOOD {
        let username = if i % 2 == 0 {
            "lan.nguyen".to_owned()
        } else {
            format!("made.up{i}")
        };
        let (status, _) = app.try_sign_in(&username, "wrong password!!", "000000").await;
        assert!(matches!(status.code, 401 | 429), "{status}");
        if status.code == 429 {
            *if i % 2 == 0 { &mut own } else { &mut made_up } += 1;
        }
    }
    assert!(made_up > 0, "the global bucket engaged");
    let (control, _) = app.try_sign_in("lan.nguyen", PASSWORD, "000000").await;
    assert_eq!(
        control,
        Status::TooManyRequests,
        "the account's bucket is empty for code-less attempts"
    );
    println!(
        "{FLOOD} wrong sign-ins: {own} throttled for the account, {made_up} for made-up names (global); \
         right password, wrong code: {control}"
    );
    app.sign_in("lan.nguyen").await;
    app.sign_in("minh.tran").await;
    println!("during the flood, both members with the right password and code signed in");
}

/// The code is spent by the attempt that carries it, whatever the password: a code seen over a shoulder
/// buys one password guess, not a way around the throttles.
#[rocket::async_test]
async fn a_code_with_a_wrong_password_is_spent() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let code = app.totp("lan.nguyen", 0).await;
    let (status, _) = app.try_sign_in("lan.nguyen", "wrong password!!", &code).await;
    assert_eq!(status, Status::Unauthorized);
    let (status, session) = app.try_sign_in("lan.nguyen", PASSWORD, &code).await;
    assert_eq!(status, Status::Unauthorized, "the code was spent");
    assert!(session.is_none());
}

#[rocket::async_test]
async fn signing_out_or_being_disabled_ends_the_session() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    app.add_user("other", "inspector", None, None).await;
    let session = app.sign_in("inspector").await;
    assert_eq!(app.get_cases(&session, "").await.0, Status::Ok);
    assert_eq!(app.delete_session(&session).await, Status::NoContent);
    assert_eq!(app.get_cases(&session, "").await.0, Status::Unauthorized);

    let other = app.sign_in("other").await;
    minhbach::app::accounts::user_disable(app.db(), "other")
        .await
        .expect("disabled");
    assert_eq!(app.get_cases(&other, "").await.0, Status::Unauthorized);
}
