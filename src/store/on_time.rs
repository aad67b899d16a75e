//! The on-time cells (issue 14): per team, stage and month a deadline fell due, the deadlines met and
//! missed. Each report's contribution (`reports.counted`, see `domain::counted`) is counted again in the
//! transaction of every ledger entry that moves its clock, and by the background task once a deadline
//! passes with no event (`recount_at`); only the difference is applied, under a conditional update of the
//! report's row, so two writers never count one change twice.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::Tx;
use crate::domain::counted::{self, CellChange};
use crate::domain::ids::TeamId;
use crate::domain::policy::{Policy, Stage};
use crate::domain::stats::Month;

/// A report as counting needs it.
struct Case {
    id: String,
    received_at: i64,
    team: Option<String>,
    clock: String,
    counted: String,
}

const CASE_COLUMNS: &str = "id, received_at, team_id, clock, counted";

fn case_from_row(r: &sqlx::any::AnyRow) -> Result<Case, sqlx::Error> {
    Ok(Case {
        id: r.try_get("id")?,
        received_at: r.try_get("received_at")?,
        team: r.try_get("team_id")?,
        clock: r.try_get("clock")?,
        counted: r.try_get("counted")?,
    })
}

/// Counts report `id` again as of `now`, in `tx` (the ledger's append, after the clock grew).
pub(super) async fn recount_in(tx: &mut Tx<'_>, id: &str, now: i64) -> Result<(), sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = row {
        let case = case_from_row(&row)?;
        let next = counted::count(case.received_at, &case.clock, now);
        apply(tx, &[(case, next)]).await?;
    }
    Ok(())
}

/// Counts up to `batch` reports whose `recount_at` has come, in one transaction; returns how many were read
/// (fewer than `batch`: none is left) and how many of those were counted (the others changed meanwhile,
/// and their writer counted them).
pub async fn recount_due(pool: &AnyPool, now: i64, batch: i64) -> Result<(usize, usize), sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM reports WHERE recount_at <= $1 ORDER BY id LIMIT $2"
    ))
    .bind(now)
    .bind(batch)
    .fetch_all(pool)
    .await?;
    let cases: Vec<Case> = rows.iter().map(case_from_row).collect::<Result<_, _>>()?;
    if cases.is_empty() {
        return Ok((0, 0));
    }
    // Counted before the transaction, so that its row locks are held only while it writes.
    let cases: Vec<(Case, counted::Counted)> = cases
        .into_iter()
        .map(|c| {
            let next = counted::count(c.received_at, &c.clock, now);
            (c, next)
        })
        .collect();
    let mut tx = pool.begin().await?;
    let applied = apply(&mut tx, &cases).await?;
    tx.commit().await?;
    Ok((cases.len(), applied))
}

/// Brings each case's contribution to `next`, what it counts now: the report's row first (only if it is
/// still as read: same clock, same contribution), then the cells, summed per team and in one order.
/// Returns how many were counted.
async fn apply(tx: &mut Tx<'_>, cases: &[(Case, counted::Counted)]) -> Result<usize, sqlx::Error> {
    let mut per_team: BTreeMap<&str, Vec<CellChange>> = BTreeMap::new();
    let mut applied = 0;
    for (case, next) in cases {
        let updated = sqlx::query(
            "UPDATE reports SET counted = $1, recount_at = $2 WHERE id = $3 AND counted = $4 AND clock = $5",
        )
        .bind(counted::encode(&next.settled))
        .bind(next.recount_at)
        .bind(&case.id)
        .bind(&case.counted)
        .bind(&case.clock)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if updated == 0 {
            // Changed since it was read: the writer that changed it counted it.
            continue;
        }
        applied += 1;
        if let Some(team) = case.team.as_deref() {
            let before = counted::decode(&case.counted);
            per_team
                .entry(team)
                .or_default()
                .extend(counted::changes(&before, &next.settled));
        }
    }
    for (team, changes) in per_team {
        for c in counted::sum(changes) {
            sqlx::query(
                "INSERT INTO on_time_cells (team_id, stage, month, met, missed) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (team_id, stage, month) DO UPDATE SET met = on_time_cells.met + excluded.met, \
                 missed = on_time_cells.missed + excluded.missed",
            )
            .bind(team)
            .bind(c.stage.as_str())
            .bind(c.month.iso())
            .bind(c.met)
            .bind(c.missed)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(applied)
}

/// One cell as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub stage: Stage,
    pub month: Month,
    pub met: u64,
    pub missed: u64,
}

/// A team's cells (a stored stage or month this code does not read is left out).
pub async fn team_cells(pool: &AnyPool, team: &TeamId) -> Result<Vec<Cell>, sqlx::Error> {
    let rows = sqlx::query("SELECT stage, month, met, missed FROM on_time_cells WHERE team_id = $1")
        .bind(team)
        .fetch_all(pool)
        .await?;
    let mut cells = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = format!(
            "{}:{}:m",
            r.try_get::<String, _>("stage")?,
            r.try_get::<String, _>("month")?
        );
        if let Some(s) = counted::decode(&text).first() {
            let count = |c: &str| r.try_get::<i64, _>(c).map(|n| n.max(0) as u64);
            cells.push(Cell {
                stage: s.stage,
                month: s.month,
                met: count("met")?,
                missed: count("missed")?,
            });
        }
    }
    Ok(cells)
}

/// What identifies the rules the cells were counted under: the active policy's id, version and a digest of
/// every rule and holiday in it.
pub fn policy_fingerprint(policy: &Policy) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{policy:?}").as_bytes());
    format!(
        "{} {} {}",
        policy.policy.id,
        policy.policy.version,
        hex::encode(&digest[..8])
    )
}

/// Under another policy than the cells were counted under (or on the first start), empties the cells and
/// marks every report to be counted again, and every commendation to be placed again in the officer's
/// queue; returns whether it did. (An instance still running the old policy would go on counting under
/// it: change the policy with every instance stopped.)
pub async fn reset_if_policy_changed(pool: &AnyPool, fingerprint: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT policy FROM on_time_policy WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    if row.map(|r| r.try_get::<String, _>("policy")).transpose()?.as_deref() == Some(fingerprint) {
        return Ok(false);
    }
    // The reports' rows first, then the cells: the order every writer takes them in (a writer's cell row
    // made meanwhile is then deleted too, never left beside a report marked to be counted again).
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE reports SET counted = '', recount_at = 0")
        .execute(&mut *tx)
        .await?;
    // The officer's queue orders by deadlines, which the policy sets: every commendation is placed again.
    sqlx::query("UPDATE commendations SET queue_rank = NULL")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM on_time_cells").execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO on_time_policy (id, policy) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET policy = excluded.policy",
    )
    .bind(fingerprint)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Reports waiting to be counted at `now` (for progress and tests).
pub async fn due_count(pool: &AnyPool, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE recount_at <= $1")
        .bind(now)
        .fetch_one(pool)
        .await?
        .try_get("n")
}
