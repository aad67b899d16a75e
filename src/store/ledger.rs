//! The hash-chained ledger: appended in the same transaction as the change it records.

use serde::Serialize;
use sqlx::Row;

use super::Tx;
use crate::crypto::{entry_hash, ChainFields};

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub report_id: Option<String>,
    pub actor: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Appends an entry. The first statement updates the head row, which takes the write lock on SQLite and
/// a row lock on PostgreSQL, so concurrent appends are serialised and the chain never forks.
pub async fn append(
    tx: &mut Tx<'_>,
    at: i64,
    kind: &str,
    report_id: Option<&str>,
    actor: &str,
    detail: &str,
) -> Result<Entry, sqlx::Error> {
    let head = sqlx::query("UPDATE ledger_head SET entries = entries + 1 WHERE id = 1 RETURNING entries, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("entries")?;
    let prev_hash: String = head.try_get("hash")?;
    let hash = entry_hash(
        &prev_hash,
        &ChainFields {
            seq,
            at,
            kind,
            report_id,
            actor,
            detail,
        },
    );
    sqlx::query(
        "INSERT INTO ledger (seq, at, kind, report_id, actor, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(kind)
    .bind(report_id)
    .bind(actor)
    .bind(detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE ledger_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(Entry {
        seq,
        at,
        kind: kind.to_owned(),
        report_id: report_id.map(str::to_owned),
        actor: actor.to_owned(),
        detail: detail.to_owned(),
        prev_hash,
        hash,
    })
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        report_id: row.try_get("report_id")?,
        actor: row.try_get("actor")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, kind, report_id, actor, detail, prev_hash, hash";

/// The entries about one report, oldest first.
pub async fn list_for_report(pool: &sqlx::AnyPool, report_id: &str) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger WHERE report_id = $1 ORDER BY seq"
    ))
    .bind(report_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The entries about several reports (a queue page), oldest first.
pub async fn list_for_reports(pool: &sqlx::AnyPool, report_ids: &[&str]) -> Result<Vec<Entry>, sqlx::Error> {
    if report_ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=report_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM ledger WHERE report_id IN ({}) ORDER BY seq",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in report_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(entry_from_row).collect()
}

/// The deadlines of a report from its entries, under the deployment's policy.
pub fn deadlines_of(received_at: i64, entries: &[&Entry], now: i64) -> Vec<crate::domain::calendar::Deadline> {
    let details: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null))
        .collect();
    let events: Vec<crate::domain::deadlines::Event<'_>> = entries
        .iter()
        .zip(&details)
        .map(|(e, detail)| crate::domain::deadlines::Event {
            at: e.at,
            kind: &e.kind,
            to: detail
                .get("to")
                .or_else(|| detail.get("type"))
                .and_then(serde_json::Value::as_str),
            by_staff: e.actor != "reporter" && e.actor != "system",
        })
        .collect();
    let policy = crate::domain::policy::Policy::active();
    crate::domain::deadlines::case_deadlines(policy, received_at, &events, now)
}

/// Every entry, oldest first.
pub async fn list_all(pool: &sqlx::AnyPool) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM ledger ORDER BY seq"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The head row: number of entries and last hash.
pub async fn head(pool: &sqlx::AnyPool) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query("SELECT entries, hash FROM ledger_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok((row.try_get("entries")?, row.try_get("hash")?))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number of the first entry that does not verify (or where one is missing).
    pub seq: i64,
    pub reason: &'static str,
}

/// Recomputes the chain over `entries` (in storage order) against the head: detects an edited, reordered,
/// inserted or deleted row. Returns the number of entries checked.
pub fn verify(entries: &[Entry], head_entries: i64, head_hash: &str) -> Result<usize, Broken> {
    let mut prev = crate::crypto::GENESIS.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if entry.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq,
                reason: "an entry is missing or out of order here",
            });
        }
        if entry.prev_hash != prev {
            return Err(Broken {
                seq: entry.seq,
                reason: "it does not follow the entry before it",
            });
        }
        let fields = ChainFields {
            seq: entry.seq,
            at: entry.at,
            kind: &entry.kind,
            report_id: entry.report_id.as_deref(),
            actor: &entry.actor,
            detail: &entry.detail,
        };
        if entry_hash(&prev, &fields) != entry.hash {
            return Err(Broken {
                seq: entry.seq,
                reason: "its content does not match its hash",
            });
        }
        prev = entry.hash.clone();
    }
    let count = entries.len() as i64;
    if count != head_entries || prev != head_hash {
        return Err(Broken {
            seq: count.min(head_entries) + 1,
            reason: "the chain ends before its recorded head",
        });
    }
    Ok(entries.len())
}

/// The chain head as the public sees it: entries, last hash, time of the last entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicHead {
    pub entries: i64,
    pub hash: String,
    pub at: Option<i64>,
}

pub async fn public_head(pool: &sqlx::AnyPool) -> Result<PublicHead, sqlx::Error> {
    let (entries, hash) = head(pool).await?;
    let at: Option<i64> = sqlx::query("SELECT MAX(at) AS at FROM ledger")
        .fetch_one(pool)
        .await?
        .try_get("at")?;
    Ok(PublicHead { entries, hash, at })
}

/// Reports by status, for the public page (counts only).
pub async fn counts_by_status(pool: &sqlx::AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM reports GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Every entry about a team's reports with each report's receipt time, for on-time figures: one query.
pub async fn list_for_team(pool: &sqlx::AnyPool, team_id: &str) -> Result<Vec<(i64, Entry)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.received_at AS received_at, l.seq AS seq, l.at AS at, l.kind AS kind, l.report_id AS report_id, \
         l.actor AS actor, l.detail AS detail, l.prev_hash AS prev_hash, l.hash AS hash \
         FROM ledger l JOIN reports r ON r.id = l.report_id WHERE r.team_id = $1 ORDER BY l.report_id, l.seq",
    )
    .bind(team_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("received_at")?, entry_from_row(r)?)))
        .collect()
}
