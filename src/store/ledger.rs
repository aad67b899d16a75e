//! The hash-chained ledger: appended in the same transaction as the change it records.

use serde::Serialize;
use sqlx::Row;

use super::Tx;
use crate::crypto::{entry_hash, ChainFields};

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub kind: String,
    pub report_id: Option<String>,
    pub actor: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Appends an entry. The first statement updates the head row, which takes the write lock on SQLite and
/// a row lock on PostgreSQL, so concurrent appends are serialised and the chain never forks.
pub async fn append(
    tx: &mut Tx<'_>,
    at: i64,
    kind: &str,
    report_id: Option<&str>,
    actor: &str,
    detail: &str,
) -> Result<Entry, sqlx::Error> {
    let head = sqlx::query("UPDATE ledger_head SET entries = entries + 1 WHERE id = 1 RETURNING entries, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("entries")?;
    let prev_hash: String = head.try_get("hash")?;
    let hash = entry_hash(
        &prev_hash,
        &ChainFields {
            seq,
            at,
            kind,
            report_id,
            actor,
            detail,
        },
    );
    sqlx::query(
        "INSERT INTO ledger (seq, at, kind, report_id, actor, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(kind)
    .bind(report_id)
    .bind(actor)
    .bind(detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE ledger_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    if let (Some(id), Some(fragment)) = (report_id, clock_fragment(at, kind, actor, detail)) {
        sqlx::query("UPDATE reports SET clock = clock || $1 WHERE id = $2")
            .bind(fragment)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(Entry {
        seq,
        at,
        kind: kind.to_owned(),
        report_id: report_id.map(str::to_owned),
        actor: actor.to_owned(),
        detail: detail.to_owned(),
        prev_hash,
        hash,
    })
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        report_id: row.try_get("report_id")?,
        actor: row.try_get("actor")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "seq, at, kind, report_id, actor, detail, prev_hash, hash";

/// The entries about one report, oldest first.
pub async fn list_for_report(pool: &sqlx::AnyPool, report_id: &str) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger WHERE report_id = $1 ORDER BY seq"
    ))
    .bind(report_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The ledger kinds that start or end a deadline, and their letter in a report's `clock` column; the others
/// (received, assigned, escalation, claims, payments, …) move no clock.
const CLOCK_KINDS: [(&str, char); 6] = [
    ("transition", 't'),
    ("message", 'm'),
    ("extension", 'e'),
    ("commendation_opened", 'o'),
    ("commendation_proposed", 'p'),
    ("commendation_decided", 'd'),
];

/// An entry's part of its report's `clock` column (`at:k:value:s;`), if it moves a clock.
pub fn clock_fragment(at: i64, kind: &str, actor: &str, detail: &str) -> Option<String> {
    let letter = CLOCK_KINDS.iter().find(|(name, _)| *name == kind)?.1;
    let event = clock_event(at, kind, actor, detail);
    // Values are identifiers (statuses, extension types): never a ':' or ';'.
    let value = event.to.filter(|v| !v.contains([':', ';'])).unwrap_or("");
    Some(format!("{at}:{letter}:{value}:{};", u8::from(event.by_staff)))
}

/// The clock events of a report's `clock` column, in ledger order. A malformed part is skipped.
pub fn clock_events(clock: &str) -> Vec<crate::domain::deadlines::Event<'_>> {
    clock
        .split_terminator(';')
        .filter_map(|part| {
            let mut fields = part.split(':');
            let at = fields.next()?.parse().ok()?;
            let letter = fields.next()?.chars().next()?;
            let kind = CLOCK_KINDS.iter().find(|(_, l)| *l == letter)?.0;
            let value = fields.next()?;
            let by_staff = fields.next()? == "1";
            Some(crate::domain::deadlines::Event {
                at,
                kind,
                to: (!value.is_empty()).then_some(value),
                by_staff,
            })
        })
        .collect()
}

/// The deadlines of a case from its `clock` column.
pub fn deadlines_of_clock(received_at: i64, clock: &str, now: i64) -> Vec<crate::domain::calendar::Deadline> {
    let policy = crate::domain::policy::Policy::active();
    crate::domain::deadlines::case_deadlines(policy, received_at, &clock_events(clock), now)
}

/// A text value of an entry's detail, read without parsing the object. Details are flat JSON objects
/// written by this crate with serde_json (`{"from":"received","note":"…","to":"accepted"}`): a quote inside
/// a string value is escaped there, so `"key":"` only ever matches a key. The values read here (statuses,
/// extension types) are identifiers; one with an escape is not, and reads as absent.
fn detail_value<'a>(detail: &'a str, quoted_key: &str) -> Option<&'a str> {
    let start = detail.find(quoted_key)? + quoted_key.len();
    let rest = &detail[start..];
    let value = &rest[..rest.find('"')?];
    (!value.contains('\\')).then_some(value)
}

/// What the deadlines need of one entry: for transitions the status moved to, for extensions their type.
pub fn clock_event<'a>(at: i64, kind: &'a str, actor: &str, detail: &'a str) -> crate::domain::deadlines::Event<'a> {
    crate::domain::deadlines::Event {
        at,
        kind,
        to: detail_value(detail, "\"to\":\"").or_else(|| detail_value(detail, "\"type\":\"")),
        by_staff: actor != "reporter" && actor != "system",
    }
}

/// The deadlines of a report from its entries, under the deployment's policy.
pub fn deadlines_of(received_at: i64, entries: &[&Entry], now: i64) -> Vec<crate::domain::calendar::Deadline> {
    let events: Vec<crate::domain::deadlines::Event<'_>> = entries
        .iter()
        .map(|e| clock_event(e.at, &e.kind, &e.actor, &e.detail))
        .collect();
    let policy = crate::domain::policy::Policy::active();
    crate::domain::deadlines::case_deadlines(policy, received_at, &events, now)
}

/// Every entry, oldest first.
pub async fn list_all(pool: &sqlx::AnyPool) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM ledger ORDER BY seq"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The head row: number of entries and last hash.
pub async fn head(pool: &sqlx::AnyPool) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query("SELECT entries, hash FROM ledger_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok((row.try_get("entries")?, row.try_get("hash")?))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number of the first entry that does not verify (or where one is missing).
    pub seq: i64,
    pub reason: &'static str,
}

/// Recomputes the chain over `entries` (in storage order) against the head: detects an edited, reordered,
/// inserted or deleted row. Returns the number of entries checked.
pub fn verify(entries: &[Entry], head_entries: i64, head_hash: &str) -> Result<usize, Broken> {
    let mut prev = crate::crypto::GENESIS.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if entry.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq,
                reason: "an entry is missing or out of order here",
            });
        }
        if entry.prev_hash != prev {
            return Err(Broken {
                seq: entry.seq,
                reason: "it does not follow the entry before it",
            });
        }
        let fields = ChainFields {
            seq: entry.seq,
            at: entry.at,
            kind: &entry.kind,
            report_id: entry.report_id.as_deref(),
            actor: &entry.actor,
            detail: &entry.detail,
        };
        if entry_hash(&prev, &fields) != entry.hash {
            return Err(Broken {
                seq: entry.seq,
                reason: "its content does not match its hash",
            });
        }
        prev = entry.hash.clone();
    }
    let count = entries.len() as i64;
    if count != head_entries || prev != head_hash {
        return Err(Broken {
            seq: count.min(head_entries) + 1,
            reason: "the chain ends before its recorded head",
        });
    }
    Ok(entries.len())
}

/// The chain head as the public sees it: entries, last hash, time of the last entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicHead {
    pub entries: i64,
    pub hash: String,
    pub at: Option<i64>,
}

pub async fn public_head(pool: &sqlx::AnyPool) -> Result<PublicHead, sqlx::Error> {
    let (entries, hash) = head(pool).await?;
    let at: Option<i64> = sqlx::query("SELECT MAX(at) AS at FROM ledger")
        .fetch_one(pool)
        .await?
        .try_get("at")?;
    Ok(PublicHead { entries, hash, at })
}

/// Reports by status, for the public page (counts only).
pub async fn counts_by_status(pool: &sqlx::AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM reports GROUP BY status ORDER BY status")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Every report of a team with its receipt time and `clock` column, for the on-time figures. The database
/// joins them into one text (`received_at|clock#…`): one row to transfer instead of one per case, which
/// over 100 000 cases is most of the time saved.
pub struct TeamClocks(String);

pub async fn team_clocks(pool: &sqlx::AnyPool, team_id: &str) -> Result<TeamClocks, sqlx::Error> {
    let row =
        sqlx::query("SELECT string_agg(received_at || '|' || clock, '#') AS clocks FROM reports WHERE team_id = $1")
            .bind(team_id)
            .fetch_one(pool)
            .await?;
    let clocks: Option<String> = row.try_get("clocks")?;
    Ok(TeamClocks(clocks.unwrap_or_default()))
}

impl TeamClocks {
    /// (receipt time, clock) per case. A malformed part (none is written) is skipped.
    pub fn cases(&self) -> Vec<(i64, &str)> {
        self.0
            .split_terminator('#')
            .filter_map(|case| {
                let (received_at, clock) = case.split_once('|')?;
                Some((received_at.parse().ok()?, clock))
            })
            .collect()
    }
}

/// The number of cases and the on-time figures per stage over every deadline of every case, as of `now`,
/// from (receipt time, `clock`) pairs. The work is split over the cores.
pub fn on_time_of(cases: &[(i64, &str)], now: i64) -> (usize, Vec<(&'static str, crate::domain::deadlines::OnTime)>) {
    use crate::domain::deadlines::{on_time, OnTime};
    let tally = |part: &[(i64, &str)]| {
        let mut deadlines = Vec::with_capacity(part.len() * 3);
        for (received_at, clock) in part {
            deadlines.extend(deadlines_of_clock(*received_at, clock, now));
        }
        on_time(&deadlines)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let size = cases.len().div_ceil(threads).max(1);
    let parts: Vec<Vec<(&'static str, OnTime)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(size)
            .map(|part| scope.spawn(move || tally(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    // Merged in the policy's stage order, as each part lists them.
    let mut merged: Vec<(&'static str, OnTime)> = Vec::new();
    for part in parts {
        for (stage, t) in part {
            match merged.iter_mut().find(|(s, _)| *s == stage) {
                Some((_, total)) => {
                    total.met += t.met;
                    total.missed += t.missed;
                }
                None => merged.push((stage, t)),
            }
        }
    }
    (cases.len(), merged)
}

/// Recomputes every report's `clock` from the ledger; returns the ids whose stored clock differs (a
/// tampered or stale projection). With `repair`, rewrites them.
pub async fn check_clocks(pool: &sqlx::AnyPool, entries: &[Entry], repair: bool) -> Result<Vec<String>, sqlx::Error> {
    let mut expected: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for e in entries {
        if let (Some(id), Some(fragment)) = (
            e.report_id.as_deref(),
            clock_fragment(e.at, &e.kind, &e.actor, &e.detail),
        ) {
            expected.entry(id).or_default().push_str(&fragment);
        }
    }
    let rows = sqlx::query("SELECT id, clock FROM reports").fetch_all(pool).await?;
    let mut differing = Vec::new();
    for row in &rows {
        let (id, clock): (String, String) = (row.try_get("id")?, row.try_get("clock")?);
        let want = expected.get(id.as_str()).map_or("", String::as_str);
        if clock != want {
            if repair {
                sqlx::query("UPDATE reports SET clock = $1 WHERE id = $2")
                    .bind(want)
                    .bind(&id)
                    .execute(pool)
                    .await?;
            }
            differing.push(id);
        }
    }
    Ok(differing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_events_read_the_fields_serde_json_wrote() {
        let transition = serde_json::json!({ "from": "received", "note": "ab12", "to": "accepted" }).to_string();
        assert_eq!(clock_event(1, "transition", "u1", &transition).to, Some("accepted"));
        let extension = serde_json::json!({ "note": "x", "stage": "resolution", "type": "complex" }).to_string();
        assert_eq!(clock_event(1, "extension", "u1", &extension).to, Some("complex"));
        // A value holding what looks like a key is escaped, so it is never mistaken for one.
        let tricky = serde_json::json!({ "note": "\"to\":\"closed", "to": "investigating" }).to_string();
        assert_eq!(clock_event(1, "transition", "u1", &tricky).to, Some("investigating"));
        let message = serde_json::json!({ "message": "m1" }).to_string();
        let event = clock_event(1, "message", "reporter", &message);
        assert_eq!((event.to, event.by_staff), (None, false));
        assert!(clock_event(1, "message", "u1", &message).by_staff);
    }

    #[test]
    fn a_clock_column_gives_back_the_events_of_the_entries() {
        let entries = [
            (10, "received", "reporter", r#"{"category":"forgery","unit":"ba-diem"}"#),
            (
                20,
                "transition",
                "u1",
                r#"{"from":"received","note":"n","to":"accepted"}"#,
            ),
            (30, "message", "reporter", r#"{"message":"m"}"#),
            (
                40,
                "extension",
                "u2",
                r#"{"note":"n","stage":"resolution","type":"very_complex"}"#,
            ),
            (50, "escalation", "system", r#"{"stage":"resolution"}"#),
            (
                60,
                "commendation_decided",
                "u3",
                r#"{"amount":1,"form":"money","to":"decided"}"#,
            ),
        ];
        let clock: String = entries
            .iter()
            .filter_map(|(at, kind, actor, detail)| clock_fragment(*at, kind, actor, detail))
            .collect();
        assert_eq!(clock, "20:t:accepted:1;30:m::0;40:e:very_complex:1;60:d:decided:1;");
        let direct: Vec<_> = entries
            .iter()
            .filter(|(_, kind, _, _)| !matches!(*kind, "received" | "escalation"))
            .map(|(at, kind, actor, detail)| clock_event(*at, kind, actor, detail))
            .collect();
        assert_eq!(clock_events(&clock), direct);
        assert!(clock_events("garbage;20:x:y:1;").is_empty());
    }
}
