//! Retention (issue 12): a supervisor's legal hold, and the sweep that erases closed reports whose period
//! under the policy ended, by crypto-shredding. Run by the server's background task and by
//! `minhbach retention run [--dry-run]`.
//!
//! Erasure deletes every key that opens the report (the code-wrapped key, the staff and recovery grants,
//! the commendation's grants and its key sealed for the reporter) and every ciphertext (fields, messages,
//! notes, evidence files, the claim), and keeps a content-free stub: category, unit, team, assignee, status,
//! times and the deadline clock, so that on-time figures, transparency counts and the ledger stay whole.

use crate::crypto::{self, aad};
use crate::domain::calendar::local_date;
use crate::domain::ids::{NoteId, ReportId};
use crate::domain::retention::{Outcome, Retention};
use crate::domain::FieldError;
use crate::store::{self, Db};

use super::casework::{check_reason, open_case, supervisor_only};
use super::{Actor, Clock, Error, Result};

/// A supervisor places (`hold` = `place`) or lifts (`lift`) a legal hold on a case of their team, with a
/// reason sealed under the report key; a ledger entry either way. A held case is never erased, whatever its
/// period. Placing a hold on a held case, or lifting none, is a conflict. Returns whether the case is held.
pub async fn set_hold(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    hold: Option<&str>,
    reason: Option<&str>,
) -> Result<bool> {
    supervisor_only(db, actor, id).await?;
    let place = match hold.map(str::trim) {
        None | Some("") => return Err(Error::Invalid("hold", FieldError::Required)),
        Some("place") => true,
        Some("lift") => false,
        Some(_) => return Err(Error::Invalid("hold", FieldError::UnknownHoldAction)),
    };
    let reason = check_reason(reason)?;
    let (_, opened) = open_case(db, actor, id).await?;
    let note_id = NoteId::new(crypto::random_id());
    let sealed = crypto::seal(opened.key(), &aad::note(id, &note_id), reason.as_bytes());
    let changed = store::retention::set_hold(
        db.pool(),
        id,
        place,
        &actor.user.id,
        clock.millis(),
        (&note_id, &sealed),
    )
    .await?;
    if changed {
        Ok(place)
    } else {
        Err(Error::Conflict)
    }
}

/// One report the sweep erased (or, on a dry run, would erase).
#[derive(Debug, Clone)]
pub struct Erased {
    pub id: ReportId,
    pub outcome: Outcome,
    /// The day it was due, in the policy's time zone.
    pub due: time::Date,
}

/// What a sweep found among the closed reports not yet erased.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    pub looked_at: usize,
    pub erased: Vec<Erased>,
    /// Past their period, but kept by a legal hold.
    pub held: usize,
    /// Their period has not ended.
    pub not_due: usize,
    /// Closed with a commendation still open: the period has not started.
    pub awaiting_commendation: usize,
    /// The policy has no retention schedule: nothing is erased.
    pub kept: usize,
}

/// Erases every closed, unheld report whose retention period ended by `clock`'s day; with `dry_run`, only
/// says which. `progress` is told (done, total) as the sweep goes. Each erasure is its own transaction, so
/// a sweep stopped half-way leaves every report either whole or erased.
pub async fn sweep(db: &Db, clock: Clock, dry_run: bool, mut progress: impl FnMut(usize, usize)) -> Result<Sweep> {
    let now = clock.millis();
    let cases = store::retention::closed_unerased(db.pool()).await?;
    let mut sweep = Sweep {
        looked_at: cases.len(),
        ..Sweep::default()
    };
    for (done, case) in cases.iter().enumerate() {
        progress(done, cases.len());
        match case.retention() {
            Retention::Due { outcome, erase_on, .. } if local_date(now) >= erase_on => {
                if case.held_since.is_some() {
                    sweep.held += 1;
                    continue;
                }
                let erased = dry_run
                    || store::retention::erase(
                        db.pool(),
                        &store::retention::Erasure {
                            report_id: &case.id,
                            at: now,
                            outcome: outcome.as_str(),
                            due: &erase_on.to_string(),
                        },
                    )
                    .await?;
                if erased {
                    sweep.erased.push(Erased {
                        id: case.id.clone(),
                        outcome,
                        due: erase_on,
                    });
                }
            }
            Retention::Due { .. } | Retention::Open => sweep.not_due += 1,
            Retention::AwaitingCommendation => sweep.awaiting_commendation += 1,
            Retention::Kept => sweep.kept += 1,
        }
    }
    progress(cases.len(), cases.len());
    if !dry_run && !sweep.erased.is_empty() {
        store::retention::reclaim(db.pool(), db.backend()).await?;
    }
    Ok(sweep)
}
