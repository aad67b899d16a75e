//! Whether the tests run under CI (`CI=true`), where nothing may be skipped: a test that needs a tool this
//! machine lacks (a browser, a PostgreSQL server to stop, Schemathesis) says it was skipped here, and fails
//! there.

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips a test that cannot run here (printing why), or fails it under CI. (The browser suite, which
/// includes this file too, counts its skipped browsers itself.)
#[allow(dead_code)]
pub fn skip(why: &str) {
    assert!(!in_ci(), "CI=true: this test must run, but {why}");
    eprintln!("skipped: {why}");
}
