//! Cases as staff see them: queues, transitions with their sealed reasons, reassignment.

use crate::domain::EntryKind;
use sqlx::{AnyPool, Row};

use super::keyset::{self, Cursor, Key, Page};
use super::{grants, ledger, Tx};
use crate::crypto::Grant;
use crate::domain::ids::{NoteId, ReportId, TeamId, UnitId, UserId};
use crate::domain::Status;

/// A queue row: routing metadata only.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: ReportId,
    pub category: String,
    pub unit_id: UnitId,
    pub status: Status,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub received_at: i64,
    /// The clock entries of its ledger (see the `clock` column): the queue's deadlines come from them.
    pub clock: String,
    /// Since when a supervisor's legal hold keeps it from erasure, if one does.
    pub held_since: Option<i64>,
    /// When the retention sweep erased it (only the stub is left), if it did.
    pub erased_at: Option<i64>,
    /// Its commendation's state and last change, if it has one: the retention period may wait for it.
    pub commendation: Option<(crate::domain::commendation::State, i64)>,
}

impl CaseRow {
    /// Where the case stands with respect to erasure under the deployment's policy.
    pub fn retention(&self) -> crate::domain::retention::Retention {
        let schedule = crate::domain::policy::Policy::active().retention();
        crate::domain::retention::retention(schedule, &self.clock, self.commendation)
    }
}

/// Whose queue.
#[derive(Debug, Clone)]
pub enum Scope {
    Assignee(UserId),
    Team(TeamId),
}

pub struct Filter<'a> {
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
}

impl<'a> Filter<'a> {
    /// From a query string, where an empty value means "any".
    pub fn from_query(status: Option<&'a str>, category: Option<&'a str>) -> Self {
        Self {
            status: status.filter(|s| !s.is_empty()),
            category: category.filter(|c| !c.is_empty()),
        }
    }
}

const QUEUE_COLUMNS: &str = "id, category, unit_id, status, team_id, assignee_id, received_at, clock, held_since, \
     erased_at, (SELECT c.status FROM commendations c WHERE c.report_id = reports.id) AS commendation_status, \
     (SELECT c.updated_at FROM commendations c WHERE c.report_id = reports.id) AS commendation_at";

/// A stored status, decoded where the row is read: one this code does not know is a decode error, never a
/// default.
fn decode_status(name: String) -> Result<Status, sqlx::Error> {
    Status::parse(&name).ok_or_else(|| sqlx::Error::Decode(format!("unknown case status {name:?}").into()))
}

fn case_from_row(r: &sqlx::any::AnyRow) -> Result<CaseRow, sqlx::Error> {
    Ok(CaseRow {
        id: super::id(r, "id")?,
        category: r.try_get("category")?,
        unit_id: super::id(r, "unit_id")?,
        status: decode_status(r.try_get("status")?)?,
        team_id: super::optional_id(r, "team_id")?,
        assignee_id: super::optional_id(r, "assignee_id")?,
        received_at: r.try_get("received_at")?,
        clock: r.try_get("clock")?,
        held_since: r.try_get("held_since")?,
        erased_at: r.try_get("erased_at")?,
        commendation: commendation_of(r)?,
    })
}

fn commendation_of(r: &sqlx::any::AnyRow) -> Result<Option<(crate::domain::commendation::State, i64)>, sqlx::Error> {
    use crate::domain::commendation::State;
    let status: Option<String> = r.try_get("commendation_status")?;
    let at: Option<i64> = r.try_get("commendation_at")?;
    match (status, at) {
        (Some(name), Some(at)) => State::parse(&name)
            .map(|state| Some((state, at)))
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown commendation state {name:?}").into())),
        _ => Ok(None),
    }
}

/// A page of the queue, oldest first (the earliest deadlines first), and the total count. Only the filters
/// in use enter the SQL, so the queue indexes (owner, status, received_at) serve every shape of query.
/// A page after or before a key reads from the index position of that key (the row values compare as the
/// index orders them).
pub async fn list(
    pool: &AnyPool,
    scope: &Scope,
    filter: &Filter<'_>,
    cursor: &Cursor,
    per_page: i64,
) -> Result<Page<CaseRow>, sqlx::Error> {
    let (column, owner) = match scope {
        Scope::Assignee(id) => ("assignee_id", id.as_str()),
        Scope::Team(id) => ("team_id", id.as_str()),
    };
    let mut condition = format!("{column} = $1");
    let mut binds = vec![owner];
    for (name, value) in [("status", filter.status), ("category", filter.category)] {
        if let Some(value) = value {
            binds.push(value);
            condition.push_str(&format!(" AND {name} = ${}", binds.len()));
        }
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM reports WHERE {condition}");
    let mut count = sqlx::query(&count_sql);
    for value in &binds {
        count = count.bind(*value);
    }
    let total: i64 = count.fetch_one(pool).await?.try_get("n")?;
    let shape = keyset::shape(&["received_at", "id"], cursor, binds.len() + 1, per_page);
    let page_sql = format!(
        "SELECT {QUEUE_COLUMNS} FROM reports WHERE {condition}{} ORDER BY {} {}",
        shape.range, shape.order, shape.limit
    );
    let mut query = sqlx::query(&page_sql);
    for value in &binds {
        query = query.bind(*value);
    }
    let rows = keyset::bind(query, cursor).fetch_all(pool).await?;
    let rows = rows
        .iter()
        .map(case_from_row)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(keyset::page(rows, total, cursor, per_page))
}

/// A row's place in the queues' order, for the page after or before it.
pub fn key_of(row: &CaseRow) -> Key {
    Key {
        sort: vec![row.received_at],
        id: row.id.to_string(),
    }
}

pub async fn find(pool: &AnyPool, id: &ReportId) -> Result<Option<CaseRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {QUEUE_COLUMNS} FROM reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(case_from_row).transpose()
}

/// A transition and its sealed reason.
pub struct Transition<'a> {
    pub report_id: &'a ReportId,
    pub from: &'a str,
    pub to: &'a str,
    pub actor_id: &'a UserId,
    pub at: i64,
    pub note_id: &'a NoteId,
    pub sealed_reason: &'a [u8],
    /// A message to the reporter written with the transition (a request for more information).
    pub message: Option<&'a super::messages::StoredMessage>,
    /// The commendation a substantiated conclusion opens.
    pub opening: Option<&'a super::commendations::Opening>,
}

/// Moves a case from `from` to `to` if it is still in `from` (so of two concurrent transitions exactly one
/// succeeds), with its ledger entry and sealed reason, in one transaction. Returns whether it moved.
pub async fn transition(pool: &AnyPool, t: &Transition<'_>) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let moved = sqlx::query("UPDATE reports SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(t.to)
        .bind(t.at)
        .bind(t.report_id)
        .bind(t.from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if moved != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let detail = serde_json::json!({ "from": t.from, "to": t.to, "note": t.note_id }).to_string();
    let entry = ledger::append(
        &mut tx,
        t.at,
        EntryKind::Transition,
        Some(t.report_id),
        t.actor_id,
        &detail,
    )
    .await?;
    insert_note(
        &mut tx,
        t.note_id,
        t.report_id,
        entry.seq,
        t.actor_id,
        t.at,
        t.sealed_reason,
    )
    .await?;
    if let Some(message) = t.message {
        super::messages::insert_in(&mut tx, message, t.actor_id).await?;
    }
    if let Some(opening) = t.opening {
        super::commendations::open_in(&mut tx, t.report_id, t.to, opening, t.at).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn insert_note(
    tx: &mut Tx<'_>,
    id: &str,
    report_id: &str,
    seq: i64,
    actor_id: &str,
    at: i64,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_notes (id, report_id, ledger_seq, actor_id, at, body) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(report_id)
    .bind(seq)
    .bind(actor_id)
    .bind(at)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A sealed note and the ledger entry it belongs to.
pub struct Note {
    pub id: NoteId,
    pub ledger_seq: i64,
    pub body: Vec<u8>,
}

pub async fn list_notes(pool: &AnyPool, report_id: &ReportId) -> Result<Vec<Note>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, ledger_seq, body FROM case_notes WHERE report_id = $1 ORDER BY at, id")
        .bind(report_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Note {
                id: super::id(r, "id")?,
                ledger_seq: r.try_get("ledger_seq")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

/// Gives a case to another inspector if it is still with `previous` (so two concurrent reassignments cannot
/// both win): their grant in, the previous assignee's grant out, one ledger entry. Returns whether it moved.
pub async fn reassign(
    pool: &AnyPool,
    report_id: &ReportId,
    previous: Option<&UserId>,
    next: &UserId,
    grant: &Grant,
    actor_id: &UserId,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let still = match previous {
        Some(_) => "assignee_id = $4",
        None => "assignee_id IS NULL",
    };
    let sql =
        format!("UPDATE reports SET assignee_id = $1, updated_at = $2 WHERE id = $3 AND erased_at IS NULL AND {still}");
    let mut update = sqlx::query(&sql).bind(next).bind(at).bind(report_id);
    if let Some(previous) = previous {
        update = update.bind(previous);
    }
    if update.execute(&mut *tx).await?.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    grants::insert_grant_locked(&mut tx, report_id, next, grant).await?;
    if let Some(previous) = previous.filter(|p| *p != next) {
        grants::delete_grant(&mut tx, report_id, previous).await?;
    }
    let detail = serde_json::json!({ "from": previous, "to": next }).to_string();
    ledger::append(&mut tx, at, EntryKind::Reassigned, Some(report_id), actor_id, &detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Appends a case event (an extension, an escalation) with its optional sealed note, in one transaction.
pub async fn add_event(
    pool: &AnyPool,
    report_id: &ReportId,
    kind: EntryKind,
    actor_id: &str,
    at: i64,
    detail: &str,
    note: Option<(&str, &[u8])>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let entry = ledger::append(&mut tx, at, kind, Some(report_id), actor_id, detail).await?;
    if let Some((note_id, body)) = note {
        insert_note(&mut tx, note_id, report_id, entry.seq, actor_id, at, body).await?;
    }
    tx.commit().await
}

/// Records the escalation of a case unless it has one: the report's row is locked first, so that two
/// sweeps (two instances) escalating the same case one after the other find the first's entry. Returns
/// whether this call escalated it.
pub async fn escalate_once(pool: &AnyPool, report_id: &ReportId, at: i64, detail: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !super::reports::lock_unerased(&mut tx, report_id.as_str()).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let already = sqlx::query("SELECT 1 AS one FROM ledger WHERE report_id = $1 AND kind = $2")
        .bind(report_id)
        .bind(EntryKind::Escalation.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if already {
        tx.rollback().await?;
        return Ok(false);
    }
    ledger::append(
        &mut tx,
        at,
        EntryKind::Escalation,
        Some(report_id.as_str()),
        "system",
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The cases matching `condition` (SQL after `WHERE`, with one parameter, `$1`).
pub(super) async fn select_where(pool: &AnyPool, condition: &str, value: &str) -> Result<Vec<CaseRow>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {QUEUE_COLUMNS} FROM reports WHERE {condition}"))
        .bind(value)
        .fetch_all(pool)
        .await?;
    rows.iter().map(case_from_row).collect()
}

/// Cases whose resolution clock runs (accepted or under investigation) and that were not escalated yet.
pub async fn list_resolving_unescalated(pool: &AnyPool) -> Result<Vec<CaseRow>, sqlx::Error> {
    let resolving: Vec<String> = Status::RESOLVING.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let resolving = resolving.join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {QUEUE_COLUMNS} FROM reports WHERE status IN ({resolving}) \
         AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.report_id = reports.id AND l.kind = $1)"
    ))
    .bind(EntryKind::Escalation.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(case_from_row).collect()
}
