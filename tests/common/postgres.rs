//! A fresh PostgreSQL database per test, shared by the integration suite and the browser suite.

use sqlx::Executor;

/// A fresh, empty PostgreSQL database on the server `TEST_DATABASE_URL` names, if it names one.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    sqlx::any::install_default_drivers();
    let name = format!("minhbach_test_{}", minhbach::crypto::random_id());
    let admin = sqlx::AnyPool::connect(&admin_url)
        .await
        .expect("TEST_DATABASE_URL accepts connections");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("can create a test database");
    admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("TEST_DATABASE_URL has a path");
    Some(format!("{base}/{name}"))
}
