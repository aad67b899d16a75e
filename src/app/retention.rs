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
    /// The day it was due, in Vietnam's time (the calendar the deadlines use).
    pub due: time::Date,
}

/// Who runs a sweep, and how far it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The operator's command: every report due is erased.
    Operator,
    /// The operator's command with `--dry-run`: nothing changes, the reports due are named.
    DryRun,
    /// The server's background task: only reports whose day came on or after the day the server's sweep
    /// began under this policy (its id and version); older ones are a backlog left to the operator, so that
    /// an upgrade, or a policy with shorter periods, never erases old reports by itself at first start.
    Server,
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
    /// Closed with a commendation that still waits for the officer: the period has not started.
    pub awaiting_commendation: usize,
    /// The policy has no retention schedule: nothing is erased.
    pub kept: usize,
    /// (The server's sweep) past their period since before the server's sweep began under this policy: left
    /// for the operator to review and erase with `minhbach retention run`.
    pub backlog: usize,
    /// After erasing: whether the freed space was reclaimed (SQLite's WAL truncated, PostgreSQL vacuumed);
    /// `None` when nothing was erased.
    pub reclaimed: Option<bool>,
}

/// Erases every closed, unheld report whose retention period ended by `clock`'s day, as `mode` allows;
/// `progress` is told (done, total) as the sweep goes. Each erasure is its own transaction, so a sweep stopped
/// half-way leaves every report either whole or erased.
pub async fn sweep(db: &Db, clock: Clock, mode: Mode, mut progress: impl FnMut(usize, usize)) -> Result<Sweep> {
    let now = clock.millis();
    let policy = crate::domain::policy::Policy::active();
    let backlog_before = match mode {
        Mode::Server => {
            let key = format!("{} {}", policy.policy.id, policy.policy.version);
            Some(local_date(store::retention::since(db.pool(), &key, now).await?))
        }
        Mode::Operator | Mode::DryRun => None,
    };
    let cases = store::retention::closed_unerased(db.pool()).await?;
    let mut sweep = Sweep {
        looked_at: cases.len(),
        ..Sweep::default()
    };
    for (done, case) in cases.iter().enumerate() {
        progress(done, cases.len());
        match case.retention() {
            due @ Retention::Due { outcome, erase_on, .. } if due.is_due(now) => {
                if case.held_since.is_some() {
                    sweep.held += 1;
                    continue;
                }
                if backlog_before.is_some_and(|day| erase_on < day) {
                    sweep.backlog += 1;
                    continue;
                }
                let erased = mode == Mode::DryRun
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
    if mode != Mode::DryRun && !sweep.erased.is_empty() {
        sweep.reclaimed = Some(reclaim(db).await?);
    }
    Ok(sweep)
}

/// Reclaims the space erasure freed (see `store::retention::reclaim`), trying three times a second apart
/// while SQLite's readers keep it from finishing. False if it could not: the server tries again at its next
/// sweep.
pub async fn reclaim(db: &Db) -> Result<bool> {
    for attempt in 0..3 {
        if store::retention::reclaim(db.pool(), db.backend()).await? {
            return Ok(true);
        }
        if attempt < 2 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
    Ok(false)
}

/// The server's sweep between its runs: what it last said of the backlog (said once per change, not every
/// 10 minutes), and whether the space of an earlier erasure is still to be reclaimed.
#[derive(Debug, Default)]
pub struct ServerSweep {
    backlog_told: usize,
    reclaim_pending: bool,
}

impl ServerSweep {
    /// One run of the background task's sweep, its outcome logged (counts only, never an id).
    pub async fn run(&mut self, db: &Db, clock: Clock) {
        let sweep = match sweep(db, clock, Mode::Server, |_, _| {}).await {
            Ok(sweep) => sweep,
            Err(e) => {
                tracing::warn!(error = %e, "retention sweep failed");
                return;
            }
        };
        if !sweep.erased.is_empty() {
            tracing::info!(
                erased = sweep.erased.len(),
                held = sweep.held,
                "retention sweep erased reports"
            );
        }
        if sweep.backlog > 0 && sweep.backlog != self.backlog_told {
            tracing::warn!(
                reports = sweep.backlog,
                "closed reports were already past their retention period when this policy's sweep began here; \
                 the server leaves them: review them (legal holds), then erase them with `minhbach retention run`"
            );
        }
        self.backlog_told = sweep.backlog;
        self.reclaim_pending = match sweep.reclaimed {
            Some(done) => !done,
            None if self.reclaim_pending => !reclaim(db).await.unwrap_or(false),
            None => false,
        };
        if self.reclaim_pending {
            tracing::warn!("the space of erased reports is not reclaimed yet (the WAL is in use): retrying next run");
        }
    }
}
