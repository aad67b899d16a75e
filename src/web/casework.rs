//! Staff casework shared by the inspector pages and the staff API: who may read which case, opening it with
//! the staff member's own key grant, transitions, messages and reassignment.
//!
//! Access rule (DESIGN.md, "Who uses it"): an inspector reads the cases assigned to them, a supervisor the
//! cases of their team; admins and officers read no report content here. The rule is checked first, and the
//! report key must then open from the reader's own HPKE grant: without it nothing decrypts.

use crate::crypto::{self, ReportKey};
use crate::domain::report::parse_message;
use crate::domain::routing;
use crate::domain::staff::Role;
use crate::domain::{FieldError, Status};
use crate::store::cases::{self, CaseRow, Filter, Scope};
use crate::store::messages::{Author, StoredMessage};
use crate::store::{self, grants, users, Db};

use super::reporting::Opened;
use super::session::Staff;

/// Why casework did not happen.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    /// No such case, or not one the caller may read: the same answer, so ids cannot be probed.
    #[error("no such case")]
    NotFound,
    /// The role has no queue.
    #[error("this role has no case queue")]
    Forbidden,
    /// The caller may read the case but holds no key for it (after a password reset, before re-grant).
    #[error("no key for this case")]
    NoKey,
    #[error("invalid field {0}")]
    Invalid(&'static str, FieldError),
    /// The lifecycle forbids the transition, or another one happened first.
    #[error("conflict")]
    Conflict,
    /// An extension the policy does not allow any more: its type used up, or past the stage's cap.
    #[error("extension limit")]
    ExtensionLimit,
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("stored data does not decrypt")]
    Corrupt,
}

/// Whether `user` may read `case` under the access rule.
pub fn may_read(user: &users::User, case: &CaseRow) -> bool {
    user.active
        && match user.role {
            Role::Inspector => case.assignee_id.as_deref() == Some(user.id.as_str()),
            Role::Supervisor => user.team_id.is_some() && case.team_id == user.team_id,
            Role::Admin | Role::Officer => false,
        }
}

/// The caller's queue scope.
pub fn scope(user: &users::User) -> Result<Scope, Denied> {
    match (user.role, &user.team_id) {
        (Role::Inspector, _) => Ok(Scope::Assignee(user.id.clone())),
        (Role::Supervisor, Some(team)) => Ok(Scope::Team(team.clone())),
        _ => Err(Denied::Forbidden),
    }
}

pub const PER_PAGE: i64 = 50;

/// A page of the caller's queue and the number of pages.
pub async fn queue(db: &Db, staff: &Staff, filter: &Filter<'_>, page: i64) -> Result<(Vec<CaseRow>, i64), Denied> {
    let scope = scope(&staff.user)?;
    // Bounded, so that no page number overflows the offset.
    let page = page.clamp(1, 1_000_000);
    let (rows, total) = cases::list(db.pool(), &scope, filter, page, PER_PAGE).await?;
    Ok((rows, ((total + PER_PAGE - 1) / PER_PAGE).max(1)))
}

/// The case and its key, if the caller may read it.
pub async fn open_case(db: &Db, staff: &Staff, id: &str) -> Result<(CaseRow, Opened), Denied> {
    let case = cases::find(db.pool(), id).await?.ok_or(Denied::NotFound)?;
    if !may_read(&staff.user, &case) {
        return Err(Denied::NotFound);
    }
    let grant = grants::find_grant(db.pool(), id, &staff.user.id)
        .await?
        .ok_or(Denied::NoKey)?;
    let key = crypto::open_grant(&grant, &staff.private_key, id, &staff.user.id).map_err(|_| Denied::NoKey)?;
    let report = store::reports::find_by_id(db.pool(), id)
        .await?
        .ok_or(Denied::NotFound)?;
    if matches!(
        case.status.as_str(),
        "substantiated" | "partially_substantiated" | "closed"
    ) {
        // A reader of the report can open its commendation key: pass it to officers who have none.
        super::commendations::heal_with_report_key(db, &key, id)
            .await
            .map_err(|f| match f {
                super::reporting::Failure::Storage(e) => Denied::Storage(e),
                _ => Denied::Corrupt,
            })?;
    }
    Ok((case, Opened::with_key(report, key)))
}

fn check_reason(reason: Option<&str>) -> Result<String, Denied> {
    parse_message(reason).map_err(|e| Denied::Invalid("reason", e))
}

/// Moves a case through the lifecycle. Exactly one of two concurrent transitions from the same state wins.
pub async fn transition(
    db: &Db,
    staff: &Staff,
    id: &str,
    to: Option<&str>,
    reason: Option<&str>,
) -> Result<Status, Denied> {
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        None => return Err(Denied::Invalid("to", FieldError::Required)),
        Some(name) => Status::parse(name).ok_or(Denied::Invalid("to", FieldError::UnknownStatus))?,
    };
    let reason = check_reason(reason)?;
    let (case, opened) = open_case(db, staff, id).await?;
    let from = Status::parse(&case.status).ok_or(Denied::Corrupt)?;
    if !from.can_become(to) {
        return Err(Denied::Conflict);
    }
    let note_id = crypto::random_id();
    let sealed = crypto::seal(opened.key(), &[id, "note", &note_id], reason.as_bytes());
    // A request for more information reaches the reporter, in the same transaction: its reason is the
    // question they read.
    let question = (to == Status::InfoRequested).then(|| staff_message(&opened, &reason));
    // A substantiated conclusion opens the commendation, in the same transaction.
    let opening = if crate::domain::commendation::OPENING_CONCLUSIONS.contains(&to.as_str()) {
        Some(super::commendations::opening(db, opened.key(), id).await?)
    } else {
        None
    };
    let moved = cases::transition(
        db.pool(),
        &cases::Transition {
            report_id: id,
            from: from.as_str(),
            to: to.as_str(),
            actor_id: &staff.user.id,
            at: store::now_millis(),
            note_id: &note_id,
            sealed_reason: &sealed,
            message: question.as_ref(),
            opening: opening.as_ref(),
        },
    )
    .await?;
    if !moved {
        return Err(Denied::Conflict);
    }
    Ok(to)
}

/// A message from staff to the reporter, sealed under the report key.
fn staff_message(opened: &Opened, body: &str) -> StoredMessage {
    let id = &opened.report.id;
    let message_id = crypto::random_id();
    StoredMessage {
        body: crypto::seal(opened.key(), &[id, "message", &message_id], body.as_bytes()),
        id: message_id,
        report_id: id.clone(),
        author: Author::Staff,
        created_at: store::now_millis(),
    }
}

/// Sends a message to the reporter, sealed under the report key.
pub async fn message(db: &Db, staff: &Staff, id: &str, body: Option<&str>) -> Result<(), Denied> {
    let body = parse_message(body).map_err(|e| Denied::Invalid("body", e))?;
    let (_, opened) = open_case(db, staff, id).await?;
    store::messages::insert_message(db.pool(), &staff_message(&opened, &body), &staff.user.id).await?;
    Ok(())
}

/// A supervisor gives a case of their team to another active inspector of the team (never one from the
/// reported unit): the new assignee gets a grant, the previous one loses theirs.
pub async fn reassign(db: &Db, staff: &Staff, id: &str, assignee: Option<&str>) -> Result<(), Denied> {
    let username = assignee.ok_or(Denied::Invalid("assignee", FieldError::Required))?;
    let (case, opened) = open_case(db, staff, id).await?;
    if staff.user.role != Role::Supervisor {
        return Err(Denied::Forbidden);
    }
    let next = users::find_by_username(db.pool(), username.trim())
        .await?
        .filter(|u| u.active && u.role == Role::Inspector && u.team_id == case.team_id)
        .ok_or(Denied::Invalid("assignee", FieldError::UnknownAssignee))?;
    let candidate = routing::Candidate {
        user_id: next.id.clone(),
        home_unit: next.home_unit_id.clone(),
        open_cases: 0,
    };
    if routing::choose_assignee(std::slice::from_ref(&candidate), &case.unit_id).is_none() {
        return Err(Denied::Invalid("assignee", FieldError::AssigneeFromUnit));
    }
    let grant = crypto::grant(opened.key(), &next.public_key, id, &next.id).map_err(|_| Denied::Corrupt)?;
    let at = store::now_millis();
    let moved = cases::reassign(
        db.pool(),
        id,
        case.assignee_id.as_deref(),
        &next.id,
        &grant,
        &staff.user.id,
        at,
    )
    .await?;
    if moved {
        Ok(())
    } else {
        Err(Denied::Conflict)
    }
}

/// The decrypted reasons of a case's transitions, by ledger sequence number.
pub async fn notes(db: &Db, id: &str, key: &ReportKey) -> Result<Vec<(i64, String)>, Denied> {
    let notes = cases::list_notes(db.pool(), id).await?;
    notes
        .iter()
        .map(|n| {
            let plain = crypto::open(key, &[id, "note", &n.id], &n.body).map_err(|_| Denied::Corrupt)?;
            Ok((n.ledger_seq, String::from_utf8_lossy(&plain).into_owned()))
        })
        .collect()
}

/// The next deadline of each case of a queue page, from the clock entries the queue read with each row.
pub fn next_deadlines(
    rows: &[CaseRow],
    now: i64,
) -> std::collections::HashMap<String, crate::domain::calendar::Deadline> {
    rows.iter()
        .filter_map(|row| {
            let all = store::ledger::deadlines_of_clock(row.received_at, &row.clock, now);
            crate::domain::deadlines::next(&all).map(|next| (row.id.clone(), *next))
        })
        .collect()
}

/// A supervisor extends a case's resolution (`complex` or `very_complex`, with a reason), within the
/// policy's count and cap; the extension is a ledger event of its own, its reason sealed.
pub async fn extend(db: &Db, staff: &Staff, id: &str, kind: Option<&str>, reason: Option<&str>) -> Result<(), Denied> {
    use crate::domain::policy::{Policy, PolicyError};
    let kind = kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(Denied::Invalid("type", FieldError::Required))?;
    let reason = check_reason(reason)?;
    let (case, opened) = open_case(db, staff, id).await?;
    if staff.user.role != Role::Supervisor {
        return Err(Denied::Forbidden);
    }
    let entries = store::ledger::list_for_report(db.pool(), id).await?;
    let accepted = entries
        .iter()
        .find(|e| e.kind == "transition" && e.detail.contains("\"to\":\"accepted\""))
        .map(|e| e.at);
    let running = matches!(case.status.as_str(), "accepted" | "investigating" | "info_requested");
    let Some(accepted) = accepted.filter(|_| running) else {
        return Err(Denied::Conflict);
    };
    let mut kinds: Vec<String> = entries
        .iter()
        .filter(|e| e.kind == "extension")
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok())
        .filter_map(|d| d["type"].as_str().map(str::to_owned))
        .collect();
    kinds.push(kind.to_owned());
    let refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
    match Policy::active().due("resolution", crate::domain::calendar::local_date(accepted), &refs) {
        Ok(_) => {}
        Err(PolicyError::UnknownExtension { .. }) => return Err(Denied::Invalid("type", FieldError::UnknownStatus)),
        Err(PolicyError::TooManyExtensions { .. } | PolicyError::PastCap { .. }) => return Err(Denied::ExtensionLimit),
        Err(_) => return Err(Denied::Conflict),
    }
    let note_id = crypto::random_id();
    let sealed = crypto::seal(opened.key(), &[id, "note", &note_id], reason.as_bytes());
    let detail = serde_json::json!({ "stage": "resolution", "type": kind, "note": note_id }).to_string();
    let at = store::now_millis();
    cases::add_event(
        db.pool(),
        id,
        "extension",
        &staff.user.id,
        at,
        &detail,
        Some((&note_id, &sealed)),
    )
    .await?;
    Ok(())
}

/// Raises an escalation (a ledger entry the supervisor sees in the timeline) for every case whose
/// resolution is overdue and not yet escalated (Law on Denunciation Art. 38). Returns how many were raised.
pub async fn escalate_overdue(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let mut raised = 0;
    for case in cases::list_resolving_unescalated(db.pool()).await? {
        let deadlines = store::ledger::deadlines_of_clock(case.received_at, &case.clock, now);
        let overdue = deadlines
            .iter()
            .find(|d| d.stage == "resolution" && d.state == crate::domain::calendar::DeadlineState::Overdue);
        if let Some(d) = overdue {
            let detail = serde_json::json!({ "stage": "resolution", "due": d.due.to_string(), "team": case.team_id })
                .to_string();
            cases::add_event(db.pool(), &case.id, "escalation", "system", now, &detail, None).await?;
            raised += 1;
        }
    }
    Ok(raised)
}

/// On-time figures per stage over every case of the supervisor's team, as of `now`.
pub async fn team_on_time(
    db: &Db,
    staff: &Staff,
    now: i64,
) -> Result<(usize, Vec<(&'static str, crate::domain::deadlines::OnTime)>), Denied> {
    let team = match (staff.user.role, &staff.user.team_id) {
        (Role::Supervisor, Some(team)) => team,
        _ => return Err(Denied::Forbidden),
    };
    let clocks = store::ledger::team_clocks(db.pool(), team).await?;
    // A few hundred milliseconds of CPU over 100 000 cases: off the async workers.
    tokio::task::spawn_blocking(move || store::ledger::on_time_of(&clocks.cases(), now))
        .await
        .map_err(|_| Denied::Corrupt)
}
