//! Staff sessions: a row per sign-in, for idle expiry and revocation.

use crate::domain::ids::{SessionId, UserId};
use sqlx::AnyPool;

/// Sessions end after the deployment's idle time without a request (`Settings::session_idle_millis`, 30
/// minutes by default) and after this long in any case: a working day.
pub const LIFETIME_MILLIS: i64 = 10 * 60 * 60 * 1000;

pub async fn insert_session(pool: &AnyPool, id: &SessionId, user_id: &UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions (id, user_id, created_at, last_seen, revoked) VALUES ($1, $2, $3, $3, 0)")
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks a live session as seen now. False when it is unknown, revoked, idle for `idle_millis` or more, of
/// another user or of a disabled user: the caller then treats the request as signed out.
pub async fn touch(
    pool: &AnyPool,
    id: &SessionId,
    user_id: &UserId,
    now: i64,
    idle_millis: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET last_seen = $1 WHERE id = $2 AND user_id = $3 AND revoked = 0 AND last_seen > $4 \
         AND created_at > $5 AND EXISTS (SELECT 1 FROM users u WHERE u.id = $3 AND u.active = 1)",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .bind(now - idle_millis)
    .bind(now - LIFETIME_MILLIS)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke(pool: &AnyPool, id: &SessionId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn revoke_all_of(pool: &AnyPool, user_id: &UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}
