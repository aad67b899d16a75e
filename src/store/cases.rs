//! Cases as staff see them: queues, transitions with their sealed reasons, reassignment.

use sqlx::{AnyPool, Row};

use super::{grants, ledger, Tx};
use crate::crypto::Grant;

/// A queue row: routing metadata only.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub category: String,
    pub unit_id: String,
    pub status: String,
    pub team_id: Option<String>,
    pub assignee_id: Option<String>,
    pub received_at: i64,
}

/// Whose queue.
#[derive(Debug, Clone)]
pub enum Scope {
    Assignee(String),
    Team(String),
}

pub struct Filter<'a> {
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
}

/// A page of the queue, oldest first (the earliest deadlines first), and the total count.
pub async fn list(
    pool: &AnyPool,
    scope: &Scope,
    filter: &Filter<'_>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<CaseRow>, i64), sqlx::Error> {
    let (column, value) = match scope {
        Scope::Assignee(id) => ("assignee_id", id),
        Scope::Team(id) => ("team_id", id),
    };
    // $2 and $3 are optional filters: NULL matches everything.
    let condition = format!("{column} = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR category = $3)");
    let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM reports WHERE {condition}"))
        .bind(value)
        .bind(filter.status)
        .bind(filter.category)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT id, category, unit_id, status, team_id, assignee_id, received_at FROM reports WHERE {condition} \
         ORDER BY received_at, id LIMIT $4 OFFSET $5"
    ))
    .bind(value)
    .bind(filter.status)
    .bind(filter.category)
    .bind(per_page)
    .bind((page - 1).max(0) * per_page)
    .fetch_all(pool)
    .await?;
    let cases = rows
        .iter()
        .map(|r| {
            Ok(CaseRow {
                id: r.try_get("id")?,
                category: r.try_get("category")?,
                unit_id: r.try_get("unit_id")?,
                status: r.try_get("status")?,
                team_id: r.try_get("team_id")?,
                assignee_id: r.try_get("assignee_id")?,
                received_at: r.try_get("received_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((cases, total))
}

pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, category, unit_id, status, team_id, assignee_id, received_at FROM reports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(CaseRow {
            id: r.try_get("id")?,
            category: r.try_get("category")?,
            unit_id: r.try_get("unit_id")?,
            status: r.try_get("status")?,
            team_id: r.try_get("team_id")?,
            assignee_id: r.try_get("assignee_id")?,
            received_at: r.try_get("received_at")?,
        })
    })
    .transpose()
}

/// A transition and its sealed reason.
pub struct Transition<'a> {
    pub report_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub actor_id: &'a str,
    pub at: i64,
    pub note_id: &'a str,
    pub sealed_reason: &'a [u8],
}

/// Moves a case from `from` to `to` if it is still in `from` (so of two concurrent transitions exactly one
/// succeeds), with its ledger entry and sealed reason, in one transaction. Returns whether it moved.
pub async fn transition(pool: &AnyPool, t: &Transition<'_>) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let moved = sqlx::query("UPDATE reports SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(t.to)
        .bind(t.at)
        .bind(t.report_id)
        .bind(t.from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if moved != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let detail = serde_json::json!({ "from": t.from, "to": t.to, "note": t.note_id }).to_string();
    let entry = ledger::append(&mut tx, t.at, "transition", Some(t.report_id), t.actor_id, &detail).await?;
    insert_note(
        &mut tx,
        t.note_id,
        t.report_id,
        entry.seq,
        t.actor_id,
        t.at,
        t.sealed_reason,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn insert_note(
    tx: &mut Tx<'_>,
    id: &str,
    report_id: &str,
    seq: i64,
    actor_id: &str,
    at: i64,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_notes (id, report_id, ledger_seq, actor_id, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(report_id)
    .bind(seq)
    .bind(actor_id)
    .bind(at)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A sealed note and the ledger entry it belongs to.
pub struct Note {
    pub id: String,
    pub ledger_seq: i64,
    pub body: Vec<u8>,
}

pub async fn list_notes(pool: &AnyPool, report_id: &str) -> Result<Vec<Note>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, ledger_seq, body FROM case_notes WHERE report_id = $1 ORDER BY at, id")
        .bind(report_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                ledger_seq: r.try_get("ledger_seq")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

/// Gives a case to another inspector: their grant in, the previous assignee's grant out, one ledger entry.
pub async fn reassign(
    pool: &AnyPool,
    report_id: &str,
    previous: Option<&str>,
    next: &str,
    grant: &Grant,
    actor_id: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE reports SET assignee_id = $1, updated_at = $2 WHERE id = $3")
        .bind(next)
        .bind(at)
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    grants::insert_grant(&mut tx, report_id, next, grant).await?;
    if let Some(previous) = previous.filter(|p| *p != next) {
        grants::delete_grant(&mut tx, report_id, previous).await?;
    }
    let detail = serde_json::json!({ "from": previous, "to": next }).to_string();
    ledger::append(&mut tx, at, "reassigned", Some(report_id), actor_id, &detail).await?;
    tx.commit().await
}
