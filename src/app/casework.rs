//! Casework: the queue, opening a case with the staff member's own key grant, transitions, messages,
//! reassignment, extensions, the escalation sweep and the team's on-time figures.
//!
//! Access rule (DESIGN.md, "Who uses it"): an inspector reads the cases assigned to them, a supervisor the
//! cases of their team; admins and officers read no report content here. The rule is checked first, and the
//! report key must then open from the reader's own HPKE grant: without it nothing decrypts.

use crate::crypto::{self, aad, ReportKey};
use crate::domain::ids::{MessageId, NoteId, ReportId, UserId};
use crate::domain::report::parse_message;
use crate::domain::routing;
use crate::domain::staff::Role;
use crate::domain::{EntryKind, FieldError, Stage, Status};
use crate::store::cases::{self, CaseRow, Filter, Scope};
use crate::store::messages::{Author, StoredMessage};
use crate::store::{self, grants, users, Db};

pub use super::paging::PageRequest;
use super::paging::Paged;
use super::reporting::Opened;
use super::{Actor, Clock, Error, Result};

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
pub fn scope(user: &users::User) -> Result<Scope> {
    match (user.role, &user.team_id) {
        (Role::Inspector, _) => Ok(Scope::Assignee(user.id.clone())),
        (Role::Supervisor, Some(team)) => Ok(Scope::Team(team.clone())),
        _ => Err(Error::Forbidden),
    }
}

pub const PER_PAGE: i64 = 50;

/// A page of a queue of cases.
pub type QueuePage = Paged<CaseRow>;

/// A page of the caller's queue.
pub async fn queue(db: &Db, actor: &Actor, filter: &Filter<'_>, request: PageRequest<'_>) -> Result<QueuePage> {
    let scope = scope(&actor.user)?;
    let cursor = request.cursor(1, PER_PAGE)?;
    let found = cases::list(db.pool(), &scope, filter, &cursor, PER_PAGE).await?;
    Ok(request.paged(found, PER_PAGE, cases::key_of))
}

/// A supervisor's action, checked before any key is opened. Anyone else gets the answer the access rule
/// gives: "no such case" for a case they may not read, "forbidden" for one they may.
pub(super) async fn supervisor_only(db: &Db, actor: &Actor, id: &ReportId) -> Result<()> {
    if actor.as_role(Role::Supervisor).is_ok() {
        return Ok(());
    }
    match cases::find(db.pool(), id).await? {
        Some(case) if may_read(&actor.user, &case) => Err(Error::Forbidden),
        _ => Err(Error::NotFound),
    }
}

/// The case and its key, if the caller may read it.
pub async fn open_case(db: &Db, actor: &Actor, id: &ReportId) -> Result<(CaseRow, Opened)> {
    let case = cases::find(db.pool(), id).await?.ok_or(Error::NotFound)?;
    if !may_read(&actor.user, &case) {
        return Err(Error::NotFound);
    }
    if let Some(at) = case.erased_at {
        return Err(Error::Erased(at));
    }
    let grant = grants::find_grant(db.pool(), id, &actor.user.id)
        .await?
        .ok_or(Error::NoKey)?;
    let key = crypto::open_grant(&grant, &actor.private_key, id, &actor.user.id).map_err(|_| Error::NoKey)?;
    let report = store::reports::find_by_id(db.pool(), id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((case, Opened::with_key(report, key)))
}

pub(super) fn check_reason(reason: Option<&str>) -> Result<String> {
    parse_message(reason).map_err(|e| Error::Invalid("reason", e))
}

/// Moves a case through the lifecycle. Exactly one of two concurrent transitions from the same state wins.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    to: Option<&str>,
    reason: Option<&str>,
) -> Result<Status> {
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        None => return Err(Error::Invalid("to", FieldError::Required)),
        Some(name) => Status::parse(name).ok_or(Error::Invalid("to", FieldError::UnknownStatus))?,
    };
    let reason = check_reason(reason)?;
    let (case, opened) = open_case(db, actor, id).await?;
    let from = case.status;
    if !from.can_become(to) {
        return Err(Error::Conflict);
    }
    let note_id = NoteId::new(crypto::random_id());
    let sealed = crypto::seal(opened.key(), &aad::note(id, &note_id), reason.as_bytes());
    // A request for more information reaches the reporter, in the same transaction: its reason is the
    // question they read.
    let question = (to == Status::InfoRequested).then(|| staff_message(&opened, &reason, clock));
    // A substantiated conclusion opens the commendation, in the same transaction.
    let opening = if crate::domain::commendation::OPENING_CONCLUSIONS.contains(&to) {
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
            actor_id: &actor.user.id,
            at: clock.millis(),
            note_id: &note_id,
            sealed_reason: &sealed,
            message: question.as_ref(),
            opening: opening.as_ref(),
        },
    )
    .await?;
    if !moved {
        return Err(Error::Conflict);
    }
    Ok(to)
}

/// A message from staff to the reporter, sealed under the report key.
fn staff_message(opened: &Opened, body: &str, clock: Clock) -> StoredMessage {
    let id = &opened.report.id;
    let message_id = MessageId::new(crypto::random_id());
    StoredMessage {
        body: crypto::seal(opened.key(), &aad::message(id, &message_id), body.as_bytes()),
        id: message_id,
        report_id: id.clone(),
        author: Author::Staff,
        created_at: clock.millis(),
    }
}

/// Sends a message to the reporter, sealed under the report key.
pub async fn message(db: &Db, actor: &Actor, clock: Clock, id: &ReportId, body: Option<&str>) -> Result<()> {
    let body = parse_message(body).map_err(|e| Error::Invalid("body", e))?;
    let (_, opened) = open_case(db, actor, id).await?;
    store::messages::insert_message(db.pool(), &staff_message(&opened, &body, clock), &actor.user.id).await?;
    Ok(())
}

/// A supervisor gives a case of their team to another active inspector of the team (never one from the
/// reported unit): the new assignee gets a grant, the previous one loses theirs.
pub async fn reassign(db: &Db, actor: &Actor, clock: Clock, id: &ReportId, assignee: Option<&str>) -> Result<()> {
    supervisor_only(db, actor, id).await?;
    let username = assignee.ok_or(Error::Invalid("assignee", FieldError::Required))?;
    let (case, opened) = open_case(db, actor, id).await?;
    let next = users::find_by_username(db.pool(), username.trim())
        .await?
        .filter(|u| u.active && u.role == Role::Inspector && u.team_id == case.team_id)
        .ok_or(Error::Invalid("assignee", FieldError::UnknownAssignee))?;
    let candidate = routing::Candidate {
        user_id: next.id.clone(),
        home_unit: next.home_unit_id.clone(),
        open_cases: 0,
    };
    if routing::choose_assignee(std::slice::from_ref(&candidate), &case.unit_id).is_none() {
        return Err(Error::Invalid("assignee", FieldError::AssigneeFromUnit));
    }
    let grant =
        crypto::grant(opened.key(), &next.public_key, id, &next.id).map_err(|_| Error::Corrupt("a public key"))?;
    let at = clock.millis();
    let moved = cases::reassign(
        db.pool(),
        id,
        case.assignee_id.as_ref(),
        &next.id,
        &grant,
        &actor.user.id,
        at,
    )
    .await?;
    if moved {
        Ok(())
    } else {
        Err(Error::Conflict)
    }
}

/// The id of the inspector in charge of a case, if any (no access check: ids only, no content).
pub async fn assignee_id(db: &Db, id: &ReportId) -> Result<Option<UserId>> {
    Ok(cases::find(db.pool(), id).await?.and_then(|c| c.assignee_id))
}

/// The username of the inspector in charge of a case, if any.
pub async fn assignee_name(db: &Db, case: &CaseRow) -> Result<Option<String>> {
    let Some(id) = case.assignee_id.as_ref() else {
        return Ok(None);
    };
    Ok(users::find_by_id(db.pool(), id).await?.map(|u| u.username))
}

/// The usernames of the active inspectors of a case's team: whom a supervisor may give it to.
pub async fn team_inspectors(db: &Db, case: &CaseRow) -> Result<Vec<String>> {
    match case.team_id.as_ref() {
        Some(team) => Ok(users::team_inspectors(db.pool(), team).await?),
        None => Ok(vec![]),
    }
}

/// The decrypted reasons of a case's transitions, by ledger sequence number.
pub async fn notes(db: &Db, id: &ReportId, key: &ReportKey) -> Result<Vec<(i64, String)>> {
    let notes = cases::list_notes(db.pool(), id).await?;
    notes
        .iter()
        .map(|n| {
            let plain = crypto::open(key, &aad::note(id, &n.id), &n.body).map_err(|_| Error::Corrupt("note"))?;
            Ok((n.ledger_seq, String::from_utf8_lossy(&plain).into_owned()))
        })
        .collect()
}

/// The next deadline of each case of a queue page, from the clock entries the queue read with each row.
pub fn next_deadlines(
    rows: &[CaseRow],
    clock: Clock,
) -> std::collections::HashMap<ReportId, crate::domain::calendar::Deadline> {
    let now = clock.millis();
    rows.iter()
        .filter_map(|row| {
            let all = crate::domain::clock::deadlines_of_clock(row.received_at, &row.clock, now);
            crate::domain::deadlines::next(&all).map(|next| (row.id.clone(), *next))
        })
        .collect()
}

/// A supervisor extends a case's resolution (`complex` or `very_complex`, with a reason), within the
/// policy's count and cap; the extension is a ledger event of its own, its reason sealed.
pub async fn extend(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    kind: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    use crate::domain::deadlines::{check_extension, ExtensionRefused};
    supervisor_only(db, actor, id).await?;
    let kind = kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(Error::Invalid("type", FieldError::Required))?;
    let reason = check_reason(reason)?;
    let (case, opened) = open_case(db, actor, id).await?;
    let status = case.status;
    let entries = store::ledger::list_for_report(db.pool(), id).await?;
    let events: Vec<_> = entries
        .iter()
        .map(|e| crate::domain::clock::clock_event(e.at, e.kind, &e.actor, &e.detail))
        .collect();
    let accepted = events
        .iter()
        .find(|e| e.moves_to(&[Status::Accepted]))
        .map(|e| crate::domain::calendar::local_date(e.at));
    let earlier: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == EntryKind::Extension)
        .filter_map(|e| e.to)
        .collect();
    match check_extension(
        crate::domain::policy::Policy::active(),
        status,
        accepted,
        &earlier,
        kind,
    ) {
        Ok(()) => {}
        Err(ExtensionRefused::UnknownType) => return Err(Error::Invalid("type", FieldError::UnknownStatus)),
        Err(ExtensionRefused::Limit) => return Err(Error::ExtensionLimit),
        Err(ExtensionRefused::NotRunning) => return Err(Error::Conflict),
    }
    let note_id = NoteId::new(crypto::random_id());
    let sealed = crypto::seal(opened.key(), &aad::note(id, &note_id), reason.as_bytes());
    let detail = serde_json::json!({ "stage": Stage::Resolution, "type": kind, "note": note_id }).to_string();
    let at = clock.millis();
    cases::add_event(
        db.pool(),
        id,
        EntryKind::Extension,
        &actor.user.id,
        at,
        &detail,
        Some((&note_id, &sealed)),
    )
    .await?;
    Ok(())
}

/// Raises an escalation (a ledger entry the supervisor sees in the timeline) for every case whose
/// resolution is overdue and not yet escalated (Law on Denunciation Art. 38). Returns how many were raised.
pub async fn escalate_overdue(db: &Db, clock: Clock) -> Result<usize> {
    let now = clock.millis();
    let mut raised = 0;
    for case in cases::list_resolving_unescalated(db.pool()).await? {
        let deadlines = crate::domain::clock::deadlines_of_clock(case.received_at, &case.clock, now);
        let overdue = deadlines
            .iter()
            .find(|d| d.stage == Stage::Resolution && d.state == crate::domain::calendar::DeadlineState::Overdue);
        if let Some(d) = overdue {
            let detail =
                serde_json::json!({ "stage": Stage::Resolution, "due": d.due.to_string(), "team": case.team_id })
                    .to_string();
            if cases::escalate_once(db.pool(), &case.id, now, &detail).await? {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

/// On-time figures per stage over every case of the supervisor's team, as the background task last counted
/// them (every 10 minutes, and with every event).
pub async fn team_on_time(
    db: &Db,
    actor: &Actor,
    _clock: Clock,
) -> Result<(usize, Vec<(Stage, crate::domain::deadlines::OnTime)>)> {
    let team = match (actor.user.role, &actor.user.team_id) {
        (Role::Supervisor, Some(team)) => team,
        _ => return Err(Error::Forbidden),
    };
    // The team's cells (store::on_time), kept as events and days change them.
    let cells = store::on_time::team_cells(db.pool(), team).await?;
    let cases = store::stats::case_count(db.pool(), team).await?;
    let figures = super::stats::monthly_from_cells(&cells, Vec::new());
    Ok((
        cases,
        figures
            .stages
            .into_iter()
            .map(|(stage, total, _)| (stage, total))
            .collect(),
    ))
}
