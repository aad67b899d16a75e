//! The public page's figures: what they read of every report and commendation, up to a cutoff (a
//! checkpoint's midnight). The counting is `domain::figures`.

use sqlx::Row;

use crate::domain::figures::CommendationTimes;

use super::ledger::TeamClocks;

/// Every report received before `cutoff` (UTC ms) with its `clock` column, in the form of
/// [`super::ledger::team_clocks`] (one row to transfer, not one per report).
pub async fn clocks_before(pool: &sqlx::AnyPool, cutoff: i64) -> Result<TeamClocks, sqlx::Error> {
    let row = sqlx::query(
        "SELECT string_agg(received_at || '|' || clock, '#') AS clocks FROM reports WHERE received_at < $1",
    )
    .bind(cutoff)
    .fetch_one(pool)
    .await?;
    Ok(TeamClocks::from_text(row.try_get("clocks")?))
}

/// Every commendation opened before `cutoff` (UTC ms): when it was opened, decided and paid.
pub async fn commendation_times(pool: &sqlx::AnyPool, cutoff: i64) -> Result<Vec<CommendationTimes>, sqlx::Error> {
    let rows = sqlx::query("SELECT opened_at, decided_at, paid_at FROM commendations WHERE opened_at < $1")
        .bind(cutoff)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CommendationTimes {
                opened_at: r.try_get("opened_at")?,
                decided_at: r.try_get("decided_at")?,
                paid_at: r.try_get("paid_at")?,
            })
        })
        .collect()
}
