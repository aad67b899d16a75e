//! The hash-chained ledger: appended in the same transaction as the change it records.

use serde::Serialize;
use sqlx::Row;

use super::Tx;
use crate::crypto::{entry_hash, ChainFields};
use crate::domain::clock::clock_fragment;
use crate::domain::ids::{ReportId, TeamId};
use crate::domain::EntryKind;

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub kind: EntryKind,
    pub report_id: Option<String>,
    pub actor: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Appends an entry. What follows the report (its clock column, its team's on-time cells, its
/// commendation's place in the officer's queue) is written first, under the report's row lock the caller's
/// own update took; then the head row is updated, which takes the write lock on SQLite and a row lock on
/// PostgreSQL, so concurrent appends are serialised and the chain never forks.
pub async fn append(
    tx: &mut Tx<'_>,
    at: i64,
    kind: EntryKind,
    report_id: Option<&str>,
    actor: &str,
    detail: &str,
) -> Result<Entry, sqlx::Error> {
    let fragment = report_id.and_then(|_| clock_fragment(at, kind, actor, detail));
    if let (Some(id), Some(fragment)) = (report_id, &fragment) {
        sqlx::query("UPDATE reports SET clock = clock || $1 WHERE id = $2")
            .bind(fragment)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        // The team's on-time cells follow the clock in the same transaction, as of now (a back-dated step
        // of `minhbach demo` is counted as it stands today).
        super::on_time::recount_in(tx, id, super::now_millis().max(at)).await?;
    }
    // So does its commendation's place in the officer's queue, with each of its steps.
    if let (Some(id), true) = (report_id, fragment.is_some() || kind.is_commendation()) {
        super::commendations::place_in(tx, id).await?;
    }
    // The head row last: its lock is held from here to the commit, so the less comes after it, the more
    // appends a second the chain takes (docs/scaling.md).
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
            kind: kind.as_str(),
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
    .bind(kind.as_str())
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
        kind,
        report_id: report_id.map(str::to_owned),
        actor: actor.to_owned(),
        detail: detail.to_owned(),
        prev_hash,
        hash,
    })
}

/// A stored kind this code does not know: the entry it is in, for `audit verify` to name.
#[derive(Debug, thiserror::Error)]
#[error("unknown ledger kind {name:?} at entry #{seq}")]
pub struct UnknownKind {
    pub seq: i64,
    pub name: String,
}

/// A stored kind, decoded where the row is read: one this code does not know is a decode error naming the
/// entry, never a default.
fn decode_kind(seq: i64, name: String) -> Result<EntryKind, sqlx::Error> {
    EntryKind::parse(&name).ok_or_else(|| sqlx::Error::Decode(Box::new(UnknownKind { seq, name })))
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    let seq = row.try_get("seq")?;
    Ok(Entry {
        seq,
        at: row.try_get("at")?,
        kind: decode_kind(seq, row.try_get("kind")?)?,
        report_id: row.try_get("report_id")?,
        actor: row.try_get("actor")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, kind, report_id, actor, detail, prev_hash, hash";

/// The entries about one report, oldest first.
pub async fn list_for_report(pool: &sqlx::AnyPool, report_id: &ReportId) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger WHERE report_id = $1 ORDER BY seq"
    ))
    .bind(report_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// Up to `limit` entries after `seq`, oldest first (the notifier reads the ledger this way).
pub async fn list_after(pool: &sqlx::AnyPool, seq: i64, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
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

/// The chain as it stood before `cutoff` (UTC ms): the prefix of entries before the first one written at or
/// after it (all of them when there is none), as its length and last hash. The same answer whenever it is
/// asked, since entries are only appended.
pub async fn prefix_before(pool: &sqlx::AnyPool, cutoff: i64) -> Result<(i64, String), sqlx::Error> {
    let first_after: Option<i64> = sqlx::query("SELECT MIN(seq) AS first FROM ledger WHERE at >= $1")
        .bind(cutoff)
        .fetch_one(pool)
        .await?
        .try_get("first")?;
    let entries: i64 = match first_after {
        Some(first) => first - 1,
        None => sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM ledger")
            .fetch_one(pool)
            .await?
            .try_get("last")?,
    };
    if entries == 0 {
        return Ok((0, crate::crypto::GENESIS.to_owned()));
    }
    let hash = sqlx::query("SELECT hash FROM ledger WHERE seq = $1")
        .bind(entries)
        .fetch_one(pool)
        .await?
        .try_get("hash")?;
    Ok((entries, hash))
}

/// One published checkpoint: the chain at a day's midnight and the figures published with it (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub day: String,
    pub entries: i64,
    pub hash: String,
    pub figures: String,
}

/// Whether `day` (`YYYY-MM-DD`) has its checkpoint already.
pub async fn has_checkpoint(pool: &sqlx::AnyPool, day: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 AS one FROM ledger_checkpoints WHERE day = $1")
        .bind(day)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}

/// Stores a checkpoint unless the day has one (another instance, or an earlier run, made it first). True
/// when this call stored it.
pub async fn insert_checkpoint(pool: &sqlx::AnyPool, checkpoint: &Checkpoint) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO ledger_checkpoints (day, entries, hash, figures) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (day) DO NOTHING",
    )
    .bind(&checkpoint.day)
    .bind(checkpoint.entries)
    .bind(&checkpoint.hash)
    .bind(&checkpoint.figures)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The latest `limit` checkpoints, newest first (`limit` < 0: all of them).
pub async fn checkpoints(pool: &sqlx::AnyPool, limit: i64) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows = sqlx::query("SELECT day, entries, hash, figures FROM ledger_checkpoints ORDER BY day DESC LIMIT $1")
        .bind(if limit < 0 { i64::MAX } else { limit })
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Checkpoint {
                day: r.try_get("day")?,
                entries: r.try_get("entries")?,
                hash: r.try_get("hash")?,
                figures: r.try_get("figures")?,
            })
        })
        .collect()
}

/// Every report of a team with its receipt time and `clock` column, for the on-time figures. The database
/// joins them into one text (`received_at|clock#…`): one row to transfer instead of one per case, which
/// over 100 000 cases is most of the time saved.
pub struct TeamClocks(String);

pub async fn team_clocks(pool: &sqlx::AnyPool, team_id: &TeamId) -> Result<TeamClocks, sqlx::Error> {
    let row =
        sqlx::query("SELECT string_agg(received_at || '|' || clock, '#') AS clocks FROM reports WHERE team_id = $1")
            .bind(team_id)
            .fetch_one(pool)
            .await?;
    Ok(TeamClocks::from_text(row.try_get("clocks")?))
}

impl TeamClocks {
    /// The joined text as the query returns it (none when no report matched).
    pub(crate) fn from_text(clocks: Option<String>) -> Self {
        TeamClocks(clocks.unwrap_or_default())
    }

    /// (receipt time, clock) per case. A malformed part (none is written) is skipped.
    pub fn cases(&self) -> Vec<(i64, &str)> {
        self.0
            .split_terminator('#')
            .filter_map(|case| {
                let (received_at, clock) = case.split_once('|')?;
                Some((received_at.parse().ok()?, clock))
            })
            .collect()
    }
}

/// Recomputes every report's `clock` from the ledger; returns the ids whose stored clock differs (a
/// tampered or stale projection). With `repair`, rewrites them.
pub async fn check_clocks(pool: &sqlx::AnyPool, entries: &[Entry], repair: bool) -> Result<Vec<String>, sqlx::Error> {
    let mut expected: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for e in entries {
        if let (Some(id), Some(fragment)) = (
            e.report_id.as_deref(),
            clock_fragment(e.at, e.kind, &e.actor, &e.detail),
        ) {
            expected.entry(id).or_default().push_str(&fragment);
        }
    }
    let rows = sqlx::query("SELECT id, clock FROM reports").fetch_all(pool).await?;
    let mut differing = Vec::new();
    for row in &rows {
        let (id, clock): (String, String) = (row.try_get("id")?, row.try_get("clock")?);
        let want = expected.get(id.as_str()).map_or("", String::as_str);
        if clock != want {
            if repair {
                sqlx::query("UPDATE reports SET clock = $1, recount_at = 0 WHERE id = $2")
                    .bind(want)
                    .bind(&id)
                    .execute(pool)
                    .await?;
            }
            differing.push(id);
        }
    }
    Ok(differing)
}
