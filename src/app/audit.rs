//! The ledger audit: the whole hash chain recomputed, and every report's clock column checked against it.

use crate::crypto::{verify_chain, ChainFields, Chained};
use crate::store::{ledger, Db};

use super::{Error, Result};

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

/// What the public transparency page shows: the chain head and aggregate counts, never a single report.
pub struct Transparency {
    pub head: crate::store::ledger::PublicHead,
    /// Reports by status.
    pub statuses: Vec<(String, i64)>,
    /// Commendations by state.
    pub commendations: Vec<(String, i64)>,
}

pub async fn transparency(db: &Db) -> Result<Transparency> {
    let pool = db.pool();
    Ok(Transparency {
        head: ledger::public_head(pool).await?,
        statuses: ledger::counts_by_status(pool).await?,
        commendations: crate::store::commendations::counts_by_status(pool).await?,
    })
}
