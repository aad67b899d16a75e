//! The ledger audit: the whole hash chain recomputed, and every report's clock column checked against it.

use crate::crypto::{verify_chain, ChainFields, Chained};
use crate::store::{ledger, Db};

use serde::{Deserialize, Serialize};

use super::{Clock, Error, Result};
use crate::domain::calendar;

/// Recomputes the whole ledger chain. Returns the number of entries checked.
pub async fn audit_verify(db: &Db) -> Result<usize> {
    let entries = ledger::list_all(db.pool()).await.map_err(|e| match &e {
        // An entry whose kind was edited into something this code never writes: the chain is broken there.
        sqlx::Error::Decode(cause) => match cause.downcast_ref::<ledger::UnknownKind>() {
            Some(unknown) => Error::LedgerBroken {
                seq: unknown.seq,
                reason: "its kind is not one this code writes",
            },
            None => e.into(),
        },
        _ => e.into(),
    })?;
    let (count, hash) = ledger::head(db.pool()).await?;
    let chained = entries.iter().map(|e| Chained {
        fields: ChainFields {
            seq: e.seq,
            at: e.at,
            kind: e.kind.as_str(),
            report_id: e.report_id.as_deref(),
            actor: &e.actor,
            detail: &e.detail,
        },
        prev_hash: &e.prev_hash,
        hash: &e.hash,
    });
    let checked = verify_chain(chained, count, &hash).map_err(|b| Error::LedgerBroken {
        seq: b.seq,
        reason: b.reason,
    })?;
    // The deadlines of queues and on-time figures read each report's clock column: it must be what the
    // (verified) ledger says.
    check_checkpoints(&entries, &ledger::checkpoints(db.pool(), -1).await?)?;
    let differing = ledger::check_clocks(db.pool(), &entries, false).await?;
    if let Some(first) = differing.first() {
        return Err(Error::ClockMismatch {
            reports: differing.len(),
            first: first.clone(),
        });
    }
    Ok(checked)
}

/// How many reports and staff accounts the database holds (a new deployment holds none).
pub async fn holdings(db: &Db) -> Result<(i64, i64)> {
    let pool = db.pool();
    Ok((
        crate::store::reports::count(pool).await?,
        crate::store::users::count(pool).await?,
    ))
}

/// The figures published with a checkpoint: counts only, of reports received and commendations opened
/// before the checkpoint's midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Reports by status.
    pub statuses: Vec<(String, i64)>,
    /// Commendations by state.
    pub commendations: Vec<(String, i64)>,
}

/// One daily checkpoint as the public page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The day in Vietnam; the chain is the one that stood at its 00:00.
    pub day: time::Date,
    pub entries: i64,
    pub hash: String,
    pub figures: Figures,
}

/// How many past checkpoints the public page lists.
pub const CHECKPOINTS_SHOWN: i64 = 31;

/// Makes today's checkpoint (the day of `clock` in Vietnam) unless it exists: the chain before today's
/// midnight and the figures of what arrived before it. Run by the server's background task, at start and
/// every few minutes after; several instances may race, one row wins. True when this call made it.
pub async fn make_checkpoint(db: &Db, clock: Clock) -> Result<bool> {
    let day = clock.today();
    let pool = db.pool();
    // The background task asks every 10 minutes; the day's checkpoint is made once, so the scan of the
    // ledger and the counts run once a day, not 144 times.
    if ledger::has_checkpoint(pool, &day.to_string()).await? {
        return Ok(false);
    }
    let midnight = day.midnight().assume_offset(calendar::VIETNAM).unix_timestamp() * 1000;
    let (entries, hash) = ledger::prefix_before(pool, midnight).await?;
    let figures = Figures {
        statuses: crate::store::figures::reports_by_status(pool, midnight).await?,
        commendations: crate::store::figures::commendations_by_status(pool, midnight).await?,
    };
    let figures = serde_json::to_string(&figures).map_err(|_| Error::Internal("a checkpoint's figures as JSON"))?;
    let checkpoint = ledger::Checkpoint {
        day: day.to_string(),
        entries,
        hash,
        figures,
    };
    Ok(ledger::insert_checkpoint(pool, &checkpoint).await?)
}

/// What the public transparency page shows: the latest checkpoints, newest first (none before the server's
/// first background run). Never a live count, never a time finer than a day.
pub async fn transparency(db: &Db) -> Result<Vec<Checkpoint>> {
    ledger::checkpoints(db.pool(), CHECKPOINTS_SHOWN)
        .await?
        .into_iter()
        .map(|c| {
            let figures =
                serde_json::from_str(&c.figures).map_err(|_| Error::Internal("a stored checkpoint's figures"))?;
            let day = time::Date::parse(&c.day, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| Error::Internal("a stored checkpoint's day"))?;
            Ok(Checkpoint {
                day,
                entries: c.entries,
                hash: c.hash,
                figures,
            })
        })
        .collect()
}

/// Every stored checkpoint must name a prefix of the (verified) chain: entry #entries has its hash.
fn check_checkpoints(entries: &[ledger::Entry], checkpoints: &[ledger::Checkpoint]) -> Result<()> {
    for c in checkpoints {
        let matches = match c.entries {
            0 => c.hash == crate::crypto::GENESIS,
            n => usize::try_from(n - 1)
                .ok()
                .and_then(|i| entries.get(i))
                .is_some_and(|e| e.seq == n && e.hash == c.hash),
        };
        if !matches {
            return Err(Error::LedgerBroken {
                seq: c.entries,
                reason: "the published checkpoint of that day does not match the chain here",
            });
        }
    }
    Ok(())
}
