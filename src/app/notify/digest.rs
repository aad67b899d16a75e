//! The daily digest: at the hour each staff member chose (Vietnam time), their open deadlines due within
//! two working days and those overdue, counted per stage. Claimed with a conditional update in the
//! transaction that queues it, so each is queued once a day across instances, and a day with nothing due
//! sends nothing.

use super::Notifier;
use crate::app::{Clock, Result};
use crate::domain::calendar::local_time;
use crate::domain::clock::deadlines_of_clock;
use crate::domain::notice::{digest_lines, digest_stages, Notice};
use crate::store::notify as stored;
use crate::store::Db;

/// Queues the digests whose hour has come today and that were not queued yet. Returns the mails queued.
pub(super) async fn queue_digests(db: &Db, notifier: &Notifier, clock: Clock) -> Result<usize> {
    let pool = db.pool();
    let now = local_time(clock.millis());
    let today = (now.date() - time::macros::date!(1970 - 01 - 01)).whole_days();
    let mut queued = 0;
    for due in stored::digests_due(pool, today, i64::from(now.hour())).await? {
        let cases = stored::digest_cases(pool, &due).await?;
        let (role, at) = (due.role, clock.millis());
        // A supervisor's digest counts every open case of the team: CPU work, off the async workers.
        let lines = tokio::task::spawn_blocking(move || {
            let deadlines: Vec<_> = cases
                .iter()
                .flat_map(|(received_at, clock_column)| deadlines_of_clock(*received_at, clock_column, at))
                .collect();
            digest_lines(&deadlines, digest_stages(role))
        })
        .await
        .map_err(|_| crate::app::Error::Corrupt("digest tally"))?;
        let mut tx = pool.begin().await?;
        if !stored::claim_digest(&mut tx, &due.user, today).await? {
            tx.rollback().await?;
            continue;
        }
        if !lines.is_empty() {
            let notice = Notice::Digest { on: now.date(), lines };
            stored::enqueue(&mut tx, &notifier.mail(&due.user, &due.choices, &notice, clock)).await?;
            queued += 1;
        }
        tx.commit().await?;
    }
    Ok(queued)
}
