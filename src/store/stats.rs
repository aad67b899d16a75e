//! What a supervisor's statistics page reads of their team, besides the clocks (`ledger::team_clocks`):
//! the open cases with their assignee, and the commendation decisions.

use sqlx::Row;

use crate::domain::ids::TeamId;

/// Open cases of the team with the same status, assignee and day of receipt: how many, and the start of
/// that day (UTC ms).
pub struct OpenCases {
    pub status: String,
    pub received_day: i64,
    pub assignee: Option<String>,
    pub count: i64,
}

/// Vietnam's offset from UTC (no daylight saving time), in milliseconds.
const VIETNAM_OFFSET: i64 = 7 * 3_600_000;
const DAY: i64 = 86_400_000;

/// The team's cases in one of `statuses` (the open ones), counted in the database by status, assignee and
/// day of receipt in Vietnam: a few thousand rows over 100 000 cases instead of one per case (each row read
/// through sqlx's `Any` driver costs microseconds).
pub async fn open_cases(
    pool: &sqlx::AnyPool,
    team_id: &TeamId,
    statuses: &[&str],
) -> Result<Vec<OpenCases>, sqlx::Error> {
    let placeholders: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 2)).collect();
    let day = format!("(r.received_at + {VIETNAM_OFFSET}) / {DAY}");
    let sql = format!(
        "SELECT r.status, u.username, {day} AS day, COUNT(*) AS n FROM reports r \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.team_id = $1 AND r.status IN ({}) \
         GROUP BY r.status, u.username, {day}",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(team_id);
    for status in statuses {
        query = query.bind(*status);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let day: i64 = r.try_get("day")?;
            Ok(OpenCases {
                status: r.try_get("status")?,
                received_day: day * DAY - VIETNAM_OFFSET,
                assignee: r.try_get("username")?,
                count: r.try_get("n")?,
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
