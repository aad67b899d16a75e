//! Leases (issue 14): work one instance at a time does, among several on one database.

use sqlx::AnyPool;

/// Takes or renews the lease `name` for `holder` until `until` if it is free, run out (before `now`) or
/// already `holder`'s; returns whether `holder` holds it now. One statement, so two instances racing for a
/// lease that ran out cannot both win.
pub async fn hold(pool: &AnyPool, name: &str, holder: &str, now: i64, until: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
         SET holder = excluded.holder, until_at = excluded.until_at \
         WHERE leases.holder = excluded.holder OR leases.until_at < $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
