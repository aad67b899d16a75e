//! `audit verify`: the ledger's hash chain names the first edited, reordered or deleted entry, and a
//! report's `clock` column that disagrees with its ledger entries.

use rocket::http::Status;
use serde_json::json;
use sqlx::Executor;

use crate::helpers::{file, TestApp};

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

    // A kind changed to another one this code knows breaks the chain there; to one it does not know, the
    // entry does not even decode, and is named all the same.
    pool.execute("UPDATE ledger SET kind = 'assigned' WHERE seq = 4")
        .await
        .unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("kind edited")
        .to_string();
    assert!(error.contains("#4"), "{error}");
    pool.execute("UPDATE ledger SET kind = 'approved' WHERE seq = 4")
        .await
        .unwrap();
    let error = minhbach::app::audit::audit_verify(app.db())
        .await
        .expect_err("unknown kind")
        .to_string();
    assert!(error.contains("#4"), "{error}");
    pool.execute("UPDATE ledger SET kind = 'received' WHERE seq = 4")
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
        .post_transition(&session, &id, &json!({ "to": "accepted", "reason": "Đủ điều kiện." }))
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
