//! The commendation case of a substantiated report (DESIGN.md, "Commendations and rewards"): its states,
//! what may happen in each, and the rules a decision must follow. Pure code.

use super::calendar::Deadline;
use super::reward::{Proposal, Scheme, VN_FORMS};

/// Where a commendation stands. Stored by its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Opened by the conclusion; the officer records the recovered amount and decides.
    Pending,
    /// A commendation or reward was decided; the reporter may claim or decline it.
    Decided,
    /// The reporter claimed it; payment is due.
    Claimed,
    Paid,
    /// The officer decided that no reward is due (with a reason).
    NoReward,
    /// The reporter declined the reward.
    Declined,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Decided,
        State::Claimed,
        State::Paid,
        State::NoReward,
        State::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Decided => "decided",
            State::Claimed => "claimed",
            State::Paid => "paid",
            State::NoReward => "no_reward",
            State::Declined => "declined",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The key of the state's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("commendation-{}", self.as_str().replace('_', "-"))
    }

    /// The key of the state's neutral name, for the public and for staff: [`State::message_key`] speaks to
    /// the reporter.
    pub fn neutral_message_key(self) -> String {
        format!("commendation-neutral-{}", self.as_str().replace('_', "-"))
    }

    /// Whether the case still waits for the officer (proposal or decision).
    pub fn awaits_officer(self) -> bool {
        matches!(self, State::Pending | State::Claimed)
    }
}

/// The conclusions that open a commendation case.
pub const OPENING_CONCLUSIONS: [super::Status; 2] =
    [super::Status::Substantiated, super::Status::PartiallySubstantiated];

/// The form of a decision with no reward.
pub const NO_REWARD: &str = "none";

/// The clock the officer works against now: the proposal until it is recorded, then the decision; none once
/// decided (payment has no legal clock).
pub fn current_deadline(status: State, proposed: bool, deadlines: &[Deadline]) -> Option<Deadline> {
    let stage = match (status, proposed) {
        (State::Pending, false) => super::Stage::CommendationProposal,
        (State::Pending, true) => super::Stage::CommendationDecision,
        _ => return None,
    };
    deadlines.iter().find(|d| d.stage == stage).copied()
}

/// A commendation's place in the officer's queue: those waiting for an officer first (rank 0), then the
/// others (1); within a rank by the last day of the current deadline as a Julian day number (0 when there
/// is none, which comes first).
pub fn queue_place(status: State, proposed: bool, deadlines: &[Deadline]) -> (i64, i64) {
    let rank = if status.awaits_officer() { 0 } else { 1 };
    let due = current_deadline(status, proposed, deadlines).map_or(0, |d| i64::from(d.due.to_julian_day()));
    (rank, due)
}

/// The commendation forms a scheme decides between: Joint Circular 01/2015's three, or a money reward.
pub fn forms(scheme: Scheme) -> Vec<&'static str> {
    match scheme {
        Scheme::VnTtlt012015 => VN_FORMS.iter().map(|(name, _)| *name).collect(),
        _ => vec!["money"],
    }
}

/// Why a decision is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("unknown commendation form")]
    UnknownForm,
    #[error("the amount must be a whole number, zero or more")]
    BadAmount,
    #[error("a decision of no reward has the amount 0")]
    AmountWithoutReward,
    #[error("an amount other than the proposal, or no reward, needs a reason")]
    ReasonRequired,
    #[error("record the recovered amount first: there is no proposal yet")]
    NoProposal,
    #[error("a reward of 0 is a decision of no reward")]
    ZeroReward,
}

/// An officer's decision, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// One of [`forms`], or [`NO_REWARD`].
    pub form: String,
    pub amount: i64,
    pub reason: Option<String>,
    /// The state the decision leads to: decided, or no reward.
    pub state: State,
}

/// Checks a decision against the scheme and the proposal: the form must be the scheme's (or no reward,
/// with amount 0 and a reason); an amount other than the proposal (outside its range, where it has one)
/// needs a reason.
pub fn decide(
    scheme: Scheme,
    proposal: Option<&Proposal>,
    form: &str,
    amount: i64,
    reason: Option<&str>,
) -> Result<Decision, DecisionError> {
    let proposal = proposal.ok_or(DecisionError::NoProposal)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if amount < 0 {
        return Err(DecisionError::BadAmount);
    }
    if form == NO_REWARD {
        if amount != 0 {
            return Err(DecisionError::AmountWithoutReward);
        }
        if reason.is_none() {
            return Err(DecisionError::ReasonRequired);
        }
        return Ok(Decision {
            form: form.to_owned(),
            amount,
            reason,
            state: State::NoReward,
        });
    }
    if !forms(scheme).contains(&form) {
        return Err(DecisionError::UnknownForm);
    }
    // A decided reward invites the reporter to claim it, perhaps revealing who they are: never for nothing.
    if amount == 0 {
        return Err(DecisionError::ZeroReward);
    }
    // Where the scheme gives a range (us_sec), any amount within it is the proposal's.
    let as_proposed = match (proposal.min, proposal.max) {
        (Some(low), Some(high)) => (low..=high).contains(&amount),
        _ => amount == proposal.amount,
    };
    if !as_proposed && reason.is_none() {
        return Err(DecisionError::ReasonRequired);
    }
    Ok(Decision {
        form: form.to_owned(),
        amount,
        reason,
        state: State::Decided,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reward::{propose, Claim};
    use time::macros::date;

    fn vn_proposal(recovered: i64, form: &str) -> Proposal {
        let claim = Claim {
            recovered,
            form: Some(form),
            bribe: false,
        };
        propose(Scheme::VnTtlt012015, &claim, date!(2026 - 06 - 01)).expect("proposal")
    }

    #[test]
    fn the_proposed_amount_needs_no_reason() {
        let p = vn_proposal(1_000_000, "pm_certificate");
        let d = decide(Scheme::VnTtlt012015, Some(&p), "pm_certificate", p.amount, None).expect("decides");
        assert_eq!((d.state, d.amount), (State::Decided, 40 * 2_340_000));
    }

    #[test]
    fn another_amount_needs_a_reason() {
        let p = vn_proposal(1_000_000, "pm_certificate");
        let other = p.amount - 1;
        assert_eq!(
            decide(Scheme::VnTtlt012015, Some(&p), "pm_certificate", other, Some("  ")),
            Err(DecisionError::ReasonRequired)
        );
        let d = decide(
            Scheme::VnTtlt012015,
            Some(&p),
            "pm_certificate",
            other,
            Some("fund short"),
        )
        .expect("ok");
        assert_eq!(d.reason.as_deref(), Some("fund short"));
    }

    #[test]
    fn no_reward_has_no_amount_and_a_reason() {
        let p = vn_proposal(0, "ministry_certificate");
        assert_eq!(
            decide(Scheme::VnTtlt012015, Some(&p), NO_REWARD, 5, Some("r")),
            Err(DecisionError::AmountWithoutReward)
        );
        assert_eq!(
            decide(Scheme::VnTtlt012015, Some(&p), NO_REWARD, 0, None),
            Err(DecisionError::ReasonRequired)
        );
        let d = decide(Scheme::VnTtlt012015, Some(&p), NO_REWARD, 0, Some("anonymous tip only")).expect("ok");
        assert_eq!(d.state, State::NoReward);
    }

    #[test]
    fn forms_and_proposals_are_checked() {
        let p = vn_proposal(0, "ministry_certificate");
        assert_eq!(
            decide(Scheme::VnTtlt012015, Some(&p), "money", p.amount, None),
            Err(DecisionError::UnknownForm)
        );
        assert_eq!(
            decide(Scheme::VnTtlt012015, None, "pm_certificate", 1, Some("r")),
            Err(DecisionError::NoProposal)
        );
        assert_eq!(
            decide(Scheme::VnTtlt012015, Some(&p), "pm_certificate", -1, Some("r")),
            Err(DecisionError::BadAmount)
        );
    }

    #[test]
    fn a_range_accepts_any_amount_within_it() {
        let claim = Claim {
            recovered: 2_000_000,
            form: None,
            bribe: false,
        };
        let p = propose(Scheme::UsSec, &claim, date!(2026 - 06 - 01)).expect("proposal");
        assert!(decide(Scheme::UsSec, Some(&p), "money", 600_000, None).is_ok());
        assert_eq!(
            decide(Scheme::UsSec, Some(&p), "money", 600_001, None),
            Err(DecisionError::ReasonRequired)
        );
    }

    #[test]
    fn a_reward_of_nothing_is_no_reward() {
        let claim = Claim {
            recovered: 900_000,
            form: None,
            bribe: false,
        };
        let p = propose(Scheme::UsSec, &claim, date!(2026 - 06 - 01)).expect("proposal");
        assert_eq!((p.min, p.max), (Some(0), Some(0)));
        assert_eq!(
            decide(Scheme::UsSec, Some(&p), "money", 0, None),
            Err(DecisionError::ZeroReward)
        );
        assert_eq!(
            decide(
                Scheme::UsSec,
                Some(&p),
                NO_REWARD,
                0,
                Some("sanctions under the threshold")
            )
            .map(|d| d.state),
            Ok(State::NoReward)
        );
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("approved"), None);
    }
}
