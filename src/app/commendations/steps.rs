//! The officer's steps on a commendation: the proposal, the decision and the payment, each one guarded
//! ledger entry.

use super::{open_file, seal_field};
use crate::app::{Actor, Clock, Error, Result};
use crate::domain::calendar;
use crate::domain::commendation::{self, DecisionError, State};
use crate::domain::ids::ReportId;
use crate::domain::report::parse_message;
use crate::domain::reward::{self, Claim, Proposal, Scheme};
use crate::domain::FieldError;
use crate::store::commendations as stored;
use crate::store::Db;

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
pub async fn propose(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    input: &ProposalInput<'_>,
) -> Result<Proposal> {
    // The file first: a commendation the officer may not open is refused as such, whatever the input.
    let file = open_file(db, actor, id).await?;
    let recovered = parse_amount(input.recovered).map_err(|e| Error::Invalid("recovered", e))?;
    let evidence = parse_message(input.evidence).map_err(|e| Error::Invalid("evidence", e))?;
    let scheme = file.scheme();
    let bribe = match input.bribe.map(str::trim).filter(|b| !b.is_empty()) {
        Some(text) if scheme == Scheme::IdPp432018 => {
            Some(parse_amount(Some(text)).map_err(|e| Error::Invalid("bribe", e))?)
        }
        _ => None,
    };
    let form = match scheme {
        Scheme::VnTtlt012015 => {
            let form = input
                .form
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .ok_or(Error::Invalid("form", FieldError::Required))?;
            if !commendation::forms(scheme).contains(&form) {
                return Err(Error::Invalid("form", FieldError::UnknownForm));
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
    let today = clock.today();
    let proposal =
        reward::propose(scheme, &claim, today).map_err(|_| Error::Invalid("recovered", FieldError::InvalidAmount))?;
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
    if !stored::record_proposal(db.pool(), id, &record, &actor.user.id, clock.millis()).await? {
        return Err(Error::Conflict);
    }
    Ok(proposal)
}

/// The officer's decision: a form and amount (another amount than proposed needs a reason), or no reward
/// (form `none`, amount 0, with a reason). The proposal is recomputed with the base salary in force today.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    form: Option<&str>,
    amount: Option<&str>,
    reason: Option<&str>,
) -> Result<State> {
    let file = open_file(db, actor, id).await?;
    let form = form
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .ok_or(Error::Invalid("form", FieldError::Required))?;
    let amount = parse_amount(amount).map_err(|e| Error::Invalid("amount", e))?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) => Some(parse_message(Some(text)).map_err(|e| Error::Invalid("reason", e))?),
        None => None,
    };
    if file.state() != State::Pending {
        return Err(Error::Conflict);
    }
    let proposal = file.proposal_on(clock.today());
    let decision = commendation::decide(file.scheme(), proposal.as_ref(), form, amount, reason.as_deref()).map_err(
        |e| match e {
            DecisionError::UnknownForm => Error::Invalid("form", FieldError::UnknownForm),
            DecisionError::BadAmount => Error::Invalid("amount", FieldError::InvalidAmount),
            DecisionError::AmountWithoutReward => Error::Invalid("amount", FieldError::AmountWithoutReward),
            DecisionError::ReasonRequired => Error::Invalid("reason", FieldError::ReasonRequired),
            DecisionError::NoProposal => Error::Conflict,
            DecisionError::ZeroReward => Error::Invalid("amount", FieldError::ZeroReward),
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
    if !stored::record_decision(db.pool(), id, &record, &actor.user.id, clock.millis()).await? {
        return Err(Error::Conflict);
    }
    Ok(decision.state)
}

/// Records the payment of a claimed reward: the decided amount and a payment reference. `claim_seen` is
/// the `claimed_at` of the claim the officer read (RFC 3339, as the file shows it): if the reporter has
/// claimed again since, with other details, the payment is refused (409) until the officer reads them.
pub async fn pay(
    db: &Db,
    actor: &Actor,
    clock: Clock,
    id: &ReportId,
    amount: Option<&str>,
    reference: Option<&str>,
    claim_seen: Option<&str>,
) -> Result<()> {
    let file = open_file(db, actor, id).await?;
    let amount = parse_amount(amount).map_err(|e| Error::Invalid("amount", e))?;
    let reference = parse_message(reference).map_err(|e| Error::Invalid("reference", e))?;
    let Some(claimed_at) = file.row.claimed_at.filter(|_| file.state() == State::Claimed) else {
        return Err(Error::Conflict);
    };
    if claim_seen.is_some_and(|seen| seen.trim() != calendar::rfc3339(claimed_at)) {
        return Err(Error::Conflict);
    }
    if Some(amount) != file.row.decided_amount {
        return Err(Error::Invalid("amount", FieldError::AmountMismatch));
    }
    let sealed = seal_field(&file.key, id, "payment_reference", &reference);
    let at = clock.millis();
    if !stored::record_payment(db.pool(), id, claimed_at, amount, &sealed, &actor.user.id, at).await? {
        return Err(Error::Conflict);
    }
    Ok(())
}
