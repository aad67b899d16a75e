//! The reporter's journey: submit a report, open it with the code, read its status, reply to the
//! inspectors.

use zeroize::Zeroizing;

use crate::crypto::{self, aad, KdfParams, ReportKey, RetrievalCode};
use crate::domain::calendar::Deadline;
use crate::domain::ids::{MessageId, ReportId, TeamId, UnitId, UserId};
use crate::domain::rating::{result_notified, Rating};
use crate::domain::{routing, EntryKind, NewReport, Status};
use crate::evidence::Evidence;
use crate::store::messages::{Author, StoredMessage};
use crate::store::reports::{Located, SealedReport, StoredReport};
use crate::store::{self, ledger, Db};

use super::{Clock, Error, KdfGate, Result};

/// A stored report and the code to show, once — only after the storing transaction committed.
pub struct Submitted {
    pub code: RetrievalCode,
    pub received_at: i64,
    pub id: ReportId,
    /// The report key, for callers that go on working on the report (the demo data).
    pub key: ReportKey,
}

fn seal_text(key: &ReportKey, id: &str, field: &str, text: &str) -> Vec<u8> {
    crypto::seal(key, &aad::field(id, field), text.as_bytes())
}

/// Encrypts and stores a report received at `clock`. Returns the code only after the commit.
/// The evidence `files` (prepared by [`super::evidence::prepare`]) are sealed and stored in the same
/// transaction: the code is never shown for a report stored without its files.
pub async fn submit(db: &Db, gate: &KdfGate, report: NewReport, files: &[Evidence], clock: Clock) -> Result<Submitted> {
    let received_at = clock.millis();
    let code = RetrievalCode::generate();
    let secrets = code.derive();
    let key = ReportKey::generate();
    let id = ReportId::new(crypto::random_id());
    let wrapping = secrets.wrapping.clone();
    let (wrap_key, wrap_id) = (key.clone(), id.clone());
    let wrapped = gate
        .anonymous(move || crypto::wrap_report_key(&wrap_key, &wrapping, &wrap_id, KdfParams::default()))
        .await?
        .map_err(|_| Error::Internal("key derivation parameters"))?;
    let routed = route(db, report.category.id(), &report.unit).await?;
    let mut grants = Vec::new();
    for (holder, public) in &routed.holders {
        let grant = crypto::grant(&key, public, &id, holder).map_err(|_| Error::Corrupt("a holder's public key"))?;
        grants.push((holder.clone(), grant));
    }
    let sealed = SealedReport {
        locator: secrets.locator.to_hex(),
        category: report.category.id().to_owned(),
        unit_id: UnitId::new(report.unit.clone()),
        status: Status::Received.as_str().to_owned(),
        received_at,
        team_id: routed.team,
        assignee_id: routed.assignee,
        wrapped,
        narrative: seal_text(&key, &id, "narrative", &report.narrative),
        accused: report.accused.as_deref().map(|a| seal_text(&key, &id, "accused", a)),
        incident_date: report
            .incident_date
            .map(|d| seal_text(&key, &id, "incident_date", &d.to_string())),
        amount_vnd: report
            .amount_vnd
            .map(|a| seal_text(&key, &id, "amount_vnd", &a.to_string())),
        id: id.clone(),
    };
    let attachments = super::evidence::seal(&key, &id, None, files);
    store::reports::insert_report(db.pool(), &sealed, &grants, attachments).await?;
    Ok(Submitted {
        code,
        received_at,
        id,
        key,
    })
}

/// Where a new report goes and who may open it.
struct Routed {
    team: Option<TeamId>,
    assignee: Option<UserId>,
    /// (holder id, public key): the assignee, the team's supervisors and the recovery key.
    holders: Vec<(String, crypto::PublicKey)>,
}

async fn route(db: &Db, category: &str, unit: &str) -> Result<Routed> {
    let pool = db.pool();
    let rules = store::org::list_rules(pool).await?;
    let teams = store::org::list_teams(pool).await?;
    let team = routing::route(&rules, &store::org::team_nodes(&teams), category, unit);
    let mut holders = Vec::new();
    let mut assignee = None;
    if let Some(team) = &team {
        let candidates = store::users::list_candidates(pool, team).await?;
        if let Some(chosen) = routing::choose_assignee(&candidates, unit) {
            if let Some(user) = store::users::find_by_id(pool, &chosen.user_id).await? {
                holders.push((user.id.to_string(), user.public_key));
                assignee = Some(user.id);
            }
        }
        let supervisors = store::users::list_supervisors(pool, team).await?;
        holders.extend(supervisors.into_iter().map(|(id, key)| (id.to_string(), key)));
    }
    if let Some(recovery) = store::grants::recovery_public_key(pool).await? {
        holders.push((store::grants::RECOVERY.to_owned(), recovery));
    }
    Ok(Routed {
        team,
        assignee,
        holders,
    })
}

/// A report opened with its code: the stored row and the unwrapped key.
pub struct Opened {
    pub report: StoredReport,
    key: ReportKey,
}

/// Finds and unlocks the report of a code. An unknown code costs the same Argon2id work as a known one,
/// and every failure is the same [`Error::CodeNotFound`].
pub async fn open(db: &Db, gate: &KdfGate, code: Option<RetrievalCode>) -> Result<Opened> {
    let secrets = code.as_ref().map(RetrievalCode::derive);
    let found = match &secrets {
        Some(s) => store::reports::find_by_locator(db.pool(), &s.locator.to_hex()).await?,
        None => None,
    };
    let wrapping = secrets
        .map(|s| s.wrapping)
        .unwrap_or_else(|| Zeroizing::new(crypto::random_bytes()));
    let erased = match found {
        Some(Located::Report(report)) => {
            let report = *report;
            let (wrapped, id) = (report.wrapped.clone(), report.id.clone());
            let key = gate
                .anonymous(move || crypto::unwrap_report_key(&wrapped, &wrapping, &id))
                .await?;
            return key.map(|key| Opened { report, key }).map_err(|_| Error::CodeNotFound);
        }
        Some(Located::Erased(at)) => Some(at),
        None => None,
    };
    // Equalise timing with a derivation of the same cost that cannot succeed: an erased report has no key
    // left to derive for.
    let decoy = crypto::WrappedKey {
        salt: crypto::random_bytes(),
        params: KdfParams::default(),
        sealed: vec![],
    };
    let _ = gate
        .anonymous(move || crypto::unwrap_report_key(&decoy, &wrapping, "decoy"))
        .await?;
    Err(erased.map_or(Error::CodeNotFound, Error::Erased))
}

/// What the reporter wrote, decrypted for their own eyes.
pub struct ReportContent {
    pub narrative: String,
    pub accused: Option<String>,
    pub incident_date: Option<String>,
    pub amount_vnd: Option<i64>,
}

pub struct MessageView {
    pub author: Author,
    pub at: i64,
    pub body: String,
}

/// Everything the status page and the status API show.
pub struct StatusView {
    pub status: Status,
    pub category: String,
    pub unit: String,
    pub received_at: i64,
    pub events: Vec<ledger::Entry>,
    pub messages: Vec<MessageView>,
    pub deadlines: Vec<Deadline>,
    pub content: ReportContent,
    /// The reporter's rating of the handling (score, when), once given.
    pub rating: Option<(u8, i64)>,
    /// Whether the reporter may rate now: the result notified, no rating yet.
    pub may_rate: bool,
}

impl Opened {
    /// A report opened by a staff member with a key from their grant.
    pub fn with_key(report: StoredReport, key: ReportKey) -> Self {
        Self { report, key }
    }

    pub fn key(&self) -> &ReportKey {
        &self.key
    }

    pub(crate) fn open_text(&self, field: &'static str, sealed: &[u8], context: &[&str]) -> Result<String> {
        let plain = crypto::open(&self.key, context, sealed).map_err(|_| Error::Corrupt(field))?;
        String::from_utf8(plain.to_vec()).map_err(|_| Error::Corrupt(field))
    }

    fn field(&self, field: &'static str, sealed: &Option<Vec<u8>>) -> Result<Option<String>> {
        sealed
            .as_deref()
            .map(|s| self.open_text(field, s, &aad::field(&self.report.id, field)))
            .transpose()
    }

    pub fn content(&self) -> Result<ReportContent> {
        let r = &self.report;
        Ok(ReportContent {
            narrative: self.open_text("narrative", &r.narrative, &aad::field(&r.id, "narrative"))?,
            accused: self.field("accused", &r.accused)?,
            incident_date: self.field("incident_date", &r.incident_date)?,
            amount_vnd: self.field("amount_vnd", &r.amount_vnd)?.and_then(|a| a.parse().ok()),
        })
    }

    /// The report's status, timeline, deadlines and messages, as of `now`.
    pub async fn status(&self, db: &Db, clock: Clock) -> Result<StatusView> {
        let now = clock.millis();
        let r = &self.report;
        let events = ledger::list_for_report(db.pool(), &r.id).await?;
        let stored = store::messages::list_for_report(db.pool(), &r.id).await?;
        let messages = stored
            .iter()
            .map(|m| {
                let body = self.open_text("message", &m.body, &aad::message(&r.id, &m.id))?;
                Ok(MessageView {
                    author: m.author,
                    at: m.created_at,
                    body,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let entries = events
            .iter()
            .map(|e| (e.at, e.kind, e.actor.as_str(), e.detail.as_str()));
        let deadlines = crate::domain::clock::deadlines_of(r.received_at, entries, now);
        let status = Status::parse(&r.status).ok_or(Error::Corrupt("status"))?;
        let rating = store::ratings::for_report(db.pool(), &r.id).await?;
        Ok(StatusView {
            may_rate: rating.is_none() && result_notified(status, &clock_events(&events)),
            rating,
            status,
            category: r.category.clone(),
            unit: r.unit_id.to_string(),
            received_at: r.received_at,
            events: events.into_iter().filter(|e| e.kind != EntryKind::Message).collect(),
            messages,
            deadlines,
            content: self.content()?,
        })
    }

    /// Stores a message from the reporter, sealed under the report key, with its evidence `files` in the same
    /// transaction.
    pub async fn reply(&self, db: &Db, body: &str, files: &[Evidence], clock: Clock) -> Result<()> {
        let id = MessageId::new(crypto::random_id());
        let sealed = crypto::seal(&self.key, &aad::message(&self.report.id, &id), body.as_bytes());
        let message = StoredMessage {
            id,
            report_id: self.report.id.clone(),
            author: Author::Reporter,
            created_at: clock.millis(),
            body: sealed,
        };
        let attachments = super::evidence::seal(&self.key, &self.report.id, Some(message.id.as_str()), files);
        let mut tx = db.pool().begin().await?;
        store::messages::insert_in(&mut tx, &message, "reporter").await?;
        for file in attachments {
            store::attachments::insert_in(&mut tx, &self.report.id, message.created_at, "reporter", file).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores the reporter's rating of the handling: once per report ([`Error::AlreadyRated`] after), and
    /// only once the result was notified ([`Error::NotRatable`] before). The comment is sealed under the
    /// report key.
    pub async fn rate(&self, db: &Db, rating: &Rating, clock: Clock) -> Result<()> {
        let r = &self.report;
        let status = Status::parse(&r.status).ok_or(Error::Corrupt("status"))?;
        let events = ledger::list_for_report(db.pool(), &r.id).await?;
        if !result_notified(status, &clock_events(&events)) {
            return Err(Error::NotRatable);
        }
        let comment = (rating.comment.as_ref()).map(|c| crypto::seal(&self.key, &aad::rating(&r.id), c.as_bytes()));
        match store::ratings::insert(db.pool(), &r.id, rating.score, comment.as_deref(), clock.millis()).await? {
            true => Ok(()),
            false => Err(Error::AlreadyRated),
        }
    }

    /// Adds evidence files to the report on their own (the API's `POST /reports/attachments`).
    pub async fn attach(&self, db: &Db, files: &[Evidence], clock: Clock) -> Result<usize> {
        let attachments = super::evidence::seal(&self.key, &self.report.id, None, files);
        let mut tx = db.pool().begin().await?;
        for file in attachments {
            store::attachments::insert_in(&mut tx, &self.report.id, clock.millis(), "reporter", file).await?;
        }
        tx.commit().await?;
        Ok(files.len())
    }
}

/// A report's ledger entries as the clock reads them.
fn clock_events(entries: &[ledger::Entry]) -> Vec<crate::domain::deadlines::Event<'_>> {
    (entries.iter())
        .map(|e| crate::domain::clock::clock_event(e.at, e.kind, &e.actor, &e.detail))
        .collect()
}

/// Checks a report as typed against the organisation's units, with every field error at once
/// ([`Error::InvalidFields`]); the incident date cannot be later than `clock`'s day.
pub async fn check(db: &Db, raw: &crate::domain::RawReport, clock: Clock) -> Result<NewReport> {
    let units = store::units::list_units(db.pool()).await?;
    NewReport::parse(raw, |id| units.iter().any(|u| u.id == id), clock.today()).map_err(Error::InvalidFields)
}
