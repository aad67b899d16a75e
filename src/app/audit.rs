//! The ledger audit: the whole hash chain recomputed, and every report's clock column checked against it.

use crate::crypto::{verify_chain, ChainFields, Chained};
use crate::store::{ledger, Db};

use super::{Clock, Error, Result};
use crate::domain::calendar;
use crate::domain::figures::{self, PublicFigures};

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

/// One daily checkpoint as the public page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The day in Vietnam; the chain is the one that stood at its 00:00.
    pub day: time::Date,
    pub entries: i64,
    pub hash: String,
}

/// The public page: the latest checkpoints, newest first, and the figures made with the latest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transparency {
    pub checkpoints: Vec<Checkpoint>,
    pub figures: PublicFigures,
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
    let midnight = calendar::midnight_millis(day);
    let (entries, hash) = ledger::prefix_before(pool, midnight).await?;
    let figures = public_figures(db, midnight).await?;
    let figures = serde_json::to_string(&figures).map_err(|_| Error::Internal("a checkpoint's figures as JSON"))?;
    let checkpoint = ledger::Checkpoint {
        day: day.to_string(),
        entries,
        hash,
        figures,
    };
    Ok(ledger::insert_checkpoint(pool, &checkpoint).await?)
}

/// The public figures of what happened before `cutoff` (UTC ms): a few hundred milliseconds of work over
/// 100 000 reports, done once a day, off the async workers.
pub async fn public_figures(db: &Db, cutoff: i64) -> Result<PublicFigures> {
    let pool = db.pool();
    let clocks = crate::store::figures::clocks_before(pool, cutoff).await?;
    let commendations = crate::store::figures::commendation_times(pool, cutoff).await?;
    let ratings = crate::store::ratings::before(pool, cutoff).await?;
    tokio::task::spawn_blocking(move || figures::public_figures(&clocks.cases(), &commendations, &ratings, cutoff))
        .await
        .map_err(|_| Error::Corrupt("public figures"))
}

/// What the public transparency page shows: the latest checkpoints, newest first (none before the server's
/// first background run), and the figures of the latest. Never a live count, never a time finer than a day.
/// A checkpoint made before the figures were per quarter has none (`PublicFigures::default`).
pub async fn transparency(db: &Db) -> Result<Transparency> {
    let stored = ledger::checkpoints(db.pool(), CHECKPOINTS_SHOWN).await?;
    let figures = match stored.first() {
        Some(latest) => {
            serde_json::from_str(&latest.figures).map_err(|_| Error::Internal("a stored checkpoint's figures"))?
        }
        None => PublicFigures::default(),
    };
    let checkpoints = stored
        .into_iter()
        .map(|c| {
            let day = time::Date::parse(&c.day, time::macros::format_description!("[year]-[month]-[day]"))
                .map_err(|_| Error::Internal("a stored checkpoint's day"))?;
            Ok(Checkpoint {
                day,
                entries: c.entries,
                hash: c.hash,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Transparency { checkpoints, figures })
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
