//! What a supervisor's statistics page reads of their team, besides the clocks (`ledger::team_clocks`):
//! the open cases with their assignee, and the commendation decisions.

use sqlx::Row;

use crate::domain::ids::TeamId;

/// An open case of the team: its status, receipt time (UTC ms) and assignee's username.
pub struct OpenCase {
    pub status: String,
    pub received_at: i64,
    pub assignee: Option<String>,
}

/// The team's cases in one of `statuses` (the open ones).
pub async fn open_cases(
    pool: &sqlx::AnyPool,
    team_id: &TeamId,
    statuses: &[&str],
) -> Result<Vec<OpenCase>, sqlx::Error> {
    let placeholders: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT r.status, r.received_at, u.username FROM reports r LEFT JOIN users u ON u.id = r.assignee_id \
         WHERE r.team_id = $1 AND r.status IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(team_id);
    for status in statuses {
        query = query.bind(*status);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(OpenCase {
                status: r.try_get("status")?,
                received_at: r.try_get("received_at")?,
                assignee: r.try_get("username")?,
            })
        })
        .collect()
}

/// (opened, decided) times (UTC ms) of the team's commendations decided at or after `since`.
pub async fn decisions(pool: &sqlx::AnyPool, team_id: &TeamId, since: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.opened_at, c.decided_at FROM commendations c JOIN reports r ON r.id = c.report_id \
         WHERE r.team_id = $1 AND c.decided_at >= $2",
    )
    .bind(team_id)
    .bind(since)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("opened_at")?, r.try_get("decided_at")?)))
        .collect()
}
