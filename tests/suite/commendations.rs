//! Commendations: a substantiated conclusion opens one; the officer records, proposes, decides and pays; the
//! reporter sees the decision and claims it with the code, revealing identity to the officers alone.

use rocket::http::Status;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{form, Session, TestApp, PASSWORD};

struct Staffed {
    app: TestApp,
    inspector: Session,
    officer: Session,
}

async fn staffed() -> Staffed {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("mai.tran", "officer", None, None).await;
    let inspector = app.sign_in("lan.nguyen").await;
    let officer = app.sign_in("mai.tran").await;
    Staffed {
        app,
        inspector,
        officer,
    }
}

/// Records a proposal (nothing recovered, a ministry certificate) and decides its 20 × 2 340 000 đồng.
async fn decided(app: &TestApp, officer: &Session, id: &str) {
    let record = json!({ "recovered": 0, "form": "ministry_certificate", "evidence": "KL 9/KL-TTr" });
    let (status, body) = app.post_proposal(officer, id, &record).await;
    assert_eq!(status, Status::Ok, "{body}");
    let decision = json!({ "form": "ministry_certificate", "amount": 46_800_000 });
    let (status, body) = app.post_decision(officer, id, &decision).await;
    assert_eq!(status, Status::Ok, "{body}");
}

#[rocket::async_test]
async fn a_substantiated_report_runs_from_commendation_to_payment() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;

    // Opened with the conclusion: pending, with nothing decided yet, and the proposal clock running.
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(status["commendation"]["status"], "pending", "{status}");
    assert_eq!(status["commendation"]["amount"], Value::Null);
    assert!(status["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["stage"] == "commendation_proposal"));
    let (queue_status, queue) = app.get_commendations(&officer).await;
    assert_eq!(queue_status, Status::Ok, "{queue}");
    assert_eq!(queue["commendations"][0]["id"], id.as_str());
    assert_eq!(
        queue["commendations"][0]["next_deadline"]["stage"],
        "commendation_proposal"
    );

    // Claiming before a decision is refused, and changes nothing.
    let (early, _) = app.post_claim(&code, json!({})).await;
    assert_eq!(early, Status::Conflict);

    // 2 000 000 000 đồng recovered (> 600 × 2 340 000): 10 % of it, 200 000 000, beats the fixed 40 ×.
    let (status, proposal) = app
        .post_proposal(
            &officer,
            &id,
            &json!({ "recovered": 2_000_000_000i64, "form": "pm_certificate", "evidence": "Kết luận số 12/KL-TTr" }),
        )
        .await;
    assert_eq!(status, Status::Ok, "{proposal}");
    assert_eq!(proposal["proposal"]["amount"], 200_000_000);

    // Another amount without a reason is refused, naming the field; with a reason it is decided.
    let decision =
        |amount: i64, reason: Option<&str>| json!({ "form": "pm_certificate", "amount": amount, "reason": reason });
    let (status, body) = app.post_decision(&officer, &id, &decision(150_000_000, None)).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let (status, body) = app
        .post_decision(
            &officer,
            &id,
            &decision(150_000_000, Some("Quỹ khen thưởng năm 2026 còn 150 triệu đồng.")),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["status"], "decided");

    // The reporter sees the decision with the code alone.
    let (_, status) = app.post_report_status(&code).await;
    let c = &status["commendation"];
    assert_eq!(
        (c["status"].as_str(), c["form"].as_str()),
        (Some("decided"), Some("pm_certificate"))
    );
    assert_eq!(c["amount"], 150_000_000);
    assert_eq!(c["reason"], "Quỹ khen thưởng năm 2026 còn 150 triệu đồng.");
    assert_eq!(c["can_claim"], true);

    // Bad claims are refused before the code is even read; a good one is recorded once.
    let (status, body) = app.post_claim(&code, json!({ "identity": { "name": 7 } })).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, body) = app
        .post_claim(&code, json!({ "identity": { "name": "x".repeat(501) } }))
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let identity =
        json!({ "name": "Nguyễn Thị Bích", "id_number": "079300001234", "payment": "Vietcombank 0071000123456" });
    let (status, body) = app.post_claim(&code, json!({ "identity": identity })).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["commendation"]["status"], "claimed");
    let (again, _) = app.post_claim(&code, json!({ "accept": false })).await;
    assert_eq!(again, Status::Conflict);

    // The officer reads the identity; the payment must be the amount decided.
    let (_, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(file["claim"]["identity"]["name"], "Nguyễn Thị Bích", "{file}");
    assert_eq!(file["record"]["evidence"], "Kết luận số 12/KL-TTr");
    let (status, body) = app
        .post_payment(&officer, &id, &json!({ "amount": 1, "reference": "UNC 45/2026" }))
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, body) = app
        .post_payment(
            &officer,
            &id,
            &json!({ "amount": 150_000_000, "reference": "UNC 45/2026" }),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(status["commendation"]["status"], "paid");
    assert_eq!(status["commendation"]["paid_amount"], 150_000_000);

    // Every step is in the ledger, which verifies; no identity or reference is in it.
    let entries = minhbach::store::ledger::list_for_report(app.db().pool(), &id.as_str().into())
        .await
        .unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    for kind in [
        "commendation_opened",
        "commendation_proposed",
        "commendation_decided",
        "commendation_claimed",
        "commendation_paid",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let all = serde_json::to_string(&entries).unwrap();
    for secret in ["Bích", "079300001234", "UNC 45", "12/KL-TTr", "Quỹ"] {
        assert!(!all.contains(secret), "{secret} is in the ledger");
    }
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");

    // The public page counts it from the next day's checkpoint, and shows nothing else of it.
    app.publish_checkpoint(1).await;
    let page = app.get("/transparency").await.into_string().await.unwrap_or_default();
    let csv = app
        .get("/transparency/commendations.csv")
        .await
        .into_string()
        .await
        .unwrap_or_default();
    assert!(
        csv.ends_with(",< 5,< 5\r\n"),
        "one decided and paid this quarter: {csv}"
    );
    assert!(
        !page.contains("Bích") && !page.contains("150.000.000") && !page.contains("150000000"),
        "{page}"
    );
}

#[rocket::async_test]
async fn an_unsubstantiated_report_opens_no_commendation_and_investigators_see_no_file() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (code, id) = app.concluded(&inspector, "unsubstantiated").await;
    let (_, status) = app.post_report_status(&code).await;
    assert_eq!(status["commendation"], Value::Null);
    let (status, _) = app.get_commendation(&officer, &id).await;
    assert_eq!(status, Status::NotFound);
    // An inspector has no commendation queue or file.
    let (_, id2) = app.concluded(&inspector, "partially_substantiated").await;
    let (status, _) = app.get_commendations(&inspector).await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = app.get_commendation(&inspector, &id2).await;
    assert_eq!(status, Status::Forbidden);
}

#[rocket::async_test]
async fn no_reward_needs_a_reason_and_a_declined_reward_is_final() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (code, id) = app.concluded(&inspector, "partially_substantiated").await;
    let record = json!({ "recovered": "0", "form": "ministry_certificate", "evidence": "KL 3/KL-TTr" });
    let (status, _) = app.post_proposal(&officer, &id, &record).await;
    assert_eq!(status, Status::Ok);
    let (status, body) = app
        .post_decision(&officer, &id, &json!({ "form": "none", "amount": 0 }))
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    let (status, body) = app
        .post_decision(
            &officer,
            &id,
            &json!({ "form": "ministry_certificate", "amount": "46.800.000" }),
        )
        .await;
    assert_eq!(status, Status::Ok, "20 × 2 340 000, typed with separators: {body}");
    let (status, body) = app.post_claim(&code, json!({ "accept": false })).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["commendation"]["status"], "declined");
    let (status, _) = app
        .post_payment(&officer, &id, &json!({ "amount": 46_800_000, "reference": "x" }))
        .await;
    assert_eq!(status, Status::Conflict);
}

/// The cryptographic wall (DESIGN.md): everything an investigator's account can unlock — its private key
/// with the password, the report key from its grant, the commendation key sealed under the report key —
/// and the organisation's recovery key are tried on the claim. Nothing opens it; the officer's key does.
#[rocket::async_test]
async fn an_investigator_cannot_decrypt_a_claims_identity_and_an_officer_can() {
    use minhbach::crypto::{self, KdfParams};
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    app.add_user("hoa.le", "supervisor", None, None).await;
    app.add_user("quan.tri", "admin", None, None).await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    decided(&app, &officer, &id).await;
    let secret_name = "Trần Văn CANARY-CLAIM";
    let (status, _) = app
        .post_claim(&code, json!({ "identity": { "name": secret_name } }))
        .await;
    assert_eq!(status, Status::Ok);

    let pool = app.db().pool();
    let row = sqlx::query("SELECT claim, key_for_reporter FROM commendations WHERE report_id = $1")
        .bind(&id)
        .fetch_one(pool)
        .await
        .unwrap();
    let sealed_claim: Vec<u8> = row.get("claim");
    let key_for_reporter: Vec<u8> = row.get("key_for_reporter");
    let private_key = |username: &'static str| async move {
        let user = minhbach::store::users::find_by_username(pool, username)
            .await
            .unwrap()
            .unwrap();
        crypto::open_private_key(&user.sealed_private_key, PASSWORD, &user.id, KdfParams::default())
            .map(|k| (user.id.to_string(), k))
            .expect("the password opens the account's key")
    };
    let claim_grants = sqlx::query(
        "SELECT holder, encapped_key, sealed_key FROM commendation_grants WHERE report_id = $1 AND purpose = 'claim'",
    )
    .bind(&id)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut attempts = 0;
    let mut opened = 0;
    let mut with_report_key = 0;
    let recovery = minhbach::app::accounts::read_recovery_key(&app.data_dir.path().join("data/recovery.key"))
        .expect("recovery key");
    let mut holders = vec![("recovery".to_owned(), recovery)];
    for username in ["lan.nguyen", "hoa.le", "quan.tri"] {
        holders.push(private_key(username).await);
    }
    for (holder, key) in &holders {
        // Every report key the holder can open, and the commendation key sealed under it.
        let mut symmetric: Vec<Vec<u8>> = Vec::new();
        if let Some(grant) = minhbach::store::grants::find_grant(pool, &id.as_str().into(), holder)
            .await
            .unwrap()
        {
            let report_key = crypto::open_grant(&grant, key, &id, holder).expect("their own grant opens");
            with_report_key += 1;
            attempts += 1;
            opened += crypto::open(&report_key, &[&id, "claim"], &sealed_claim).is_ok() as usize;
            let file_key = crypto::open(&report_key, &[&id, "commendation-key"], &key_for_reporter)
                .expect("the report key opens the commendation key");
            symmetric.push(file_key.to_vec());
        }
        for k in &symmetric {
            let k: [u8; 32] = k.as_slice().try_into().unwrap();
            attempts += 1;
            opened += crypto::open_with(&k, &[&id, "claim"], &sealed_claim).is_ok() as usize;
        }
        // Every claim grant, under the holder's key, as if it were theirs.
        for g in &claim_grants {
            let grant = crypto::Grant {
                encapped: g.get("encapped_key"),
                sealed: g.get("sealed_key"),
            };
            for bound_to in [holder.clone(), g.get::<String, _>("holder")] {
                attempts += 1;
                opened += crypto::open_grant(&grant, key, &format!("{id}/claim"), &bound_to).is_ok() as usize;
            }
        }
    }
    eprintln!(
        "claim identity: {} holders, {attempts} attempts, {opened} opened",
        holders.len()
    );
    assert!(attempts >= 10, "{attempts}");
    // The recovery key, the inspector and the supervisor hold the report key (the admin does not): the
    // attempts through the report key and the commendation key under it really ran.
    assert_eq!(with_report_key, 3);
    assert_eq!(
        opened, 0,
        "an investigator, supervisor, admin or the recovery key opened the claim"
    );

    // The officer's own key opens it, and the investigator's session is refused the file.
    let (officer_id, officer_key) = private_key("mai.tran").await;
    let grant = minhbach::store::commendations::find_grant(
        pool,
        &id.as_str().into(),
        minhbach::store::commendations::Purpose::Claim,
        &officer_id,
    )
    .await
    .unwrap()
    .expect("the officer holds a claim grant");
    let claim_key = crypto::open_grant(&grant, &officer_key, &format!("{id}/claim"), &officer_id).expect("opens");
    let plain = crypto::open(&claim_key, &[&id, "claim"], &sealed_claim).expect("the claim opens");
    assert!(String::from_utf8_lossy(&plain).contains(secret_name));
    let (status, _) = app.get_commendation(&inspector, &id).await;
    assert_eq!(status, Status::Forbidden);
    let (_, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(file["claim"]["identity"]["name"], secret_name);
}

/// An officer who joins after the commendation opened gets its file at the next sign-in of another holder
/// or the reporter's next status check (never at a page view: issue 11, D3), but never a claim made
/// before: that stays with the officers of the day until the reporter claims again.
#[rocket::async_test]
async fn an_officer_who_joins_later_gets_the_file_but_not_an_earlier_claim() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    // The team's supervisor holds the report's key from the start (and signs in only later).
    app.add_user("hoa.le", "supervisor", None, None).await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    decided(&app, &officer, &id).await;
    let (status, _) = app
        .post_claim(&code, json!({ "identity": { "name": "Phạm Thị D" } }))
        .await;
    assert_eq!(status, Status::Ok);

    app.add_user("new.officer", "officer", None, None).await;
    let newcomer = app.sign_in("new.officer").await;
    let (status, _) = app.get_commendation(&newcomer, &id).await;
    assert_eq!(status, Status::Forbidden, "no key yet");
    // Holders viewing the file and the case write nothing.
    let grants = app.count("commendation_grants").await;
    assert_eq!(app.get_commendation(&officer, &id).await.0, Status::Ok);
    assert_eq!(app.get_case(&inspector, &id).await.0, Status::Ok);
    assert_eq!(app.count("commendation_grants").await, grants, "a GET granted a key");
    assert_eq!(app.get_commendation(&newcomer, &id).await.0, Status::Forbidden);
    // Another holder's sign-in passes the file on.
    app.add_user("third.officer", "officer", None, None).await;
    let third = app.sign_in("third.officer").await;
    app.sign_in("hoa.le").await;
    let (status, file) = app.get_commendation(&third, &id).await;
    assert_eq!(status, Status::Ok, "the supervisor's sign-in passed it on: {file}");
    assert_eq!(file["claim"]["identity"], Value::Null, "{file}");
    // The reporter's next status check (or another officer's visit) grants the file, not the claim.
    app.post_report_status(&code).await;
    let (status, file) = app.get_commendation(&newcomer, &id).await;
    assert_eq!(status, Status::Ok, "{file}");
    assert_eq!(file["claim"]["identity"], Value::Null, "{file}");
    assert_eq!(file["claim"]["sealed_to_others"], true);
    let (_, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(file["claim"]["identity"]["name"], "Phạm Thị D");

    // The reporter claims again: now sealed to all three officers, the old claim and its grants replaced.
    let (status, body) = app
        .post_claim(
            &code,
            json!({ "identity": { "name": "Phạm Thị D", "contact": "0909 000 000" } }),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let (_, file) = app.get_commendation(&newcomer, &id).await;
    assert_eq!(file["claim"]["identity"]["contact"], "0909 000 000", "{file}");
    assert_eq!(
        app.count("commendation_grants WHERE purpose = 'claim'").await,
        3,
        "one claim grant per officer, the old ones gone"
    );
}

/// Pages: the officer's queue and file, and the reporter's claim form, all without JavaScript.
#[rocket::async_test]
async fn the_officer_and_the_reporter_work_through_pages() {
    let Staffed { app, inspector, .. } = staffed().await;
    // A second officer, signed in with the CSRF token the forms need.
    app.add_user("thu.pham", "officer", None, None).await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    let (officer, csrf) = app.sign_in_with_csrf("thu.pham").await;
    let (status, queue) = app.get_page("/officer", &officer).await;
    assert_eq!(status, Status::Ok);
    assert!(queue.contains(&format!("/officer/commendations/{id}")), "{queue}");
    let base = format!("/officer/commendations/{id}");
    let (status, _, _) = app
        .post_page(
            &format!("{base}/proposal"),
            Some(&officer),
            form(&[
                ("csrf", &csrf),
                ("recovered", "1.000.000"),
                ("form", "pm_certificate"),
                ("evidence", "KL 1/KL-TTr"),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::SeeOther);
    // A missing reason for another amount shows the file again with the error, in Vietnamese.
    let (status, _, body) = app
        .post_page(
            &format!("{base}/decision"),
            Some(&officer),
            form(&[("csrf", &csrf), ("form", "pm_certificate"), ("amount", "1")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("Hãy nêu lý do"), "{body}");
    let (status, _, _) = app
        .post_page(
            &format!("{base}/decision"),
            Some(&officer),
            form(&[("csrf", &csrf), ("form", "pm_certificate"), ("amount", "93600000")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::SeeOther);
    let (status, file) = app.get_page(&base, &officer).await;
    assert_eq!(status, Status::Ok);
    assert!(file.contains("93.600.000 ₫"), "{file}");

    // The reporter's status page shows the decision and the claim form; claiming through it works.
    let (status, page_html) = app.post_form("/report/status", &[("code", &code)]).await;
    assert_eq!(status, Status::Ok);
    assert!(page_html.contains("93.600.000 ₫") && page_html.contains("action=\"/report/claim"));
    let token = crate::helpers::token_on(&page_html);
    let (status, after) = app
        .post_form(
            "/report/claim",
            &[("token", &token), ("answer", "claim"), ("name", "Lê Văn C")],
        )
        .await;
    assert_eq!(status, Status::Ok, "{after}");
    assert!(after.contains("Đã ghi nhận lựa chọn của bạn"));
    let (_, file) = app.get_page(&base, &officer).await;
    assert!(file.contains("Lê Văn C"));
}

/// Found in review: a file concluded while no officer existed stayed closed to every officer until the
/// reporter's next visit; the investigators who can read the report now pass its key on, at their next
/// sign-in (not when they view the case: issue 11, D3).
#[rocket::async_test]
async fn a_file_opened_with_no_officer_reaches_the_first_officer_through_the_investigator() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("hoa.le", "supervisor", None, None).await;
    let inspector = app.sign_in("lan.nguyen").await;
    let (_, id) = app.concluded(&inspector, "substantiated").await;
    app.add_user("mai.tran", "officer", None, None).await;
    let officer = app.sign_in("mai.tran").await;
    assert_eq!(
        app.get_commendation(&officer, &id).await.0,
        Status::Forbidden,
        "no key yet"
    );
    let (status, _) = app.get_case(&inspector, &id).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        app.get_commendation(&officer, &id).await.0,
        Status::Forbidden,
        "viewing the case writes no grant"
    );
    // The supervisor, who also reads the report, signs in.
    app.sign_in("hoa.le").await;
    let (status, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(status, Status::Ok, "{file}");
    // A non-officer is refused before the body is even read.
    let (status, _) = app.post_proposal(&inspector, &id, &json!({})).await;
    assert_eq!(status, Status::Forbidden);
}

/// Found in review: a payment must be for the claim the officer read, a decline is not a claim.
#[rocket::async_test]
async fn a_payment_is_for_the_claim_the_officer_read_and_a_decline_is_no_claim() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    decided(&app, &officer, &id).await;
    let (status, _) = app
        .post_claim(&code, json!({ "identity": { "payment": "Tài khoản A" } }))
        .await;
    assert_eq!(status, Status::Ok);
    let (_, file) = app.get_commendation(&officer, &id).await;
    let seen = file["claim"]["claimed_at"].as_str().expect("claimed_at").to_owned();
    // The reporter changes the details after the officer read them (a later millisecond).
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (status, _) = app
        .post_claim(&code, json!({ "identity": { "payment": "Tài khoản B" } }))
        .await;
    assert_eq!(status, Status::Ok);
    let pay = json!({ "amount": 46_800_000, "reference": "UNC 9", "claimed_at": seen });
    let (status, _) = app.post_payment(&officer, &id, &pay).await;
    assert_eq!(status, Status::Conflict, "paid against details the reporter replaced");
    let (_, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(file["claim"]["identity"]["payment"], "Tài khoản B");
    let pay = json!({ "amount": 46_800_000, "reference": "UNC 9", "claimed_at": file["claim"]["claimed_at"] });
    assert_eq!(app.post_payment(&officer, &id, &pay).await.0, Status::Ok);

    let (code, id) = app.concluded(&inspector, "partially_substantiated").await;
    decided(&app, &officer, &id).await;
    let (status, body) = app.post_claim(&code, json!({ "accept": false })).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["commendation"]["claimed_at"], Value::Null, "{body}");
    let (_, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(file["claim"], Value::Null, "{file}");
}

/// The officer's amounts are read as the reporter's are: "1.5" is no amount (it once became 15), while
/// separators in groups of three are.
#[rocket::async_test]
async fn an_ambiguous_amount_is_refused_not_guessed() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (_, id) = app.concluded(&inspector, "substantiated").await;
    for typed in ["1.5", "15.00", "1.5000"] {
        let record = json!({ "recovered": typed, "form": "ministry_certificate", "evidence": "KL 4/KL-TTr" });
        let (status, body) = app.post_proposal(&officer, &id, &record).await;
        assert_eq!(status, Status::UnprocessableEntity, "{typed}: {body}");
        assert!(body["error"]["fields"]["recovered"].is_string(), "{typed}: {body}");
    }
    let record = json!({ "recovered": "1.500.000", "form": "ministry_certificate", "evidence": "KL 4/KL-TTr" });
    let (status, body) = app.post_proposal(&officer, &id, &record).await;
    assert_eq!(status, Status::Ok, "{body}");
}

/// A stored commendation state this code does not know is corrupt data: the officer gets the internal
/// error (500, no detail), never a file read as if it were pending; the reporter's status likewise.
#[rocket::async_test]
async fn an_unknown_stored_commendation_state_is_an_error_not_a_default() {
    let Staffed {
        app,
        inspector,
        officer,
    } = staffed().await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    // Positive control: the file opens while the state is one this code knows.
    let (status, body) = app.get_commendation(&officer, &id).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["status"], "pending");

    sqlx::query("UPDATE commendations SET status = 'bogus' WHERE report_id = $1")
        .bind(&id)
        .execute(app.db().pool())
        .await
        .unwrap();
    let (status, body) = app.get_commendation(&officer, &id).await;
    assert_eq!(status, Status::InternalServerError, "{body}");
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        !body.to_string().contains("bogus"),
        "no stored detail on the answer: {body}"
    );
    let (status, body) = app.post_report_status(&code).await;
    assert_eq!(status, Status::InternalServerError, "{body}");
}
