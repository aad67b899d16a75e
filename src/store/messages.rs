//! Messages between the reporter and the inspectors, sealed under the report key.

use crate::domain::EntryKind;
use sqlx::{AnyPool, Row};

use super::ledger;
use crate::domain::ids::{MessageId, ReportId};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Reporter,
    Staff,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Reporter => "reporter",
            Author::Staff => "staff",
        }
    }

    fn parse(name: &str) -> Self {
        if name == "reporter" {
            Author::Reporter
        } else {
            Author::Staff
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: MessageId,
    pub report_id: ReportId,
    pub author: Author,
    pub created_at: i64,
    pub body: Vec<u8>,
}

/// Stores a message and its ledger entry (which records that a message was sent, never its content).
/// `actor` is `"reporter"` or the staff user's id.
pub async fn insert_message(pool: &AnyPool, message: &StoredMessage, actor: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    insert_in(&mut tx, message, actor).await?;
    tx.commit().await
}

/// [`insert_message`] inside the caller's transaction.
pub async fn insert_in(tx: &mut super::Tx<'_>, message: &StoredMessage, actor: &str) -> Result<(), sqlx::Error> {
    if !super::reports::lock_unerased(tx, &message.report_id).await? {
        return Err(super::reports::erased());
    }
    sqlx::query("INSERT INTO messages (id, report_id, author, created_at, body) VALUES ($1, $2, $3, $4, $5)")
        .bind(&message.id)
        .bind(&message.report_id)
        .bind(message.author.as_str())
        .bind(message.created_at)
        .bind(&message.body)
        .execute(&mut **tx)
        .await?;
    let detail = serde_json::json!({ "message": message.id }).to_string();
    ledger::append(
        tx,
        message.created_at,
        EntryKind::Message,
        Some(&message.report_id),
        actor,
        &detail,
    )
    .await?;
    Ok(())
}

/// A report's messages, oldest first.
pub async fn list_for_report(pool: &AnyPool, report_id: &ReportId) -> Result<Vec<StoredMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, report_id, author, created_at, body FROM messages WHERE report_id = $1 ORDER BY created_at, id",
    )
    .bind(report_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredMessage {
                id: super::id(row, "id")?,
                report_id: super::id(row, "report_id")?,
                author: Author::parse(&row.try_get::<String, _>("author")?),
                created_at: row.try_get("created_at")?,
                body: row.try_get("body")?,
            })
        })
        .collect()
}
