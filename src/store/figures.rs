//! The public page's figures: counts only, of what arrived before a cutoff (a checkpoint's midnight).

use sqlx::Row;

/// `(status, n)` rows of `query`, which takes the cutoff as `$1`.
async fn counts(pool: &sqlx::AnyPool, query: &str, cutoff: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(query).bind(cutoff).fetch_all(pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Reports received before `cutoff` (UTC ms) by status.
pub async fn reports_by_status(pool: &sqlx::AnyPool, cutoff: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let query = "SELECT status, COUNT(*) AS n FROM reports WHERE received_at < $1 GROUP BY status ORDER BY status";
    counts(pool, query, cutoff).await
}

/// Commendations opened before `cutoff` (UTC ms) by state.
pub async fn commendations_by_status(pool: &sqlx::AnyPool, cutoff: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let query = "SELECT status, COUNT(*) AS n FROM commendations WHERE opened_at < $1 GROUP BY status ORDER BY status";
    counts(pool, query, cutoff).await
}
