//! Retrieval codes: randomness, normalisation of what people type, indistinguishable failures, and the
//! code shown only after the report's transaction committed.

use std::collections::HashSet;

use minhbach::crypto::RetrievalCode;
use minhbach::store::Backend;
use rocket::http::Status;
use serde_json::json;
use sqlx::Executor;

use crate::helpers::{contains_code_shape, report, with_one_symbol_changed, TestApp};

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[test]
fn a_hundred_thousand_codes_have_no_duplicate_and_uniform_symbols_at_every_position() {
    const N: usize = 100_000;
    let mut seen = HashSet::with_capacity(N);
    let mut counts = vec![[0u32; 32]; 20];
    for _ in 0..N {
        let code = RetrievalCode::generate();
        for (position, symbol) in code.compact().chars().enumerate() {
            counts[position][ALPHABET.find(symbol).expect("symbol of the alphabet")] += 1;
        }
        seen.insert(code.compact().to_owned());
    }
    // Each of the 20 positions takes each of the 32 symbols with probability 1/32: 5 bits each, 100 bits
    // in all. Expected 3125 per cell, standard deviation ≈ 55; six deviations either side is the bound.
    let (min, max) = counts
        .iter()
        .flatten()
        .fold((u32::MAX, 0), |(lo, hi), &c| (lo.min(c), hi.max(c)));
    println!(
        "{N} codes: {} distinct; 20 positions × 32 symbols, counts between {min} and {max} (expected 3125): \
         {} bits per code",
        seen.len(),
        20 * 5
    );
    assert_eq!(seen.len(), N, "duplicate codes");
    assert!(
        min > 3125 - 330 && max < 3125 + 330,
        "symbol counts {min}..{max} are not uniform"
    );
}

/// Row 14, beyond the codes: 10⁵ each of the ids that name sessions (and reports, users, notes), of the
/// random bytes of CSRF tokens, and of the nonces of sealed values: no duplicate, and their sizes.
#[test]
fn ids_tokens_and_nonces_never_repeat() {
    const N: usize = 100_000;
    let ids: HashSet<String> = (0..N).map(|_| minhbach::crypto::random_id()).collect();
    let tokens: HashSet<[u8; 32]> = (0..N).map(|_| minhbach::crypto::random_bytes::<32>()).collect();
    let key = minhbach::crypto::ReportKey::generate();
    let nonces: HashSet<Vec<u8>> = (0..N)
        .map(|_| minhbach::crypto::seal(&key, &["r", "f"], b"x")[..minhbach::crypto::NONCE_LEN].to_vec())
        .collect();
    let id_bits = minhbach::crypto::random_id().len() * 4;
    println!(
        "row 14: {N} session/report ids ({id_bits} bits): {} duplicates; {N} CSRF tokens (256 bits): {} \
         duplicates; {N} AES-GCM nonces ({} bits): {} duplicates; codes: 100 bits by construction",
        N - ids.len(),
        N - tokens.len(),
        minhbach::crypto::NONCE_LEN * 8,
        N - nonces.len()
    );
    assert_eq!((ids.len(), tokens.len(), nonces.len()), (N, N, N));
    assert!(id_bits >= 128);
}

#[rocket::async_test]
async fn the_status_lookup_forgives_case_dashes_and_spaces() {
    let app = TestApp::spawn().await;
    let code = app
        .submit("Cán bộ thu tiền ngoài quy định khi cấp phép xây dựng.")
        .await;
    let compact = code.replace('-', "");
    let spaced = code.replace('-', " ");
    for variant in [
        code.clone(),
        code.to_lowercase(),
        compact.clone(),
        compact.to_lowercase(),
        spaced,
        format!("  {code} "),
    ] {
        let (status, body) = app.post_report_status(&variant).await;
        assert_eq!(status, Status::Ok, "{variant}: {body}");
        assert_eq!(body["status"], "received");
    }
    let (status, page) = app
        .post_form("/report/status", &[("code", &code.to_lowercase().replace('-', " "))])
        .await;
    assert_eq!(status, Status::Ok);
    assert!(page.contains("Đã tiếp nhận"), "{page}");
}

#[rocket::async_test]
async fn one_wrong_symbol_gives_the_same_404_as_a_random_or_malformed_code() {
    let app = TestApp::spawn().await;
    let code = app
        .submit("Cán bộ thu tiền ngoài quy định khi cấp phép xây dựng.")
        .await;
    let random = RetrievalCode::generate().grouped().to_string();
    let (wrong_status, wrong_body) = app.post_report_status(&with_one_symbol_changed(&code)).await;
    assert_eq!(wrong_status, Status::NotFound);
    for other in [random.as_str(), "not a code", "", "UUUU-UUUU-UUUU-UUUU-UUUU"] {
        let (status, body) = app.post_report_status(other).await;
        assert_eq!((status, &body), (wrong_status, &wrong_body), "{other:?}");
    }
    let (status, body) = app.post_json("/api/v1/reports/status", &json!({ "code": 12 })).await;
    assert_eq!((status, body), (wrong_status, wrong_body.clone()));
    let (status, _) = app.post_json("/api/v1/reports/status", &json!({})).await;
    assert_eq!(status, Status::NotFound);

    let (page_status, wrong_page) = app
        .post_form("/report/status", &[("code", &with_one_symbol_changed(&code))])
        .await;
    let (_, random_page) = app.post_form("/report/status", &[("code", &random)]).await;
    assert_eq!(page_status, Status::NotFound);
    assert_eq!(wrong_page, random_page);
}

/// Makes every ledger append fail, so the report's transaction cannot commit.
async fn break_storage(app: &TestApp) {
    let pool = app.db().pool();
    match app.backend() {
        Backend::Sqlite => {
            pool.execute(
                "CREATE TRIGGER forced_failure BEFORE INSERT ON ledger BEGIN SELECT RAISE(ABORT, 'forced'); END",
            )
            .await
            .expect("trigger");
        }
        Backend::Postgres => {
            pool.execute(
                "CREATE FUNCTION forced_failure() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced'; END $$ \
                 LANGUAGE plpgsql",
            )
            .await
            .expect("function");
            pool.execute(
                "CREATE TRIGGER forced_failure BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION forced_failure()",
            )
            .await
            .expect("trigger");
        }
    }
}

async fn repair_storage(app: &TestApp) {
    let pool = app.db().pool();
    let drop = match app.backend() {
        Backend::Sqlite => "DROP TRIGGER forced_failure",
        Backend::Postgres => "DROP TRIGGER forced_failure ON ledger",
    };
    pool.execute(drop).await.expect("drop trigger");
}

#[rocket::async_test]
async fn a_storage_failure_shows_an_error_and_no_code() {
    let app = TestApp::spawn().await;
    break_storage(&app).await;
    const ATTEMPTS: usize = 5;
    let mut codes_shown = 0;
    for _ in 0..ATTEMPTS {
        let (status, body) = app.post_report(&report("Cán bộ xã nhận tiền để bỏ qua vi phạm.")).await;
        assert_eq!(status, Status::ServiceUnavailable, "{body}");
        assert_eq!(body["error"]["code"], "storage_unavailable");
        codes_shown += usize::from(body.get("code").is_some() || contains_code_shape(&body.to_string()));

        let (status, page) = app
            .post_form(
                "/report",
                &[
                    ("category", "bribe-taking"),
                    ("unit", "ba-diem"),
                    ("narrative", "Cán bộ xã nhận tiền để bỏ qua vi phạm."),
                ],
            )
            .await;
        assert_eq!(status, Status::ServiceUnavailable);
        assert!(page.contains("CHƯA được lưu"), "the page says the report was not saved");
        codes_shown += usize::from(contains_code_shape(&page));
    }
    println!("{} forced commit failures: {codes_shown} codes shown", ATTEMPTS * 2);
    assert_eq!(codes_shown, 0);
    assert_eq!(
        app.count("reports").await,
        0,
        "the failed transactions left no report behind"
    );

    repair_storage(&app).await;
    let code = app.submit("Cán bộ xã nhận tiền để bỏ qua vi phạm.").await;
    assert_eq!(
        app.post_report_status(&code).await.0,
        Status::Ok,
        "storage works again once repaired"
    );
}
