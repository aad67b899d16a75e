//! Reporters' ratings: stored once per report (a second is not written), read back for the reporter's
//! status, a team's figures and the public ones.

use sqlx::Row;

use crate::domain::ids::{ReportId, TeamId};

/// Stores a rating unless the report has one (or was erased, inside the same transaction). True when this
/// call stored it.
pub async fn insert(
    pool: &sqlx::AnyPool,
    report_id: &ReportId,
    score: u8,
    comment: Option<&[u8]>,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !super::reports::lock_unerased(&mut tx, report_id).await? {
        return Err(super::reports::erased());
    }
    let stored = sqlx::query(
        "INSERT INTO ratings (report_id, score, comment, rated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (report_id) DO NOTHING",
    )
    .bind(report_id)
    .bind(i64::from(score))
    .bind(comment)
    .bind(at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(stored == 1)
}

/// A report's rating: its score and when it was given.
pub async fn for_report(pool: &sqlx::AnyPool, report_id: &ReportId) -> Result<Option<(u8, i64)>, sqlx::Error> {
    let row = sqlx::query("SELECT score, rated_at FROM ratings WHERE report_id = $1")
        .bind(report_id)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((score_of(&r)?, r.try_get("rated_at")?))).transpose()
}

fn score_of(row: &sqlx::any::AnyRow) -> Result<u8, sqlx::Error> {
    let score: i64 = row.try_get("score")?;
    u8::try_from(score).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// (time, score) of every rating of the team's reports given at or after `since` (UTC ms).
pub async fn of_team(pool: &sqlx::AnyPool, team_id: &TeamId, since: i64) -> Result<Vec<(i64, u8)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT g.rated_at, g.score FROM ratings g JOIN reports r ON r.id = g.report_id \
         WHERE r.team_id = $1 AND g.rated_at >= $2",
    )
    .bind(team_id)
    .bind(since)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("rated_at")?, score_of(r)?)))
        .collect()
}

/// (time, score) of every rating given before `cutoff` (UTC ms), for the public figures.
pub async fn before(pool: &sqlx::AnyPool, cutoff: i64) -> Result<Vec<(i64, u8)>, sqlx::Error> {
    let rows = sqlx::query("SELECT rated_at, score FROM ratings WHERE rated_at < $1")
        .bind(cutoff)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("rated_at")?, score_of(r)?)))
        .collect()
}
