//! How long a closed report is kept (issue 12): the policy's retention schedule, per final outcome, in months
//! after the case closed, and the day a case is due for erasure. Pure code.
//!
//! A period runs from the closing of the case (its transition to `closed`). A substantiated report whose
//! commendation still waits for the officer (pending: no decision yet; claimed: payment due) waits for it.
//! Its period then runs from the commendation's end, if that came after the closing: paid, declined, no
//! reward, or decided and never claimed (counted from the decision, so that a reporter who never comes back
//! does not keep the report forever; a claim made later stops that count).

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use super::calendar::local_date;
use super::clock::clock_events;
use super::commendation::State;
use super::entry::EntryKind;
use super::Status;

/// The final outcome of a case, for its retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Not accepted for handling.
    Rejected,
    /// Passed to the competent authority.
    Transferred,
    Unsubstantiated,
    /// Substantiated (wholly or partly) with no reward: the officer decided none, or no commendation opened.
    Substantiated,
    /// Substantiated, and the commendation or reward was paid.
    CommendationPaid,
    /// Substantiated, and the reporter declined the commendation.
    CommendationDeclined,
    /// Substantiated, a commendation decided, and the reporter has not claimed it (counted from the decision).
    CommendationUnclaimed,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Rejected,
        Outcome::Transferred,
        Outcome::Unsubstantiated,
        Outcome::Substantiated,
        Outcome::CommendationPaid,
        Outcome::CommendationDeclined,
        Outcome::CommendationUnclaimed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Rejected => "rejected",
            Outcome::Transferred => "transferred",
            Outcome::Unsubstantiated => "unsubstantiated",
            Outcome::Substantiated => "substantiated",
            Outcome::CommendationPaid => "commendation_paid",
            Outcome::CommendationDeclined => "commendation_declined",
            Outcome::CommendationUnclaimed => "commendation_unclaimed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// The key of the outcome's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("retention-outcome-{}", self.as_str().replace('_', "-"))
    }
}

/// One outcome's period: months after closing, and where the number comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub months: u32,
    pub rule: String,
}

/// The longest period a policy may set: a hundred years. Longer is a typing error, refused when read.
pub const MAX_MONTHS: u32 = 1_200;

/// The `[retention]` table of a policy file: a default period and one per outcome that differs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub default_months: u32,
    pub default_rule: String,
    /// Read by name, checked into [`Outcome`]s by [`Schedule::check`].
    #[serde(default)]
    outcomes: BTreeMap<String, Period>,
}

impl Schedule {
    /// Refuses an unknown outcome name, a period without its rule, or one past [`MAX_MONTHS`].
    pub fn check(&self) -> Result<(), String> {
        let default = Period {
            months: self.default_months,
            rule: self.default_rule.clone(),
        };
        for (name, period) in
            std::iter::once(("default", &default)).chain(self.outcomes.iter().map(|(n, p)| (n.as_str(), p)))
        {
            if name != "default" && Outcome::parse(name).is_none() {
                return Err(format!("retention: unknown outcome {name:?}"));
            }
            if period.rule.trim().is_empty() {
                return Err(format!("retention: the {name} period needs a rule"));
            }
            if period.months > MAX_MONTHS {
                return Err(format!("retention: the {name} period is over {MAX_MONTHS} months"));
            }
        }
        Ok(())
    }

    /// The period of `outcome`: its own, else the default.
    pub fn period(&self, outcome: Outcome) -> Period {
        self.outcomes.get(outcome.as_str()).cloned().unwrap_or_else(|| Period {
            months: self.default_months,
            rule: self.default_rule.clone(),
        })
    }
}

/// Where a case stands with respect to erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retention {
    /// The case is not closed: no period runs.
    Open,
    /// Closed with a commendation that still waits for the officer: the period starts when it ends.
    AwaitingCommendation,
    /// The policy sets no retention schedule: nothing is erased.
    Kept,
    /// Erased on or after `erase_on` (a day in Vietnam's time, the calendar the deadlines use), `period`
    /// after `since`.
    Due {
        outcome: Outcome,
        period: Period,
        since: i64,
        erase_on: Date,
    },
}

impl Retention {
    /// The day the case is due for erasure, if one is set.
    pub fn erase_on(&self) -> Option<Date> {
        match self {
            Retention::Due { erase_on, .. } => Some(*erase_on),
            _ => None,
        }
    }

    /// Whether the case is due for erasure at `now` (UTC milliseconds).
    pub fn is_due(&self, now: i64) -> bool {
        self.erase_on().is_some_and(|day| local_date(now) >= day)
    }
}

/// The closing of a case from its `clock` column: when it closed and the status it closed from. `None`
/// while it is not closed.
pub fn closing(clock: &str) -> Option<(i64, Status)> {
    let events = clock_events(clock);
    let mut last = None;
    let mut closed = None;
    for event in events.iter().filter(|e| e.kind == EntryKind::Transition) {
        let Some(to) = event.to.and_then(Status::parse) else {
            continue;
        };
        if to == Status::Closed {
            closed = last.map(|from| (event.at, from));
        } else {
            last = Some(to);
            closed = None;
        }
    }
    closed
}

/// A case's retention under `schedule` (the policy's, if it has one): from its `clock` column and its
/// commendation's state and last change, if it has one.
pub fn retention(schedule: Option<&Schedule>, clock: &str, commendation: Option<(State, i64)>) -> Retention {
    let Some((closed_at, from)) = closing(clock) else {
        return Retention::Open;
    };
    let (outcome, since) = match (from, commendation) {
        (Status::Rejected, _) => (Outcome::Rejected, closed_at),
        (Status::Transferred, _) => (Outcome::Transferred, closed_at),
        (Status::Unsubstantiated, _) => (Outcome::Unsubstantiated, closed_at),
        (_, None) => (Outcome::Substantiated, closed_at),
        (_, Some((state, at))) => {
            let outcome = match state {
                State::Paid => Outcome::CommendationPaid,
                State::Declined => Outcome::CommendationDeclined,
                State::NoReward => Outcome::Substantiated,
                State::Decided => Outcome::CommendationUnclaimed,
                State::Pending | State::Claimed => return Retention::AwaitingCommendation,
            };
            (outcome, at.max(closed_at))
        }
    };
    let Some(schedule) = schedule else {
        return Retention::Kept;
    };
    let period = schedule.period(outcome);
    let erase_on = super::policy::add_months(local_date(since), period.months);
    Retention::Due {
        outcome,
        period,
        since,
        erase_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const DAY: i64 = 86_400_000;
    /// 2026-03-02 03:00 UTC: 10:00 in Vietnam.
    const T0: i64 = 1_772_420_400_000;

    fn schedule() -> Schedule {
        toml::from_str(
            r#"
            default_months = 60
            default_rule = "default"
            [outcomes.unsubstantiated]
            months = 2
            rule = "two months"
            "#,
        )
        .unwrap()
    }

    /// The outcome and start of a retention that must be due.
    fn due(retention: Retention) -> (Outcome, i64) {
        match retention {
            Retention::Due { outcome, since, .. } => (outcome, since),
            other => panic!("not due: {other:?}"),
        }
    }

    fn clock(path: &[(&str, i64)]) -> String {
        path.iter().map(|(to, at)| format!("{at}:t:{to}:1;")).collect()
    }

    #[test]
    fn the_period_runs_from_the_closing_with_the_outcome_it_closed_from() {
        let s = schedule();
        let c = clock(&[
            ("accepted", T0),
            ("investigating", T0 + DAY),
            ("unsubstantiated", T0 + 20 * DAY),
            ("closed", T0 + 21 * DAY),
        ]);
        let r = retention(Some(&s), &c, None);
        assert_eq!(r.erase_on(), Some(date!(2026 - 05 - 23)), "{r:?}");
        assert_eq!(due(r.clone()), (Outcome::Unsubstantiated, T0 + 21 * DAY));
        assert!(!r.is_due(T0 + 60 * DAY));
        assert!(r.is_due(T0 + 83 * DAY));
        let rejected = clock(&[("rejected", T0), ("closed", T0 + DAY)]);
        assert_eq!(
            retention(Some(&s), &rejected, None).erase_on(),
            Some(date!(2031 - 03 - 03)),
            "the default"
        );
    }

    #[test]
    fn nothing_runs_before_closing_nor_while_the_commendation_is_open() {
        let s = schedule();
        assert_eq!(retention(Some(&s), &clock(&[("rejected", T0)]), None), Retention::Open);
        assert_eq!(retention(Some(&s), "", None), Retention::Open);
        let c = clock(&[
            ("accepted", T0),
            ("investigating", T0),
            ("substantiated", T0),
            ("closed", T0 + DAY),
        ]);
        let unclaimed = retention(Some(&s), &c, Some((State::Decided, T0 + 10 * DAY)));
        assert_eq!(
            due(unclaimed),
            (Outcome::CommendationUnclaimed, T0 + 10 * DAY),
            "from the decision"
        );
        for state in [State::Pending, State::Claimed] {
            assert_eq!(
                retention(Some(&s), &c, Some((state, T0))),
                Retention::AwaitingCommendation
            );
        }
        let paid = retention(Some(&s), &c, Some((State::Paid, T0 + 400 * DAY)));
        assert_eq!(
            due(paid),
            (Outcome::CommendationPaid, T0 + 400 * DAY),
            "from the payment, after closing"
        );
        let early = retention(Some(&s), &c, Some((State::NoReward, T0)));
        assert_eq!(
            due(early),
            (Outcome::Substantiated, T0 + DAY),
            "from the closing, after the decision"
        );
        assert_eq!(
            retention(None, &c, Some((State::Paid, T0))),
            Retention::Kept,
            "no schedule, nothing erased"
        );
    }

    #[test]
    fn a_schedule_with_an_unknown_outcome_or_no_rule_is_refused() {
        let bad: Schedule =
            toml::from_str("default_months = 1\ndefault_rule = \"x\"\n[outcomes.lost]\nmonths = 1\nrule = \"x\"")
                .unwrap();
        assert!(bad.check().unwrap_err().contains("lost"));
        let bad: Schedule = toml::from_str("default_months = 1\ndefault_rule = \" \"").unwrap();
        assert!(bad.check().is_err());
        let bad: Schedule = toml::from_str("default_months = 5000\ndefault_rule = \"x\"").unwrap();
        assert!(bad.check().is_err());
        assert!(schedule().check().is_ok());
    }

    #[test]
    fn a_policy_file_with_a_wrong_retention_schedule_is_refused_when_read() {
        let preset = include_str!("../../policies/vn-2018.toml");
        let unknown = preset.replacen("[retention.outcomes.rejected]", "[retention.outcomes.lost]", 1);
        let error = super::super::policy::Policy::parse(&unknown).unwrap_err().to_string();
        assert!(error.contains("unknown outcome \"lost\""), "{error}");
        let typo = preset.replacen("default_months = 180", "default_month = 180", 1);
        assert!(
            super::super::policy::Policy::parse(&typo).is_err(),
            "an unknown key is refused, not read as no schedule"
        );
        let without: String = preset
            .split("[retention]")
            .next()
            .map(|head| format!("{head}{}", &preset[preset.find("[holidays]").unwrap()..]))
            .unwrap();
        assert!(
            super::super::policy::Policy::parse(&without)
                .unwrap()
                .retention()
                .is_none(),
            "no schedule: nothing is erased"
        );
    }
}
