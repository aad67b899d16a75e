//! Staff notifications (issue 13): each staff member's choices, the outbox of mails waiting to go out,
//! and how far the notifier has read the ledger. Every write that two instances could race on is a
//! conditional update, so each event is mailed once and each digest queued once.

use sqlx::{AnyPool, Row};

use super::Tx;
use crate::domain::ids::UserId;
use crate::domain::staff::Role;

/// A staff member's choices, as their profile page sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub email: String,
    pub lang: String,
    pub on_assigned: bool,
    pub on_reply: bool,
    pub on_commendation: bool,
    pub digest: bool,
    /// The digest's local hour (Vietnam time), 0 to 23.
    pub digest_hour: i64,
}

const CHOICE_COLUMNS: &str = "email, lang, on_assigned, on_reply, on_commendation, digest, digest_hour";

fn choices_from_row(r: &sqlx::any::AnyRow) -> Result<Choices, sqlx::Error> {
    let flag = |c: &str| r.try_get::<i64, _>(c).map(|v| v != 0);
    Ok(Choices {
        email: r.try_get("email")?,
        lang: r.try_get("lang")?,
        on_assigned: flag("on_assigned")?,
        on_reply: flag("on_reply")?,
        on_commendation: flag("on_commendation")?,
        digest: flag("digest")?,
        digest_hour: r.try_get("digest_hour")?,
    })
}

pub async fn choices(pool: &AnyPool, user: &UserId) -> Result<Option<Choices>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {CHOICE_COLUMNS} FROM notify_choices WHERE user_id = $1"
    ))
    .bind(user)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(choices_from_row).transpose()
}

/// The choices of an active staff member, if they gave an address.
pub async fn active_choices(pool: &AnyPool, user: &UserId) -> Result<Option<Choices>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {CHOICE_COLUMNS} FROM notify_choices n JOIN users u ON u.id = n.user_id \
         WHERE n.user_id = $1 AND u.active = 1"
    ))
    .bind(user)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(choices_from_row).transpose()
}

/// Saves a staff member's choices (a digest already sent today stays sent).
pub async fn save_choices(pool: &AnyPool, user: &UserId, c: &Choices, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notify_choices (user_id, email, lang, on_assigned, on_reply, on_commendation, digest, \
         digest_hour, digest_day, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) \
         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, lang = excluded.lang, \
         on_assigned = excluded.on_assigned, on_reply = excluded.on_reply, \
         on_commendation = excluded.on_commendation, digest = excluded.digest, \
         digest_hour = excluded.digest_hour, updated_at = excluded.updated_at",
    )
    .bind(user)
    .bind(&c.email)
    .bind(&c.lang)
    .bind(i64::from(c.on_assigned))
    .bind(i64::from(c.on_reply))
    .bind(i64::from(c.on_commendation))
    .bind(i64::from(c.digest))
    .bind(c.digest_hour)
    .bind(at)
    .execute(pool)
    .await?;
    // Mails waiting for an address no longer theirs are not sent there.
    sqlx::query("DELETE FROM outbox WHERE user_id = $1 AND to_addr <> $2")
        .bind(user)
        .bind(&c.email)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets a staff member's address and choices, and the mails still waiting for them: no mail any more.
pub async fn delete_choices(pool: &AnyPool, user: &UserId) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM notify_choices WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// A staff member whose digest is due: their role and team, for the deadlines they answer for.
pub struct DigestDue {
    pub user: UserId,
    pub role: Role,
    pub team: Option<String>,
    pub choices: Choices,
}

/// Active staff who chose a digest, whose hour has come today (`today`: days since 1970-01-01, local;
/// `hour`: the local hour now) and who have not had today's.
pub async fn digests_due(pool: &AnyPool, today: i64, hour: i64) -> Result<Vec<DigestDue>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT n.user_id AS user_id, u.role AS role, u.team_id AS team_id, {CHOICE_COLUMNS} \
         FROM notify_choices n JOIN users u ON u.id = n.user_id \
         WHERE u.active = 1 AND n.digest = 1 AND n.digest_day < $1 AND n.digest_hour <= $2"
    ))
    .bind(today)
    .bind(hour)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(DigestDue {
                user: super::id(r, "user_id")?,
                role: Role::parse(&role).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?,
                team: r.try_get("team_id")?,
                choices: choices_from_row(r)?,
            })
        })
        .collect()
}

/// Claims today's digest of `user` (false: another instance did, or it was already sent), in `tx`.
pub async fn claim_digest(tx: &mut Tx<'_>, user: &UserId, today: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE notify_choices SET digest_day = $1 WHERE user_id = $2 AND digest_day < $1")
        .bind(today)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The open cases whose deadlines a digest counts: `(received_at, clock)`. Inspectors': those assigned to
/// them; supervisors': their team's; officers': those whose commendation waits for an officer and whose
/// file they hold.
pub async fn digest_cases(pool: &AnyPool, due: &DigestDue) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let (condition, value) = match due.role {
        Role::Inspector => ("r.assignee_id = $1", due.user.as_str().to_owned()),
        Role::Supervisor => ("r.team_id = $1", due.team.clone().unwrap_or_default()),
        Role::Officer => (
            "EXISTS (SELECT 1 FROM commendations c JOIN commendation_grants g ON g.report_id = c.report_id \
             WHERE c.report_id = r.id AND c.status IN ('pending', 'claimed') AND g.purpose = 'file' \
             AND g.holder = $1)",
            due.user.as_str().to_owned(),
        ),
        Role::Admin => return Ok(Vec::new()),
    };
    // A closed case may still wait for its commendation: an officer's cases are theirs until decided.
    let still_open = if due.role == Role::Officer {
        ""
    } else {
        "AND r.status <> 'closed'"
    };
    let rows = sqlx::query(&format!(
        "SELECT r.received_at AS received_at, r.clock AS clock FROM reports r \
         WHERE r.erased_at IS NULL {still_open} AND {condition}"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("received_at")?, r.try_get("clock")?)))
        .collect()
}

/// A mail to queue or queued.
#[derive(Debug, Clone)]
pub struct Mail {
    pub id: String,
    pub user: UserId,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_at: i64,
    /// Whether the recipient's account is still active (a disabled account's mails are dropped unsent).
    pub active: bool,
}

pub async fn enqueue(tx: &mut Tx<'_>, mail: &Mail) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, user_id, to_addr, subject, body, created_at, attempts, next_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&mail.id)
    .bind(&mail.user)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(mail.created_at)
    .bind(mail.attempts)
    .bind(mail.next_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How far the notifier has read the ledger; `None` before its first run.
pub async fn cursor(pool: &AnyPool) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT seq FROM notify_cursor WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get("seq")).transpose()
}

/// Starts the cursor at `seq` (the ledger's head at the first run: earlier events mail nobody).
pub async fn start_cursor(pool: &AnyPool, seq: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notify_cursor (id, seq) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(seq)
        .execute(pool)
        .await?;
    Ok(())
}

/// Moves the cursor from `from` to `to` in `tx` (false: another instance read these entries first).
pub async fn advance(tx: &mut Tx<'_>, from: i64, to: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE notify_cursor SET seq = $1 WHERE id = 1 AND seq = $2")
        .bind(to)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` mails whose next attempt may start at `now`, oldest first.
pub async fn due(pool: &AnyPool, now: i64, limit: i64) -> Result<Vec<Mail>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.id AS id, o.user_id AS user_id, o.to_addr AS to_addr, o.subject AS subject, o.body AS body, \
         o.created_at AS created_at, o.attempts AS attempts, o.next_at AS next_at, u.active AS active \
         FROM outbox o JOIN users u ON u.id = o.user_id \
         WHERE o.next_at <= $1 ORDER BY o.next_at, o.created_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Mail {
                id: r.try_get("id")?,
                user: super::id(r, "user_id")?,
                to: r.try_get("to_addr")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                attempts: r.try_get("attempts")?,
                next_at: r.try_get("next_at")?,
                active: r.try_get::<i64, _>("active")? != 0,
            })
        })
        .collect()
}

/// Claims a mail for one attempt until `until` (false: another sender has it).
pub async fn claim(pool: &AnyPool, mail: &Mail, until: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE outbox SET next_at = $1 WHERE id = $2 AND next_at = $3")
        .bind(until)
        .bind(&mail.id)
        .bind(mail.next_at)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A mail the server accepted (or one given up): gone from the outbox.
pub async fn remove(pool: &AnyPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM outbox WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A failed attempt: tried again from `next_at`.
pub async fn retry(pool: &AnyPool, id: &str, attempts: i64, next_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET attempts = $1, next_at = $2 WHERE id = $3")
        .bind(attempts)
        .bind(next_at)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
