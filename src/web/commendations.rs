//! Commendation work shared by the officer pages, the officer API and the reporter's claim.
//!
//! Two keys per commendation (DESIGN.md, "Cryptography"):
//! - the *commendation key* seals the officer's evidence reference, the decision's reason and the payment
//!   reference. It is HPKE-granted to every active officer, and sealed under the report key, so that the
//!   reporter reads the decision with the code.
//! - the *claim key* seals what the reporter reveals to claim (identity, payment details). It is
//!   HPKE-granted to the officers alone: not sealed under the report key, not granted to the recovery key,
//!   so no investigator, supervisor or admin can open it — a cryptographic wall, not a display rule.
//!
//! Whoever opens a commendation key (an officer, or the reporter with the code) grants it to active officers
//! who lack it, so an officer who joins later, or after a password reset, gets the file at the next visit.
//! A claim key is never passed on that way: the claim stays with the officers active when the reporter made
//! it, and the reporter can claim again (re-sealed to the officers of the day) until the reward is paid.
//! Otherwise whoever can create an officer account could collect every identity.

use serde::{Deserialize, Serialize};

use crate::crypto::{self, ReportKey};
use crate::domain::calendar::{self, Deadline};
use crate::domain::commendation::{self, DecisionError, State};
use crate::domain::report::parse_message;
use crate::domain::reward::{self, Claim, Proposal, Scheme};
use crate::domain::staff::Role;
use crate::domain::FieldError;
use crate::store::commendations::{self as stored, Commendation, Opening, Purpose};
use crate::store::{self, users, Db};

use super::casework::Denied;
use super::reporting::{Failure, Opened};
use super::session::Staff;

/// What a grant of each key is bound to, beside its holder.
fn binding(id: &str, purpose: Purpose) -> String {
    format!("{id}/{}", purpose.as_str())
}

const KEY_FOR_REPORTER: &str = "commendation-key";

/// A new commendation for a report being concluded by `report_key`'s holder: its key, sealed for the
/// reporter and granted to the active officers.
pub async fn opening(db: &Db, report_key: &ReportKey, id: &str) -> Result<Opening, sqlx::Error> {
    opening_with_key(db, report_key, id).await.map(|(opening, _)| opening)
}

/// [`opening`], and the new commendation key (for demo data, which records proposals without a session).
pub async fn opening_with_key(db: &Db, report_key: &ReportKey, id: &str) -> Result<(Opening, ReportKey), sqlx::Error> {
    let key = ReportKey::generate();
    let scheme = Scheme::active();
    let officers = users::list_officers(db.pool()).await?;
    let opening = Opening {
        scheme: scheme.id(),
        currency: scheme.currency(),
        key_for_reporter: crypto::seal(report_key, &[id, KEY_FOR_REPORTER], key.as_bytes()),
        grants: grants_for(&key, id, Purpose::File, &officers),
    };
    Ok((opening, key))
}

fn grants_for(
    key: &ReportKey,
    id: &str,
    purpose: Purpose,
    officers: &[(String, crypto::PublicKey)],
) -> Vec<(String, crypto::Grant)> {
    officers
        .iter()
        .filter_map(|(holder, public)| {
            let grant = crypto::grant(key, public, &binding(id, purpose), holder).ok()?;
            Some((holder.clone(), grant))
        })
        .collect()
}

/// Grants `key` to the active officers who hold no grant of it yet.
async fn heal(db: &Db, key: &ReportKey, id: &str, purpose: Purpose) -> Result<(), sqlx::Error> {
    let holders = stored::holders(db.pool(), id, purpose).await?;
    let missing: Vec<(String, crypto::PublicKey)> = users::list_officers(db.pool())
        .await?
        .into_iter()
        .filter(|(officer, _)| !holders.contains(officer))
        .collect();
    stored::add_grants(db.pool(), id, purpose, &grants_for(key, id, purpose, &missing)).await
}

/// Seals an officer's text (`evidence`, `reason`, `payment_reference`) under the commendation key.
pub fn seal_field(key: &ReportKey, id: &str, field: &str, text: &str) -> Vec<u8> {
    crypto::seal(key, &[id, field], text.as_bytes())
}

/// Opens a commendation's key with the report key (the reporter's, or an investigator's or supervisor's
/// grant) and grants it to active officers who lack it, so that no file stays closed to every officer (an
/// office without officers at the conclusion, or after its only officer's password reset).
pub async fn heal_with_report_key(
    db: &Db,
    report_key: &ReportKey,
    id: &str,
) -> Result<Option<(Commendation, ReportKey)>, Failure> {
    let Some(row) = stored::find(db.pool(), id).await? else {
        return Ok(None);
    };
    let plain = crypto::open(report_key, &[id, KEY_FOR_REPORTER], &row.key_for_reporter)
        .map_err(|_| Failure::Corrupt("commendation"))?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| Failure::Corrupt("commendation"))?;
    let key = ReportKey::from_bytes(bytes);
    heal(db, &key, id, Purpose::File).await?;
    Ok(Some((row, key)))
}

/// A commendation opened by an officer: the row and the commendation key.
pub struct File {
    pub row: Commendation,
    key: ReportKey,
}

/// What the reporter may reveal to claim a reward. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub contact: Option<String>,
    pub payment: Option<String>,
}

/// Longest claim field, in characters.
pub const IDENTITY_FIELD_MAX: usize = 500;

impl Identity {
    /// Trims every field, drops empty ones and checks lengths.
    pub fn parse(fields: [(&'static str, Option<&str>); 4]) -> Result<Option<Identity>, (&'static str, FieldError)> {
        let mut values: [Option<String>; 4] = Default::default();
        for (i, (name, value)) in fields.iter().enumerate() {
            let text = value.map(str::trim).filter(|v| !v.is_empty());
            if let Some(text) = text {
                if text.chars().count() > IDENTITY_FIELD_MAX {
                    return Err((
                        name,
                        FieldError::TooLong {
                            max: IDENTITY_FIELD_MAX,
                        },
                    ));
                }
                values[i] = Some(text.to_owned());
            }
        }
        let [name, id_number, contact, payment] = values;
        let identity = Identity {
            name,
            id_number,
            contact,
            payment,
        };
        Ok((identity != Identity::default()).then_some(identity))
    }
}

impl File {
    pub fn state(&self) -> State {
        State::parse(&self.row.status).unwrap_or(State::Pending)
    }

    pub fn scheme(&self) -> Scheme {
        Scheme::parse(&self.row.scheme).unwrap_or_else(Scheme::active)
    }

    fn text(&self, field: &str, sealed: &Option<Vec<u8>>) -> Result<Option<String>, Denied> {
        sealed
            .as_deref()
            .map(|s| {
                let plain = crypto::open(&self.key, &[&self.row.report_id, field], s).map_err(|_| Denied::Corrupt)?;
                Ok(String::from_utf8_lossy(&plain).into_owned())
            })
            .transpose()
    }

    pub fn evidence(&self) -> Result<Option<String>, Denied> {
        self.text("evidence", &self.row.evidence)
    }

    pub fn reason(&self) -> Result<Option<String>, Denied> {
        self.text("reason", &self.row.reason)
    }

    pub fn payment_reference(&self) -> Result<Option<String>, Denied> {
        self.text("payment_reference", &self.row.payment_reference)
    }

    /// The commendation's clocks (proposal, decision) as of `now`, from the report's clock column.
    pub fn deadlines(&self, now: i64) -> Vec<Deadline> {
        let mut all = store::ledger::deadlines_of_clock(self.row.received_at, &self.row.clock, now);
        all.retain(|d| d.stage.starts_with("commendation"));
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

fn officer_only(staff: &Staff) -> Result<(), Denied> {
    if staff.user.role == Role::Officer && staff.user.active {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Opens a commendation for an officer, with their own grant of its key.
pub async fn open_file(db: &Db, staff: &Staff, id: &str) -> Result<File, Denied> {
    officer_only(staff)?;
    let row = stored::find(db.pool(), id).await?.ok_or(Denied::NotFound)?;
    let grant = stored::find_grant(db.pool(), id, Purpose::File, &staff.user.id)
        .await?
        .ok_or(Denied::NoKey)?;
    let key = crypto::open_grant(&grant, &staff.private_key, &binding(id, Purpose::File), &staff.user.id)
        .map_err(|_| Denied::NoKey)?;
    heal(db, &key, id, Purpose::File).await?;
    Ok(File { row, key })
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
pub async fn claim_identity(db: &Db, staff: &Staff, file: &File) -> Result<ClaimIdentity, Denied> {
    let id = &file.row.report_id;
    let Some(sealed) = file.row.claim.as_deref() else {
        return Ok(ClaimIdentity::Nothing);
    };
    if staff.user.role != Role::Officer {
        return Err(Denied::Forbidden);
    }
    let Some(grant) = stored::find_grant(db.pool(), id, Purpose::Claim, &staff.user.id).await? else {
        return Ok(ClaimIdentity::NotForYou);
    };
    let key = crypto::open_grant(&grant, &staff.private_key, &binding(id, Purpose::Claim), &staff.user.id)
        .map_err(|_| Denied::NoKey)?;
    let plain = crypto::open(&key, &[id, "claim"], sealed).map_err(|_| Denied::Corrupt)?;
    serde_json::from_slice(&plain)
        .map(ClaimIdentity::Revealed)
        .map_err(|_| Denied::Corrupt)
}

/// The clock the officer works against now: the proposal until it is recorded, then the decision; none once
/// decided (payment has no legal clock).
pub fn commendation_deadline(row: &Commendation, deadlines: &[Deadline]) -> Option<Deadline> {
    let stage = match (row.status.as_str(), row.proposed_at) {
        ("pending", None) => "commendation_proposal",
        ("pending", Some(_)) => "commendation_decision",
        _ => return None,
    };
    deadlines.iter().find(|d| d.stage == stage).copied()
}

pub const PER_PAGE: usize = 50;

/// The officer's queue: commendations waiting for the officer first, by deadline; then the others, newest
/// decision first. Returns a page, its rows' deadlines, and the number of pages.
pub async fn queue(
    db: &Db,
    staff: &Staff,
    state: Option<State>,
    page: usize,
    now: i64,
) -> Result<(Vec<(Commendation, Option<Deadline>)>, usize), Denied> {
    if staff.user.role != Role::Officer {
        return Err(Denied::Forbidden);
    }
    let rows = stored::list(db.pool(), state.map(State::as_str)).await?;
    let mut out: Vec<(Commendation, Option<Deadline>)> = rows
        .into_iter()
        .map(|row| {
            let deadlines = store::ledger::deadlines_of_clock(row.received_at, &row.clock, now);
            let deadline = commendation_deadline(&row, &deadlines);
            (row, deadline)
        })
        .collect();
    let waiting = |row: &Commendation| State::parse(&row.status).is_some_and(State::awaits_officer);
    out.sort_by(|(a, da), (b, db)| {
        waiting(b)
            .cmp(&waiting(a))
            .then_with(|| da.map(|d| d.due).cmp(&db.map(|d| d.due)))
            .then_with(|| a.opened_at.cmp(&b.opened_at))
    });
    let pages = out.len().div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let rows = out.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect();
    Ok((rows, pages))
}

/// An amount typed by staff: required, then read as [`crate::domain::money::parse_amount`] reads every
/// amount ("1.500.000" is one and a half million; "1.5" is refused).
pub fn parse_amount(text: Option<&str>) -> Result<i64, FieldError> {
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(FieldError::Required)?;
    crate::domain::money::parse_amount(text)
}

/// What the officer records to get a proposal.
pub struct ProposalInput<'a> {
    pub recovered: Option<&'a str>,
    /// For `id_pp43_2018`: the bribe, when the reward is on a bribe rather than recovered losses.
    pub bribe: Option<&'a str>,
    /// For `vn_ttlt_01_2015`: the commendation form proposed.
    pub form: Option<&'a str>,
    pub evidence: Option<&'a str>,
}

/// Records the recovered amount, the evidence reference and the scheme's proposal (one ledger entry).
/// Before the decision the officer may correct it; the proposal clock ends at the first.
pub async fn propose(db: &Db, staff: &Staff, id: &str, input: &ProposalInput<'_>) -> Result<Proposal, Denied> {
    officer_only(staff)?;
    let recovered = parse_amount(input.recovered).map_err(|e| Denied::Invalid("recovered", e))?;
    let evidence = parse_message(input.evidence).map_err(|e| Denied::Invalid("evidence", e))?;
    let file = open_file(db, staff, id).await?;
    let scheme = file.scheme();
    let bribe = match input.bribe.map(str::trim).filter(|b| !b.is_empty()) {
        Some(text) if scheme == Scheme::IdPp432018 => {
            Some(parse_amount(Some(text)).map_err(|e| Denied::Invalid("bribe", e))?)
        }
        _ => None,
    };
    let form = match scheme {
        Scheme::VnTtlt012015 => {
            let form = input
                .form
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .ok_or(Denied::Invalid("form", FieldError::Required))?;
            if !commendation::forms(scheme).contains(&form) {
                return Err(Denied::Invalid("form", FieldError::UnknownForm));
            }
            Some(form)
        }
        _ => None,
    };
    let (amount, on_bribe) = match (scheme, bribe) {
        (Scheme::IdPp432018, Some(bribe)) => (bribe, true),
        _ => (recovered, false),
    };
    let claim = Claim {
        recovered: amount,
        form,
        bribe: on_bribe,
    };
    let today = calendar::local_date(store::now_millis());
    let proposal =
        reward::propose(scheme, &claim, today).map_err(|_| Denied::Invalid("recovered", FieldError::InvalidAmount))?;
    let sealed = seal_field(&file.key, id, "evidence", &evidence);
    let record = stored::ProposalRecord {
        recovered,
        bribe: on_bribe.then_some(amount),
        evidence: &sealed,
        form,
        amount: proposal.amount,
        min: proposal.min,
        max: proposal.max,
    };
    if !stored::record_proposal(db.pool(), id, &record, &staff.user.id, store::now_millis()).await? {
        return Err(Denied::Conflict);
    }
    Ok(proposal)
}

/// The officer's decision: a form and amount (another amount than proposed needs a reason), or no reward
/// (form `none`, amount 0, with a reason). The proposal is recomputed with the base salary in force today.
pub async fn decide(
    db: &Db,
    staff: &Staff,
    id: &str,
    form: Option<&str>,
    amount: Option<&str>,
    reason: Option<&str>,
) -> Result<State, Denied> {
    officer_only(staff)?;
    let form = form
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .ok_or(Denied::Invalid("form", FieldError::Required))?;
    let amount = parse_amount(amount).map_err(|e| Denied::Invalid("amount", e))?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) => Some(parse_message(Some(text)).map_err(|e| Denied::Invalid("reason", e))?),
        None => None,
    };
    let file = open_file(db, staff, id).await?;
    if file.state() != State::Pending {
        return Err(Denied::Conflict);
    }
    let today = calendar::local_date(store::now_millis());
    let proposal = file.proposal_on(today);
    let decision = commendation::decide(file.scheme(), proposal.as_ref(), form, amount, reason.as_deref()).map_err(
        |e| match e {
            DecisionError::UnknownForm => Denied::Invalid("form", FieldError::UnknownForm),
            DecisionError::BadAmount => Denied::Invalid("amount", FieldError::InvalidAmount),
            DecisionError::AmountWithoutReward => Denied::Invalid("amount", FieldError::AmountWithoutReward),
            DecisionError::ReasonRequired => Denied::Invalid("reason", FieldError::ReasonRequired),
            DecisionError::NoProposal => Denied::Conflict,
            DecisionError::ZeroReward => Denied::Invalid("amount", FieldError::ZeroReward),
        },
    )?;
    let sealed = decision.reason.as_ref().map(|r| seal_field(&file.key, id, "reason", r));
    let record = stored::DecisionRecord {
        state: decision.state.as_str(),
        form: &decision.form,
        amount: decision.amount,
        reason: sealed.as_deref(),
        // Decided against the proposal read above: a correction in between makes the update miss (409).
        proposed_amount: file.row.proposed_amount,
    };
    if !stored::record_decision(db.pool(), id, &record, &staff.user.id, store::now_millis()).await? {
        return Err(Denied::Conflict);
    }
    Ok(decision.state)
}

/// Records the payment of a claimed reward: the decided amount and a payment reference. `claim_seen` is
/// the `claimed_at` of the claim the officer read (RFC 3339, as the file shows it): if the reporter has
/// claimed again since, with other details, the payment is refused (409) until the officer reads them.
pub async fn pay(
    db: &Db,
    staff: &Staff,
    id: &str,
    amount: Option<&str>,
    reference: Option<&str>,
    claim_seen: Option<&str>,
) -> Result<(), Denied> {
    officer_only(staff)?;
    let amount = parse_amount(amount).map_err(|e| Denied::Invalid("amount", e))?;
    let reference = parse_message(reference).map_err(|e| Denied::Invalid("reference", e))?;
    let file = open_file(db, staff, id).await?;
    let Some(claimed_at) = file.row.claimed_at.filter(|_| file.state() == State::Claimed) else {
        return Err(Denied::Conflict);
    };
    if claim_seen.is_some_and(|seen| seen.trim() != super::pages::rfc3339(claimed_at)) {
        return Err(Denied::Conflict);
    }
    if Some(amount) != file.row.decided_amount {
        return Err(Denied::Invalid("amount", FieldError::AmountMismatch));
    }
    let sealed = seal_field(&file.key, id, "payment_reference", &reference);
    let at = store::now_millis();
    if !stored::record_payment(db.pool(), id, claimed_at, amount, &sealed, &staff.user.id, at).await? {
        return Err(Denied::Conflict);
    }
    Ok(())
}

/// The commendation as the reporter sees it with the code.
#[derive(Debug, Clone, Serialize)]
pub struct ReporterView {
    pub status: &'static str,
    pub form: Option<String>,
    pub amount: Option<i64>,
    pub currency: String,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    pub paid_amount: Option<i64>,
    pub paid_at: Option<i64>,
    pub claimed_at: Option<i64>,
    /// Whether the reporter may claim now (or claim again, to send their details to the officers of the day).
    pub can_claim: bool,
    /// Whether the reporter may decline now.
    pub can_decline: bool,
}

/// The commendation of the reporter's report, if one was opened. Opening it grants its key to officers
/// who lack it.
pub async fn for_reporter(db: &Db, opened: &Opened) -> Result<Option<ReporterView>, Failure> {
    let id = &opened.report.id;
    let Some((row, key)) = heal_with_report_key(db, opened.key(), id).await? else {
        return Ok(None);
    };
    let state = State::parse(&row.status).ok_or(Failure::Corrupt("commendation"))?;
    let decided = !matches!(state, State::Pending);
    let reason = match (&row.reason, decided) {
        (Some(sealed), true) => {
            let plain = crypto::open(&key, &[id, "reason"], sealed).map_err(|_| Failure::Corrupt("commendation"))?;
            Some(String::from_utf8_lossy(&plain).into_owned())
        }
        _ => None,
    };
    Ok(Some(ReporterView {
        status: state.as_str(),
        form: row.decided_form.clone().filter(|_| decided),
        amount: row.decided_amount.filter(|_| decided),
        currency: row.currency.clone(),
        decided_at: row.decided_at,
        reason,
        paid_amount: row.paid_amount,
        paid_at: row.paid_at,
        claimed_at: row.claimed_at,
        can_claim: matches!(state, State::Decided | State::Claimed),
        can_decline: state == State::Decided,
    }))
}

/// Why a reporter's claim was refused.
#[derive(Debug)]
pub enum ClaimError {
    /// No commendation, or not one that can be claimed now.
    NotClaimable,
    /// Identity was given but no active commendation officer exists to seal it to.
    NoRecipient,
    Failure(Failure),
}

impl From<sqlx::Error> for ClaimError {
    fn from(e: sqlx::Error) -> Self {
        ClaimError::Failure(e.into())
    }
}

/// The reporter claims the decided reward (revealing `identity` to the officers alone, if given) or declines
/// it; a claimed reward may be claimed again until it is paid, replacing what was revealed. The identity is
/// sealed under a fresh claim key granted to the active officers, nobody else.
pub async fn answer(db: &Db, opened: &Opened, accept: bool, identity: Option<&Identity>) -> Result<State, ClaimError> {
    answer_at(db, opened, accept, identity, store::now_millis()).await
}

/// [`answer`] at a given time (demo data is back-dated).
pub async fn answer_at(
    db: &Db,
    opened: &Opened,
    accept: bool,
    identity: Option<&Identity>,
    at: i64,
) -> Result<State, ClaimError> {
    let id = &opened.report.id;
    let row = stored::find(db.pool(), id).await?.ok_or(ClaimError::NotClaimable)?;
    let claimable = row.status == State::Decided.as_str() || (accept && row.status == State::Claimed.as_str());
    if !claimable {
        return Err(ClaimError::NotClaimable);
    }
    let (sealed, grants) = match identity.filter(|_| accept) {
        Some(identity) => {
            let key = ReportKey::generate();
            let json = serde_json::to_vec(identity).map_err(|_| ClaimError::Failure(Failure::Corrupt("claim")))?;
            let sealed = crypto::seal(&key, &[id, "claim"], &json);
            let officers = users::list_officers(db.pool()).await?;
            let grants = grants_for(&key, id, Purpose::Claim, &officers);
            if grants.is_empty() {
                return Err(ClaimError::NoRecipient);
            }
            (Some(sealed), grants)
        }
        None => (None, vec![]),
    };
    if !stored::record_answer(db.pool(), id, &row.status, accept, sealed.as_deref(), &grants, at).await? {
        return Err(ClaimError::NotClaimable);
    }
    Ok(if accept { State::Claimed } else { State::Declined })
}
