//! Random and oversized input to every form and endpoint: always an answer below 500, and nothing
//! already stored is lost.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocket::http::{ContentType, Status};
use serde_json::{json, Value};

use crate::helpers::{urlencode, TestApp};

const FIELDS: [&str; 21] = [
    "category",
    "unit",
    "narrative",
    "accused",
    "incident_date",
    "amount_vnd",
    "code",
    "body",
    "token",
    // Claims and commendations.
    "accept",
    "answer",
    "identity",
    "name",
    "payment",
    "recovered",
    "bribe",
    "form",
    "evidence",
    "amount",
    "reason",
    "reference",
];

fn random_text(rng: &mut StdRng) -> String {
    match rng.gen_range(0..9) {
        0 => String::new(),
        1 => (0..rng.gen_range(1..64)).map(|_| rng.gen_range(' '..='~')).collect(),
        2 => (0..rng.gen_range(1..64))
            .map(|_| char::from_u32(rng.gen_range(0..0x11_0000)).unwrap_or('\u{fffd}'))
            .collect(),
        3 => "x".repeat(rng.gen_range(10_000..40_000)),
        4 => [
            "bribe-taking",
            "ba-diem",
            "2026-02-29",
            "-1",
            "1e400",
            "9".repeat(30).as_str(),
            "ABCD-EFGH-JKMN-PQRS-TVWX",
        ][rng.gen_range(0..7)]
        .to_owned(),
        5 => "\0\u{1}\u{7f}<script>alert(1)</script>{{lang}}%00%zz".to_owned(),
        6 => "Cán bộ xã nhận tiền để làm nhanh hồ sơ đất đai.".to_owned(),
        7 => "a".repeat(rng.gen_range(1..12)),
        _ => format!("{}", rng.gen::<i64>()),
    }
}

fn random_json_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..9) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>() * 1e12),
        4 if depth < 3 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 3 => json!({ "nested": random_json_value(rng, depth + 1) }),
        6 => json!(u64::MAX),
        _ => json!(random_text(rng)),
    }
}

fn random_json_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..8) {
        0 => (0..rng.gen_range(0..256)).map(|_| rng.gen::<u8>()).collect(),
        1 => format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)).into_bytes(),
        2 => random_json_value(rng, 0).to_string().into_bytes(),
        3 => format!("{{\"narrative\": \"{}\"}}", "y".repeat(rng.gen_range(200_000..400_000))).into_bytes(),
        _ => {
            let mut object = serde_json::Map::new();
            for field in FIELDS {
                if rng.gen_bool(0.7) {
                    object.insert(field.to_owned(), random_json_value(rng, 0));
                }
            }
            if rng.gen_bool(0.3) {
                object.insert("category".into(), json!("other"));
                object.insert("unit".into(), json!("tan-hiep"));
            }
            Value::Object(object).to_string().into_bytes()
        }
    }
}

fn random_form_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..6) {
        0 => (0..rng.gen_range(0..256)).map(|_| rng.gen::<u8>()).collect(),
        1 => format!("narrative={}", "z".repeat(rng.gen_range(200_000..400_000))).into_bytes(),
        2 => b"narrative=%E0%A4%A&category=%%%&unit=\xff\xfe".to_vec(),
        _ => {
            let mut pairs = Vec::new();
            for field in FIELDS {
                if rng.gen_bool(0.7) {
                    pairs.push(format!("{field}={}", urlencode(&random_text(rng))));
                }
            }
            pairs.join("&").into_bytes()
        }
    }
}

#[rocket::async_test]
async fn random_and_oversized_input_never_gets_a_server_error() {
    let app = TestApp::spawn().await;
    let kept = app.submit("Một báo cáo đã lưu trước khi thử dữ liệu ngẫu nhiên.").await;
    let mut rng = StdRng::seed_from_u64(0x6d69_6e68_6261_6368);
    const PER_ENDPOINT: usize = 60;
    let posts = [
        ("/report", true),
        ("/report/status", true),
        ("/report/messages", true),
        ("/report/claim", true),
        ("/api/v1/reports", false),
        ("/api/v1/reports/status", false),
        ("/api/v1/reports/messages", false),
        ("/api/v1/reports/claim", false),
    ];
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    let mut requests = 0;
    for (path, is_form) in posts {
        for i in 0..PER_ENDPOINT {
            let body = if is_form == (i % 5 != 4) {
                random_form_body(&mut rng)
            } else {
                random_json_body(&mut rng)
            };
            let content_type = match i % 7 {
                0 => ContentType::Plain,
                1 => ContentType::Binary,
                _ if is_form => ContentType::Form,
                _ => ContentType::JSON,
            };
            let query = if rng.gen_bool(0.2) {
                format!("?lang={}", urlencode(&random_text(&mut rng)))
            } else {
                String::new()
            };
            let response = app
                .client
                .post(format!("{path}{query}"))
                .header(content_type)
                .body(&body)
                .dispatch()
                .await;
            let status = response.status();
            let text = response.into_string().await.unwrap_or_default();
            assert!(
                status.code < 500,
                "POST {path} ({} bytes) → {status}: {}",
                body.len(),
                &text[..text.len().min(300)]
            );
            assert!(
                !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
                "{path} leaked a panic"
            );
            *by_status.entry(status.code).or_default() += 1;
            requests += 1;
        }
    }
    for _ in 0..PER_ENDPOINT {
        let path = match rng.gen_range(0..4) {
            0 => format!("/report?lang={}", urlencode(&random_text(&mut rng))),
            1 => format!("/{}", urlencode(&random_text(&mut rng))),
            2 => format!("/api/v1/units?lang={}", urlencode(&random_text(&mut rng))),
            _ => format!("/report/status/{}", urlencode(&random_text(&mut rng))),
        };
        let response = app.client.get(path.clone()).dispatch().await;
        assert!(response.status().code < 500, "GET {path} → {}", response.status());
        *by_status.entry(response.status().code).or_default() += 1;
        requests += 1;
    }
    println!(
        "{requests} random requests on {:?}, statuses {by_status:?}: 0 server errors",
        app.backend()
    );
    assert_eq!(
        app.post_report_status(&kept).await.0,
        Status::Ok,
        "the report stored before is intact"
    );
}

/// The officer's API and forms under random input, on a commendation waiting at each step: never a server
/// error, and the commendation is still readable afterwards.
#[rocket::async_test]
async fn random_input_to_the_commendation_officer_never_gets_a_server_error() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("mai.tran", "officer", None, None).await;
    let inspector = app.sign_in("lan.nguyen").await;
    let (officer, csrf) = app.sign_in_with_csrf("mai.tran").await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    let mut rng = StdRng::seed_from_u64(0x6b68_656e);
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for i in 0..240 {
        let action = ["proposal", "decision", "payment"][i % 3];
        let as_form = i % 2 == 0;
        let (path, body, content_type) = if as_form {
            let mut body = random_form_body(&mut rng);
            body.extend_from_slice(format!("&csrf={csrf}").as_bytes());
            (format!("/officer/commendations/{id}/{action}"), body, ContentType::Form)
        } else {
            (
                format!("/api/v1/commendations/{id}/{action}"),
                random_json_body(&mut rng),
                ContentType::JSON,
            )
        };
        let response = app
            .client
            .post(path.clone())
            .header(content_type)
            .cookie(officer.0.clone())
            .body(&body)
            .dispatch()
            .await;
        let status = response.status();
        let text = response.into_string().await.unwrap_or_default();
        assert!(
            status.code < 500,
            "POST {path} → {status}: {}",
            &text[..text.len().min(300)]
        );
        *by_status.entry(status.code).or_default() += 1;
    }
    println!("240 random officer requests, statuses {by_status:?}: 0 server errors");
    // The requests got past the session, CSRF and role checks into the field checks.
    assert!(by_status.get(&422).is_some_and(|n| *n > 0), "{by_status:?}");
    let (status, file) = app.get_commendation(&officer, &id).await;
    assert_eq!(status, Status::Ok, "{file}");
    assert_eq!(app.post_report_status(&code).await.0, Status::Ok);
    minhbach::app::audit::audit_verify(app.db())
        .await
        .expect("the ledger verifies");
}
