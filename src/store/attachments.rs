//! Evidence files: a row each (sealed description, STREAM nonce prefix, chunk count) and their sealed
//! chunks in order. Written with their report or reply in one transaction, read one chunk at a time.

use sqlx::{AnyPool, Row};

use super::{ledger, Tx};
use crate::domain::EntryKind;

/// A sealed file to store: its chunks come from an iterator (the sealer), one at a time.
pub struct NewAttachment<I> {
    pub id: String,
    /// Its place among the files sent together.
    pub position: i64,
    pub message_id: Option<String>,
    pub meta: Vec<u8>,
    pub nonce: Vec<u8>,
    pub chunks: I,
}

/// A stored file's row, without its chunks.
#[derive(Debug, Clone)]
pub struct StoredAttachment {
    pub id: String,
    pub report_id: String,
    pub message_id: Option<String>,
    pub created_at: i64,
    pub meta: Vec<u8>,
    pub nonce: Vec<u8>,
    pub chunks: i64,
}

/// Stores one file and its `attachment_added` entry inside the caller's transaction; the chunks are
/// written as the iterator yields them, so only one is in memory at a time.
pub async fn insert_in<I: Iterator<Item = Vec<u8>>>(
    tx: &mut Tx<'_>,
    report_id: &str,
    at: i64,
    actor: &str,
    attachment: NewAttachment<I>,
) -> Result<(), sqlx::Error> {
    if !super::reports::lock_unerased(tx, report_id).await? {
        return Err(super::reports::erased());
    }
    sqlx::query(
        "INSERT INTO attachments (id, report_id, message_id, created_at, position, meta, nonce, chunks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
    )
    .bind(&attachment.id)
    .bind(report_id)
    .bind(&attachment.message_id)
    .bind(at)
    .bind(attachment.position)
    .bind(&attachment.meta)
    .bind(&attachment.nonce)
    .execute(&mut **tx)
    .await?;
    let mut count: i64 = 0;
    for chunk in attachment.chunks {
        sqlx::query("INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, $3)")
            .bind(&attachment.id)
            .bind(count)
            .bind(chunk)
            .execute(&mut **tx)
            .await?;
        count += 1;
    }
    sqlx::query("UPDATE attachments SET chunks = $1 WHERE id = $2")
        .bind(count)
        .bind(&attachment.id)
        .execute(&mut **tx)
        .await?;
    let detail = serde_json::json!({ "attachment": attachment.id, "message": attachment.message_id }).to_string();
    ledger::append(tx, at, EntryKind::AttachmentAdded, Some(report_id), actor, &detail).await?;
    Ok(())
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredAttachment, sqlx::Error> {
    Ok(StoredAttachment {
        id: row.try_get("id")?,
        report_id: row.try_get("report_id")?,
        message_id: row.try_get("message_id")?,
        created_at: row.try_get("created_at")?,
        meta: row.try_get("meta")?,
        nonce: row.try_get("nonce")?,
        chunks: row.try_get("chunks")?,
    })
}

const COLUMNS: &str = "id, report_id, message_id, created_at, meta, nonce, chunks";

/// A report's files, oldest first.
pub async fn list_for_report(pool: &AnyPool, report_id: &str) -> Result<Vec<StoredAttachment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE report_id = $1 ORDER BY created_at, position");
    let rows = sqlx::query(&sql).bind(report_id).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// One file of one report.
pub async fn find(pool: &AnyPool, report_id: &str, id: &str) -> Result<Option<StoredAttachment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE report_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(report_id).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(from_row).transpose()
}

/// Chunk `seq` of a file, if it is stored.
pub async fn chunk(pool: &AnyPool, id: &str, seq: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
        .bind(id)
        .bind(seq)
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get("data")).transpose()
}

/// Records that `actor` downloaded a file (who, which file: never its content).
pub async fn record_download(
    pool: &AnyPool,
    report_id: &str,
    id: &str,
    actor: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let detail = serde_json::json!({ "attachment": id }).to_string();
    ledger::append(
        &mut tx,
        at,
        EntryKind::AttachmentDownloaded,
        Some(report_id),
        actor,
        &detail,
    )
    .await?;
    tx.commit().await
}
