//! `minhbach demo`: a realistic history at every stage, through the real paths; the supervisors' on-time
//! rate per stage is computed over it.

use rocket::http::Status;
use serde_json::Value;

use crate::helpers::TestApp;

#[rocket::async_test]
async fn the_demo_data_covers_every_stage_and_supervisors_see_its_on_time_rates() {
    let app = TestApp::spawn().await;
    let options = minhbach::demo::Options {
        reports: 80,
        seed: 7,
        leave_overdue: false,
    };
    let mut ticks = 0;
    let mut progress = |_: u64, _: u64| ticks += 1;
    let summary = minhbach::demo::fill(app.db(), app.secret(), &options, &mut progress)
        .await
        .expect("the demo fills an empty database");
    assert_eq!(summary.reports, 80);
    assert_eq!(ticks, summary.events, "one progress tick per event");

    // Every stage of the lifecycle and of commendations is present, and the ledger verifies.
    let pool = app.db().pool();
    let statuses: Vec<String> = sqlx::query_scalar("SELECT DISTINCT status FROM reports")
        .fetch_all(pool)
        .await
        .unwrap();
    for status in ["received", "investigating", "closed"] {
        assert!(statuses.iter().any(|s| s == status), "{status} in {statuses:?}");
    }
    let states: Vec<String> = sqlx::query_scalar("SELECT DISTINCT status FROM commendations")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(states.len() >= 4, "commendation states {states:?}");
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the demo ledger verifies");

    // A second fill is refused, and stores nothing.
    let before = app.count("ledger").await;
    assert!(minhbach::demo::fill(app.db(), app.secret(), &options, &mut |_, _| {})
        .await
        .is_err());
    assert_eq!(app.count("ledger").await, before);

    // The demo supervisor signs in with the printed password and sees the on-time rate per stage.
    let totp = app.totp("giamsat.demo", 0).await;
    let (status, session) = app.try_sign_in("giamsat.demo", &summary.password, &totp).await;
    assert_eq!(status, Status::NoContent);
    let session = session.expect("session");
    let (status, body) = app.get_on_time(&session).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["cases"], 80);
    let stages: Vec<&Value> = body["stages"].as_array().unwrap().iter().collect();
    let stage = |name: &str| stages.iter().find(|s| s["stage"] == name).copied();
    for name in [
        "triage",
        "notice",
        "resolution",
        "feedback",
        "commendation_proposal",
        "commendation_decision",
    ] {
        let s = stage(name).unwrap_or_else(|| panic!("{name} in {body}"));
        let (met, missed) = (s["met"].as_u64().unwrap(), s["missed"].as_u64().unwrap());
        assert!(met + missed > 0, "{name}: {s}");
        let rate = s["on_time_per_mille"]
            .as_u64()
            .expect("a rate where deadlines were decided");
        assert_eq!(rate, met * 1000 / (met + missed), "{name}");
        eprintln!("demo on-time {name}: {met} met, {missed} missed");
    }
    let response = app
        .client
        .get("/inspector/stats")
        .cookie(session.0.clone())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let page = response.into_string().await.unwrap();
    assert!(page.contains("Đề xuất khen thưởng"), "{page}");
}
