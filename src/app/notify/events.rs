//! The events that mail someone, read from the ledger past the notifier's cursor: a case given to an
//! inspector (at routing or by reassignment), a reporter's message on a case (to its inspector), and a
//! commendation opened or claimed (to the officers who hold its file).

use super::{wants, Notifier};
use crate::app::{Clock, Result};
use crate::domain::calendar::local_date;
use crate::domain::clock::deadlines_of_clock;
use crate::domain::deadlines;
use crate::domain::ids::{ReportId, UserId};
use crate::domain::notice::{Event, Notice};
use crate::domain::EntryKind;
use crate::store::commendations::{self, Purpose};
use crate::store::ledger::{self, Entry};
use crate::store::notify as stored;
use crate::store::{cases, Db};

/// Entries read per round.
const BATCH: i64 = 500;

/// Events older than this mail nobody: after notifications were off for a while, or for the back-dated
/// steps of `minhbach demo`, old news is not news.
const STALE_MILLIS: i64 = 24 * 3600 * 1000;

/// Reads the ledger past the cursor and queues the mails its events call for, moving the cursor in the
/// same transaction (another instance that read the same entries first makes this round queue nothing).
/// The first round starts the cursor at the ledger's head. Returns the mails queued.
pub(super) async fn queue_events(db: &Db, notifier: &Notifier, clock: Clock) -> Result<usize> {
    let pool = db.pool();
    let Some(from) = stored::cursor(pool).await? else {
        let (head, _) = ledger::head(pool).await?;
        stored::start_cursor(pool, head).await?;
        return Ok(0);
    };
    let entries = ledger::list_after(pool, from, BATCH).await?;
    let Some(last) = entries.last().map(|e| e.seq) else {
        return Ok(0);
    };
    let mut mails = Vec::new();
    for entry in entries.iter().filter(|e| clock.millis() - e.at <= STALE_MILLIS) {
        for (user, event, notice) in notices_of(db, entry, clock).await? {
            if let Some(choices) = stored::active_choices(pool, &user).await?.filter(|c| wants(c, event)) {
                mails.push(notifier.mail(&user, &choices, &notice, clock));
            }
        }
    }
    let mut tx = pool.begin().await?;
    if !stored::advance(&mut tx, from, last).await? {
        tx.rollback().await?;
        return Ok(0);
    }
    for mail in &mails {
        stored::enqueue(&mut tx, mail).await?;
    }
    tx.commit().await?;
    Ok(mails.len())
}

/// Who one entry mails, about what.
async fn notices_of(db: &Db, entry: &Entry, clock: Clock) -> Result<Vec<(UserId, Event, Notice)>> {
    let Some(report) = entry.report_id.as_deref().map(ReportId::from) else {
        return Ok(Vec::new());
    };
    let on = local_date(entry.at);
    let pool = db.pool();
    let to = |users: Vec<UserId>, event, notice: Notice| -> Vec<(UserId, Event, Notice)> {
        users.into_iter().map(|u| (u, event, notice.clone())).collect()
    };
    Ok(match entry.kind {
        EntryKind::Assigned | EntryKind::Reassigned => {
            let key = if entry.kind == EntryKind::Assigned {
                "assignee"
            } else {
                "to"
            };
            let Some(user) = detail_text(&entry.detail, key) else {
                return Ok(Vec::new());
            };
            let next = next_deadline(db, &report, clock).await?;
            to(
                vec![UserId::from(user.as_str())],
                Event::Assigned,
                Notice::Assigned { on, next },
            )
        }
        EntryKind::Message if entry.actor == "reporter" => {
            let assignee = cases::find(pool, &report).await?.and_then(|c| c.assignee_id);
            to(assignee.into_iter().collect(), Event::Reply, Notice::Reply { on })
        }
        EntryKind::CommendationOpened | EntryKind::CommendationClaimed => {
            let claimed = entry.kind == EntryKind::CommendationClaimed;
            let holders = commendations::holders(pool, &report, Purpose::File).await?;
            to(holders, Event::Commendation, Notice::Commendation { on, claimed })
        }
        _ => Vec::new(),
    })
}

/// The case's first open deadline now: its stage and last day.
async fn next_deadline(db: &Db, report: &ReportId, clock: Clock) -> Result<Option<(crate::domain::Stage, time::Date)>> {
    let Some(case) = cases::find(db.pool(), report).await? else {
        return Ok(None);
    };
    let all = deadlines_of_clock(case.received_at, &case.clock, clock.millis());
    Ok(deadlines::next(&all).filter(|d| d.open).map(|d| (d.stage, d.due)))
}

/// A text value of an entry's detail (a JSON object written by this crate), if it has one.
fn detail_text(detail: &str, key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(detail).ok()?;
    value.get(key)?.as_str().map(str::to_owned)
}
