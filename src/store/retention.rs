//! Retention: a supervisor's legal hold, the closed cases the sweep looks at, and erasure by crypto-shredding
//! (every key and ciphertext of a report deleted in one transaction, the content-free stub kept).

use sqlx::{AnyPool, Executor, Row};

use super::cases::{self, CaseRow};
use super::{ledger, Backend, Tx};
use crate::domain::ids::{NoteId, ReportId, UserId};
use crate::domain::{EntryKind, Status};

/// Places (`place`) or lifts a legal hold if the case is in the other state and not erased (so of two
/// concurrent requests exactly one wins), with its ledger entry and sealed reason, in one transaction.
/// Returns whether it changed.
pub async fn set_hold(
    pool: &AnyPool,
    report_id: &ReportId,
    place: bool,
    actor_id: &UserId,
    at: i64,
    note: (&NoteId, &[u8]),
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let sql = if place {
        "UPDATE reports SET held_since = $1, updated_at = $1 WHERE id = $2 AND held_since IS NULL \
         AND erased_at IS NULL"
    } else {
        "UPDATE reports SET held_since = NULL, updated_at = $1 WHERE id = $2 AND held_since IS NOT NULL \
         AND erased_at IS NULL"
    };
    let changed = sqlx::query(sql)
        .bind(at)
        .bind(report_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let kind = if place {
        EntryKind::LegalHoldPlaced
    } else {
        EntryKind::LegalHoldLifted
    };
    let detail = serde_json::json!({ "note": note.0 }).to_string();
    let entry = ledger::append(&mut tx, at, kind, Some(report_id), actor_id, &detail).await?;
    cases::insert_note(&mut tx, note.0, report_id, entry.seq, actor_id, at, note.1).await?;
    tx.commit().await?;
    Ok(true)
}

/// Every closed case not yet erased, held ones included (the sweep counts them), oldest first.
pub async fn closed_unerased(pool: &AnyPool) -> Result<Vec<CaseRow>, sqlx::Error> {
    cases::select_where(
        pool,
        "status = $1 AND erased_at IS NULL ORDER BY received_at, id",
        Status::Closed.as_str(),
    )
    .await
}

/// What the `erased` ledger entry says: the outcome whose period ended and the day it was due. Never content.
pub struct Erasure<'a> {
    pub report_id: &'a ReportId,
    pub at: i64,
    pub outcome: &'a str,
    pub due: &'a str,
}

/// The statements of an erasure, in order: files and chunks before the messages they belong to, the report's
/// row last. Each deletes or empties what holds a key or a ciphertext of the report.
const ERASE: [&str; 9] = [
    "DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE report_id = $1)",
    "DELETE FROM attachments WHERE report_id = $1",
    "DELETE FROM messages WHERE report_id = $1",
    "DELETE FROM case_notes WHERE report_id = $1",
    "DELETE FROM key_grants WHERE report_id = $1",
    "DELETE FROM commendation_grants WHERE report_id = $1",
    "UPDATE ratings SET comment = NULL WHERE report_id = $1",
    "UPDATE commendations SET key_for_reporter = $2, evidence = NULL, reason = NULL, claim = NULL, \
     payment_reference = NULL WHERE report_id = $1",
    "UPDATE reports SET key_salt = $2, wrapped_key = $2, narrative = $2, accused = NULL, incident_date = NULL, \
     amount_vnd = NULL WHERE id = $1",
];

/// Erases a closed, unheld, unerased report: deletes its grants, messages, notes, files and the sealed parts
/// of its commendation, empties its wrapped key and sealed fields, marks it erased and appends the `erased`
/// entry, in one transaction. Returns whether it erased (not when a hold or another sweep came first).
pub async fn erase(pool: &AnyPool, erasure: &Erasure<'_>) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let marked = sqlx::query(
        "UPDATE reports SET erased_at = $1, updated_at = $1 WHERE id = $2 AND status = $3 AND erased_at IS NULL \
         AND held_since IS NULL",
    )
    .bind(erasure.at)
    .bind(erasure.report_id)
    .bind(Status::Closed.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if marked != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    erase_in(&mut tx, erasure.report_id).await?;
    let detail = serde_json::json!({ "outcome": erasure.outcome, "due": erasure.due }).to_string();
    ledger::append(
        &mut tx,
        erasure.at,
        EntryKind::Erased,
        Some(erasure.report_id),
        "system",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn erase_in(tx: &mut Tx<'_>, report_id: &ReportId) -> Result<(), sqlx::Error> {
    let empty: Vec<u8> = Vec::new();
    for sql in ERASE {
        let mut query = sqlx::query(sql).bind(report_id);
        if sql.contains("$2") {
            query = query.bind(&empty);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// After a sweep that erased: lets the freed space go where each backend allows. SQLite (with
/// `secure_delete` on, the deleted bytes are already zeroed in their pages) copies the WAL into the database
/// and truncates it, so old page images do not linger there; PostgreSQL vacuums the tables erasure touched,
/// so their dead row versions are pruned (not overwritten: see SECURITY.md). False when SQLite could not
/// finish (a reader kept an old snapshot past the busy timeout): the caller tries again later.
pub async fn reclaim(pool: &AnyPool, backend: Backend) -> Result<bool, sqlx::Error> {
    match backend {
        Backend::Sqlite => {
            // (busy, frames in the WAL, frames checkpointed): done when not busy and every frame is in.
            let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
            let (busy, log, done): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            Ok(busy == 0 && log == done)
        }
        Backend::Postgres => {
            // A plain statement (no parameters): VACUUM runs outside a transaction only.
            pool.execute(
                "VACUUM attachment_chunks, attachments, messages, case_notes, key_grants, commendation_grants, \
                 ratings, commendations, reports",
            )
            .await?;
            Ok(true)
        }
    }
}

/// Since when the server's sweep has run under `policy` (its id and version): recorded at its first run, read
/// after (by every instance alike).
pub async fn since(pool: &AnyPool, policy: &str, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO retention_state (policy, since) VALUES ($1, $2) ON CONFLICT (policy) DO NOTHING")
        .bind(policy)
        .bind(now)
        .execute(pool)
        .await?;
    sqlx::query("SELECT since FROM retention_state WHERE policy = $1")
        .bind(policy)
        .fetch_one(pool)
        .await?
        .try_get("since")
}

/// When a report was erased, if it was.
pub async fn erased_at(pool: &AnyPool, report_id: &ReportId) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT erased_at FROM reports WHERE id = $1")
        .bind(report_id)
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("erased_at")?,
        None => None,
    })
}
