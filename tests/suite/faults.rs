//! A bug in a handler (a panic, from a route compiled only for the tests) gives the generic 500 page or
//! JSON error with every security header and no trace of the panic, and the next request is served.

use rocket::http::Status;

use crate::helpers::TestApp;

/// The security headers every response carries, with their exact values.
const HEADERS: [(&str, &str); 8] = [
    (
        "Content-Security-Policy",
        minhbach::web::headers::CONTENT_SECURITY_POLICY,
    ),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

#[rocket::async_test]
async fn a_panicking_handler_gives_the_generic_500_and_the_next_request_is_served() {
    let app = TestApp::spawn().await;
    for (path, json) in [("/test-hooks/panic", false), ("/api/v1/test-hooks/panic", true)] {
        let response = app.get(path).await;
        assert_eq!(response.status(), Status::InternalServerError, "{path}");
        for (name, value) in HEADERS {
            assert_eq!(response.headers().get_one(name), Some(value), "{path}: {name}");
        }
        let body = response.into_string().await.unwrap_or_default();
        for trace in ["panic", "test hook", "src/", ".rs:", "backtrace"] {
            assert!(!body.to_lowercase().contains(trace), "{path} shows {trace:?}: {body}");
        }
        if json {
            let error: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
            assert_eq!(error["error"]["code"], "internal", "{body}");
        } else {
            assert!(
                body.contains("<html") && body.contains("Lỗi máy chủ"),
                "the generic page: {body}"
            );
        }
        // Positive control: the same client is served at once afterwards.
        assert_eq!(app.get("/").await.status(), Status::Ok, "after {path}");
        assert_eq!(app.get("/api/v1/categories").await.status(), Status::Ok, "after {path}");
    }
    println!(
        "row 25: 2 forced panics (page, API): the generic 500 page and JSON error, 0 stack traces; next requests 200"
    );
}
