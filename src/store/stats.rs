//! What a supervisor's statistics page reads of their team, besides the clocks (`ledger::team_clocks`):
//! the open cases with their assignee, and the commendation decisions.

use sqlx::Row;

use crate::domain::ids::TeamId;

/// Open cases of the team with the same status, assignee and age group: how many.
pub struct OpenCases {
    pub status: String,
    pub age_group: usize,
    pub assignee: Option<String>,
    pub count: i64,
}

/// The team's cases in one of `statuses` (the open ones), counted in the database by status, assignee and
/// age group (`thresholds`: `domain::stats::age_thresholds`): a few rows instead of one per case, each of
/// which costs microseconds through sqlx's `Any` driver.
pub async fn open_cases(
    pool: &sqlx::AnyPool,
    team_id: &TeamId,
    statuses: &[&str],
    thresholds: &[i64],
) -> Result<Vec<OpenCases>, sqlx::Error> {
    let status_params: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 2)).collect();
    let first = statuses.len() + 2;
    let groups: Vec<String> = (0..thresholds.len())
        .map(|g| format!("WHEN r.received_at >= ${} THEN {g}", first + g))
        .collect();
    let sql = format!(
        "SELECT r.status, u.username, CASE {} ELSE {} END AS age_group, COUNT(*) AS n FROM reports r \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.team_id = $1 AND r.status IN ({}) \
         GROUP BY r.status, u.username, age_group",
        groups.join(" "),
        thresholds.len(),
        status_params.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(team_id);
    for status in statuses {
        query = query.bind(*status);
    }
    for threshold in thresholds {
        query = query.bind(*threshold);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            let group: i64 = r.try_get("age_group")?;
            Ok(OpenCases {
                status: r.try_get("status")?,
                age_group: usize::try_from(group).unwrap_or(0),
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

/// How many reports the team has (every status).
pub async fn case_count(pool: &sqlx::AnyPool, team_id: &TeamId) -> Result<usize, sqlx::Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE team_id = $1")
        .bind(team_id)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    Ok(n.max(0) as usize)
}
