//! Reliability against the real `minhbach` binary, as an operator runs it (`../shared/SECURITY-TESTS.md`
//! rows 1–3 and 25): backups under load, storage faults, crashes, floods. Each test prints its figure. On
//! SQLite by default; on PostgreSQL when `TEST_DATABASE_URL` names a server.

#[path = "../common/balancer.rs"]
mod balancer;
#[path = "../common/ci.rs"]
mod ci;
#[path = "../common/crash.rs"]
mod crash;
#[path = "../common/flood.rs"]
mod flood;
#[path = "../common/postgres.rs"]
mod postgres;
#[path = "../common/server.rs"]
mod server;
#[path = "../common/smtp.rs"]
mod smtp;

mod api_schema;
mod backup;
#[path = "crash.rs"]
mod crash_test;
#[path = "flood.rs"]
mod flood_test;
mod instances;
mod notify;
mod storage;

/// A fresh PostgreSQL database when `TEST_DATABASE_URL` names a server, else `None` (SQLite).
fn fresh_database() -> Option<String> {
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(postgres::fresh_postgres_url())
}

/// Prints a test's figure on its own line, so it shows in `cargo test` output.
#[macro_export]
macro_rules! figure {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut err = std::io::stderr();
        let _ = writeln!(err, "figure: {}", format!($($arg)*));
    }};
}
