//! The shared state of getting in (issue 14): sign-in throttle buckets and the first admin's setup code.

use sqlx::{AnyPool, Row};

/// Spends one attempt from `bucket` (GCRA: one attempt every `interval` ms, `burst` at once) if it has one
/// at `now`; returns whether it had. One statement, so attempts on every instance draw on one bucket.
pub async fn take(pool: &AnyPool, bucket: &str, now: i64, interval: i64, burst: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO sign_in_throttle (bucket, full_at) VALUES ($1, $2 + $3) ON CONFLICT (bucket) DO UPDATE \
         SET full_at = (CASE WHEN sign_in_throttle.full_at > $2 THEN sign_in_throttle.full_at ELSE $2 END) + $3 \
         WHERE (CASE WHEN sign_in_throttle.full_at > $2 THEN sign_in_throttle.full_at ELSE $2 END) + $3 <= $2 + $4",
    )
    .bind(bucket)
    .bind(now)
    .bind(interval)
    .bind(interval.saturating_mul(burst))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the buckets that are full again at `now` (the same as absent); returns how many.
pub async fn forget_full(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sign_in_throttle WHERE full_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Stores `sealed` as the setup code unless one is stored; returns whether it was.
pub async fn put_setup_code(pool: &AnyPool, sealed: &[u8], now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("INSERT INTO setup_code (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(sealed.to_vec())
            .bind(now)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The stored setup code, sealed.
pub async fn setup_code(pool: &AnyPool) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT sealed FROM setup_code WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get("sealed")).transpose()
}

/// Deletes the setup code if it is still `sealed`; returns whether this call deleted it (of two at once,
/// one does).
pub async fn take_setup_code(pool: &AnyPool, sealed: &[u8]) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM setup_code WHERE id = 1 AND sealed = $1")
        .bind(sealed.to_vec())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes any setup code (once an admin exists).
pub async fn clear_setup_code(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM setup_code").execute(pool).await?;
    Ok(())
}
