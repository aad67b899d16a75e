//! Commendations: their keys, the officer's file, proposal, decision and payment, and the reporter's claim.
//!
//! Two keys per commendation (DESIGN.md, "Cryptography"):
//! - the *commendation key* seals the officer's evidence reference, the decision's reason and the payment
//!   reference. It is HPKE-granted to every active officer, and sealed under the report key, so that the
//!   reporter reads the decision with the code.
//! - the *claim key* seals what the reporter reveals to claim (identity, payment details). It is
//!   HPKE-granted to the officers alone: not sealed under the report key, not granted to the recovery key,
//!   so no investigator, supervisor or admin can open it — a cryptographic wall, not a display rule.
//!
//! Whoever can open a commendation key passes it to active officers who lack it, never on a page view: a
//! staff member at sign-in (an officer with the file, an investigator or supervisor with the report), the
//! reporter when checking the status with the code. So an officer who joins later, or after a password
//! reset, gets the file at the next sign-in of another holder.
//! A claim key is never passed on that way: the claim stays with the officers active when the reporter made
//! it, and the reporter can claim again (re-sealed to the officers of the day) until the reward is paid.
//! Otherwise whoever can create an officer account could collect every identity.

use crate::crypto::{self, aad, ReportKey};
use crate::domain::calendar::Deadline;
pub use crate::domain::claim::Identity;
use crate::domain::commendation::{self, State};
use crate::domain::ids::{ReportId, UserId};
use crate::domain::reward::{self, Claim, Proposal, Scheme};
use crate::domain::staff::Role;
use crate::domain::EntryKind;
use crate::store::commendations::{self as stored, Commendation, Opening, Purpose};
use crate::store::{self, users, Db};

use super::paging::{PageRequest, Paged};
use super::{Actor, Clock, Error, Result};

mod reporter;
mod steps;

pub use reporter::{answer, for_reporter, ReporterView};
pub use steps::{decide, parse_amount, pay, propose, ProposalInput};

/// What a grant of each key is bound to, beside its holder.
fn binding(id: &str, purpose: Purpose) -> String {
    aad::commendation_grant(id, purpose.as_str())
}

/// A new commendation for a report being concluded by `report_key`'s holder: its key, sealed for the
/// reporter and granted to the active officers.
pub async fn opening(db: &Db, report_key: &ReportKey, id: &ReportId) -> Result<Opening> {
    let key = ReportKey::generate();
    let scheme = Scheme::active();
    let officers = users::list_officers(db.pool()).await?;
    let opening = Opening {
        scheme: scheme.id(),
        currency: scheme.currency(),
        key_for_reporter: crypto::seal(report_key, &aad::commendation_key(id), key.as_bytes()),
        grants: grants_for(&key, id, Purpose::File, &officers),
    };
    Ok(opening)
}

fn grants_for(
    key: &ReportKey,
    id: &str,
    purpose: Purpose,
    officers: &[(UserId, crypto::PublicKey)],
) -> Vec<(UserId, crypto::Grant)> {
    officers
        .iter()
        .filter_map(|(holder, public)| {
            let grant = crypto::grant(key, public, &binding(id, purpose), holder).ok()?;
            Some((holder.clone(), grant))
        })
        .collect()
}

/// Grants `key` to the active officers who hold no grant of it yet.
async fn heal(db: &Db, key: &ReportKey, id: &ReportId, purpose: Purpose) -> Result<()> {
    let holders = stored::holders(db.pool(), id, purpose).await?;
    let missing: Vec<(UserId, crypto::PublicKey)> = users::list_officers(db.pool())
        .await?
        .into_iter()
        .filter(|(officer, _)| !holders.contains(officer))
        .collect();
    stored::add_grants(db.pool(), id, purpose, &grants_for(key, id, purpose, &missing)).await?;
    Ok(())
}

/// Seals an officer's text (`evidence`, `reason`, `payment_reference`) under the commendation key.
pub fn seal_field(key: &ReportKey, id: &str, field: &str, text: &str) -> Vec<u8> {
    crypto::seal(key, &aad::field(id, field), text.as_bytes())
}

/// Opens a commendation's key with the report key (the reporter's, or an investigator's or supervisor's
/// grant) and grants it to active officers who lack it, so that no file stays closed to every officer (an
/// office without officers at the conclusion, or after its only officer's password reset).
pub async fn heal_with_report_key(
    db: &Db,
    report_key: &ReportKey,
    id: &ReportId,
) -> Result<Option<(Commendation, ReportKey)>> {
    let Some(row) = stored::find(db.pool(), id).await? else {
        return Ok(None);
    };
    let plain = crypto::open(report_key, &aad::commendation_key(id), &row.key_for_reporter)
        .map_err(|_| Error::Corrupt("commendation"))?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt("commendation"))?;
    let key = ReportKey::from_bytes(bytes);
    heal(db, &key, id, Purpose::File).await?;
    Ok(Some((row, key)))
}

/// How many files one sign-in passes on at most; the rest wait for the next sign-in of a holder.
const PASSED_PER_SIGN_IN: i64 = 200;

/// At sign-in: passes every commendation key the actor can open (their own file grant, or a grant of the
/// report's key) to active officers who lack it. Returns how many files were passed on.
pub async fn pass_on_keys(db: &Db, actor: &Actor) -> Result<usize> {
    let user = &actor.user.id;
    let ids = store::grants::lacking_an_officer(db.pool(), user, PASSED_PER_SIGN_IN).await?;
    let mut passed = 0;
    for id in &ids {
        let own = match stored::find_grant(db.pool(), id, Purpose::File, user).await? {
            Some(grant) => crypto::open_grant(&grant, &actor.private_key, &binding(id, Purpose::File), user).ok(),
            None => None,
        };
        if let Some(key) = own {
            heal(db, &key, id, Purpose::File).await?;
            passed += 1;
            continue;
        }
        let Some(grant) = store::grants::find_grant(db.pool(), id, user).await? else {
            continue;
        };
        let Ok(report_key) = crypto::open_grant(&grant, &actor.private_key, id, user) else {
            continue;
        };
        if heal_with_report_key(db, &report_key, id).await?.is_some() {
            passed += 1;
        }
    }
    Ok(passed)
}

/// A commendation opened by an officer: the row and the commendation key.
pub struct File {
    pub row: Commendation,
    key: ReportKey,
    scheme: Scheme,
}

impl File {
    pub fn state(&self) -> State {
        self.row.status
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn text(&self, field: &str, sealed: &Option<Vec<u8>>) -> Result<Option<String>> {
        sealed
            .as_deref()
            .map(|s| {
                let plain = crypto::open(&self.key, &aad::field(&self.row.report_id, field), s)
                    .map_err(|_| Error::Corrupt("commendation"))?;
                Ok(String::from_utf8_lossy(&plain).into_owned())
            })
            .transpose()
    }

    pub fn evidence(&self) -> Result<Option<String>> {
        self.text("evidence", &self.row.evidence)
    }

    pub fn reason(&self) -> Result<Option<String>> {
        self.text("reason", &self.row.reason)
    }

    pub fn payment_reference(&self) -> Result<Option<String>> {
        self.text("payment_reference", &self.row.payment_reference)
    }

    /// The commendation's clocks (proposal, decision) as of `clock`, from the report's clock column.
    pub fn deadlines(&self, clock: Clock) -> Vec<Deadline> {
        let mut all = crate::domain::clock::deadlines_of_clock(self.row.received_at, &self.row.clock, clock.millis());
        all.retain(|d| d.stage.is_commendation());
        all
    }

    /// The scheme's proposal from the officer's record, with the base salary in force `on`.
    pub fn proposal_on(&self, on: time::Date) -> Option<Proposal> {
        proposal_of(&self.row, self.scheme(), on)
    }
}

fn proposal_of(row: &Commendation, scheme: Scheme, on: time::Date) -> Option<Proposal> {
    row.proposed_at?;
    let (recovered, bribe) = match row.bribe {
        Some(bribe) => (bribe, true),
        None => (row.recovered.unwrap_or(0), false),
    };
    let claim = Claim {
        recovered,
        form: row.proposed_form.as_deref(),
        bribe,
    };
    reward::propose(scheme, &claim, on).ok()
}

/// Opens a commendation for an officer, with their own grant of its key.
pub async fn open_file(db: &Db, actor: &Actor, id: &ReportId) -> Result<File> {
    actor.as_role(Role::Officer)?;
    let row = stored::find(db.pool(), id).await?.ok_or(Error::NotFound)?;
    if let Some(at) = store::retention::erased_at(db.pool(), id).await? {
        return Err(Error::Erased(at));
    }
    let grant = stored::find_grant(db.pool(), id, Purpose::File, &actor.user.id)
        .await?
        .ok_or(Error::NoKey)?;
    let key = crypto::open_grant(&grant, &actor.private_key, &binding(id, Purpose::File), &actor.user.id)
        .map_err(|_| Error::NoKey)?;
    // A stored scheme this code does not know is corrupt data, never read as today's (an unknown state
    // does not decode in the first place).
    let scheme = Scheme::parse(&row.scheme).ok_or(Error::Corrupt("commendation scheme"))?;
    Ok(File { row, key, scheme })
}

/// The state of a report's commendation, if a conclusion opened one (no content).
pub async fn state_of(db: &Db, id: &ReportId) -> Result<Option<State>> {
    match stored::find(db.pool(), id).await? {
        Some(row) => Ok(Some(row.status)),
        None => Ok(None),
    }
}

/// The file's history as the officer reads it: the case's transitions and the commendation's own steps.
pub async fn history(db: &Db, file: &File) -> Result<Vec<store::ledger::Entry>> {
    let entries = store::ledger::list_for_report(db.pool(), &file.row.report_id).await?;
    Ok(entries
        .into_iter()
        .filter(|e| e.kind.is_commendation() || e.kind == EntryKind::Transition)
        .collect())
}

/// What an officer sees of a claim's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimIdentity {
    /// No claim, or one that revealed nothing.
    Nothing,
    /// Sealed to the officers active when the reporter claimed, of whom the reader is not one.
    NotForYou,
    Revealed(Identity),
}

impl ClaimIdentity {
    pub fn revealed(&self) -> Option<&Identity> {
        match self {
            ClaimIdentity::Revealed(identity) => Some(identity),
            _ => None,
        }
    }
}

/// The claim's identity and payment details, opened with the officer's own grant of the claim key.
pub async fn claim_identity(db: &Db, actor: &Actor, file: &File) -> Result<ClaimIdentity> {
    let id = &file.row.report_id;
    let Some(sealed) = file.row.claim.as_deref() else {
        return Ok(ClaimIdentity::Nothing);
    };
    actor.as_role(Role::Officer)?;
    let Some(grant) = stored::find_grant(db.pool(), id, Purpose::Claim, &actor.user.id).await? else {
        return Ok(ClaimIdentity::NotForYou);
    };
    let key = crypto::open_grant(&grant, &actor.private_key, &binding(id, Purpose::Claim), &actor.user.id)
        .map_err(|_| Error::NoKey)?;
    let plain = crypto::open(&key, &aad::claim(id), sealed).map_err(|_| Error::Corrupt("commendation"))?;
    serde_json::from_slice(&plain)
        .map(ClaimIdentity::Revealed)
        .map_err(|_| Error::Corrupt("commendation"))
}

pub const PER_PAGE: i64 = 50;

/// A page of the officer's queue: each commendation with its current deadline.
pub type QueuePage = Paged<(Commendation, Option<Deadline>)>;

/// The officer's queue: commendations waiting for the officer first, by deadline; then the others, by
/// opening. A page at a time, from the order each commendation keeps (`store::commendations::place_in`).
pub async fn queue(
    db: &Db,
    actor: &Actor,
    state: Option<State>,
    request: PageRequest<'_>,
    clock: Clock,
) -> Result<QueuePage> {
    actor.as_role(Role::Officer)?;
    let cursor = request.cursor(3, PER_PAGE)?;
    let found = stored::list(db.pool(), state.map(State::as_str), &cursor, PER_PAGE).await?;
    let paged = request.paged(found, PER_PAGE, stored::key_of);
    let rows = paged
        .rows
        .into_iter()
        .map(|row| {
            let deadlines = crate::domain::clock::deadlines_of_clock(row.received_at, &row.clock, clock.millis());
            let deadline = commendation::current_deadline(row.status, row.proposed_at.is_some(), &deadlines);
            (row, deadline)
        })
        .collect();
    Ok(Paged {
        rows,
        page: paged.page,
        pages: paged.pages,
        prev: paged.prev,
        next: paged.next,
    })
}

/// Places in the officer's queue the commendations an instance of an older version opened (the start
/// placed all the others); returns how many.
pub async fn place_unplaced(db: &Db) -> Result<usize> {
    Ok(stored::place_unplaced(db.pool()).await?)
}
