//! Every deadline of a case, computed from its ledger events under a policy: triage from receipt, notice and
//! resolution (with its extensions) from acceptance, feedback from the conclusion. A stage ends with the
//! event the law ties it to; until then it is due, due soon or overdue.

use super::calendar::{self, Deadline, DeadlineState};
use super::entry::EntryKind;
use super::policy::{Policy, Stage};
use super::Status;

/// What the deadlines need to know of one ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub at: i64,
    pub kind: EntryKind,
    /// For transitions, the status moved to; for extensions, the extension's type.
    pub to: Option<&'a str>,
    /// Whether the entry was made by staff (messages: staff writing to the reporter).
    pub by_staff: bool,
}

impl Event<'_> {
    /// A transition to one of `targets`.
    pub fn moves_to(&self, targets: &[Status]) -> bool {
        self.kind == EntryKind::Transition && self.to.and_then(Status::parse).is_some_and(|t| targets.contains(&t))
    }

    /// Staff writing to the reporter at or after `since`.
    fn tells_reporter(&self, since: i64) -> bool {
        self.kind == EntryKind::Message && self.by_staff && self.at >= since
    }
}

const CONCLUSIONS: [Status; 3] = [
    Status::Substantiated,
    Status::PartiallySubstantiated,
    Status::Unsubstantiated,
];

fn first<'a>(events: &'a [Event<'a>], test: impl Fn(&Event<'_>) -> bool) -> Option<&'a Event<'a>> {
    events.iter().find(|e| test(e))
}

fn first_of(events: &[Event<'_>], kind: EntryKind) -> Option<i64> {
    first(events, |e| e.kind == kind).map(|e| e.at)
}

/// When the result of a concluded case was told to the reporter: the first staff message at or after the
/// conclusion, or its closing — on time or late. `None` before, or without a conclusion.
pub fn result_told(events: &[Event<'_>]) -> Option<i64> {
    let concluded = first(events, |e| e.moves_to(&CONCLUSIONS))?.at;
    first(events, |e| e.tells_reporter(concluded) || e.moves_to(&[Status::Closed])).map(|e| e.at)
}

/// Whether the case was concluded (substantiated, partly, or not).
pub fn concluded(events: &[Event<'_>]) -> bool {
    first(events, |e| e.moves_to(&CONCLUSIONS)).is_some()
}

/// The deadlines of a case received at `received_at`, from its events in order, as of `now`.
pub fn case_deadlines(policy: &Policy, received_at: i64, events: &[Event<'_>], now: i64) -> Vec<Deadline> {
    let mut out = Vec::new();
    let triaged = first_of(events, EntryKind::Transition);
    out.extend(calendar::deadline(
        policy,
        Stage::Triage,
        received_at,
        &[],
        triaged,
        now,
    ));
    if let Some(accepted) = first(events, |e| e.moves_to(&[Status::Accepted])).map(|e| e.at) {
        let noticed = first(events, |e| e.tells_reporter(accepted)).map(|e| e.at);
        out.extend(calendar::deadline(policy, Stage::Notice, accepted, &[], noticed, now));
        let extensions: Vec<&str> = events
            .iter()
            .filter(|e| e.kind == EntryKind::Extension)
            .filter_map(|e| e.to)
            .collect();
        let concluded = first(events, |e| e.moves_to(&CONCLUSIONS)).map(|e| e.at);
        out.extend(calendar::deadline(
            policy,
            Stage::Resolution,
            accepted,
            &extensions,
            concluded,
            now,
        ));
        if let Some(concluded) = concluded {
            let told = first(events, |e| e.tells_reporter(concluded) || e.moves_to(&[Status::Closed])).map(|e| e.at);
            out.extend(calendar::deadline(policy, Stage::Feedback, concluded, &[], told, now));
        }
    }
    // A substantiated conclusion opens the commendation (its own event, in the conclusion's transaction): a
    // proposal is due from then, the decision from the proposal. Reports concluded before commendations
    // existed have no such event, and no commendation clock.
    if let Some(opened) = first_of(events, EntryKind::CommendationOpened) {
        let proposed = first_of(events, EntryKind::CommendationProposed);
        out.extend(calendar::deadline(
            policy,
            Stage::CommendationProposal,
            opened,
            &[],
            proposed,
            now,
        ));
        if let Some(proposed) = proposed {
            let decided = first_of(events, EntryKind::CommendationDecided);
            out.extend(calendar::deadline(
                policy,
                Stage::CommendationDecision,
                proposed,
                &[],
                decided,
                now,
            ));
        }
    }
    out
}

/// Why the resolution of a case cannot be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionRefused {
    /// The resolution clock does not run: never accepted, or concluded.
    NotRunning,
    /// The policy knows no extension of this type.
    UnknownType,
    /// The type is used up, or the stage would pass its cap.
    Limit,
}

/// Whether a case now `status`, accepted on `accepted` (if it was) and extended by `earlier` types, may be
/// extended by `kind` under `policy`.
pub fn check_extension(
    policy: &Policy,
    status: Status,
    accepted: Option<time::Date>,
    earlier: &[&str],
    kind: &str,
) -> Result<(), ExtensionRefused> {
    use super::policy::PolicyError;
    let Some(accepted) = accepted.filter(|_| status.resolution_running()) else {
        return Err(ExtensionRefused::NotRunning);
    };
    let mut kinds = earlier.to_vec();
    kinds.push(kind);
    match policy.due(Stage::Resolution, accepted, &kinds) {
        Ok(_) => Ok(()),
        Err(PolicyError::UnknownExtension { .. }) => Err(ExtensionRefused::UnknownType),
        Err(PolicyError::TooManyExtensions { .. } | PolicyError::PastCap { .. }) => Err(ExtensionRefused::Limit),
        Err(_) => Err(ExtensionRefused::NotRunning),
    }
}

/// The deadline to show first: the earliest open one, else the latest.
pub fn next(deadlines: &[Deadline]) -> Option<&Deadline> {
    deadlines
        .iter()
        .filter(|d| d.state != DeadlineState::Met)
        .min_by_key(|d| d.due)
        .or_else(|| deadlines.last())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::OffsetDateTime;

    fn ms(at: OffsetDateTime) -> i64 {
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn transition(at: OffsetDateTime, to: &'static str) -> Event<'static> {
        Event {
            at: ms(at),
            kind: EntryKind::Transition,
            to: Some(to),
            by_staff: true,
        }
    }

    #[test]
    fn a_case_runs_through_every_clock() {
        let policy = Policy::default_preset();
        let received = ms(datetime!(2026-03-02 09:00 +7));
        let events = vec![
            transition(datetime!(2026-03-05 10:00 +7), "accepted"),
            Event {
                at: ms(datetime!(2026-03-06 10:00 +7)),
                kind: EntryKind::Message,
                to: None,
                by_staff: true,
            },
            Event {
                at: ms(datetime!(2026-03-20 10:00 +7)),
                kind: EntryKind::Extension,
                to: Some("complex"),
                by_staff: true,
            },
            transition(datetime!(2026-03-21 10:00 +7), "investigating"),
            transition(datetime!(2026-04-20 10:00 +7), "substantiated"),
            Event {
                at: ms(datetime!(2026-04-20 10:00 +7)),
                kind: EntryKind::CommendationOpened,
                to: None,
                by_staff: false,
            },
        ];
        let now = ms(datetime!(2026-04-21 10:00 +7));
        let all = case_deadlines(policy, received, &events, now);
        let by = |stage: Stage| {
            all.iter()
                .find(|d| d.stage == stage)
                .copied()
                .unwrap_or_else(|| panic!("no {stage} deadline"))
        };
        assert_eq!(by(Stage::Triage).state, DeadlineState::Met);
        assert_eq!(by(Stage::Notice).state, DeadlineState::Met);
        // 30 days from Thursday 5 March, extended by 30 (complex): 4 May.
        assert_eq!(by(Stage::Resolution).due, time::macros::date!(2026 - 05 - 04));
        assert_eq!(by(Stage::Resolution).state, DeadlineState::Met);
        assert_eq!(by(Stage::Feedback).state, DeadlineState::Due);
        assert_eq!(next(&all).map(|d| d.stage), Some(Stage::Feedback));
        // Substantiated on 20 April: a proposal within 30 days (20 May); no decision clock before it.
        assert_eq!(by(Stage::CommendationProposal).due, time::macros::date!(2026 - 05 - 20));
        assert!(all.iter().all(|d| d.stage != Stage::CommendationDecision));
    }

    #[test]
    fn a_commendation_runs_against_its_two_clocks() {
        let policy = Policy::default_preset();
        let received = ms(datetime!(2026-03-02 09:00 +7));
        let event = |at: OffsetDateTime, kind: EntryKind| Event {
            at: ms(at),
            kind,
            to: None,
            by_staff: true,
        };
        let mut events = vec![
            transition(datetime!(2026-03-03 10:00 +7), "accepted"),
            transition(datetime!(2026-03-20 10:00 +7), "partially_substantiated"),
            event(datetime!(2026-03-20 10:00 +7), EntryKind::CommendationOpened),
            event(datetime!(2026-04-30 10:00 +7), EntryKind::CommendationProposed),
        ];
        let now = ms(datetime!(2026-05-02 10:00 +7));
        let all = case_deadlines(policy, received, &events, now);
        let by = |all: &[Deadline], stage: Stage| {
            all.iter()
                .find(|d| d.stage == stage)
                .copied()
                .unwrap_or_else(|| panic!("no {stage} deadline"))
        };
        // 30 days from 20 March end on Sunday 19 April, so on Monday 20 April (Civil Code Art. 148);
        // proposed on 30 April: missed, and ended.
        let proposal = by(&all, Stage::CommendationProposal);
        assert_eq!(proposal.due, time::macros::date!(2026 - 04 - 20));
        assert_eq!(proposal.state, DeadlineState::Overdue);
        // The decision is due 60 days after the proposal: 29 June.
        assert_eq!(
            by(&all, Stage::CommendationDecision).due,
            time::macros::date!(2026 - 06 - 29)
        );
        assert_eq!(by(&all, Stage::CommendationDecision).state, DeadlineState::Due);
        events.push(event(datetime!(2026-05-10 10:00 +7), EntryKind::CommendationDecided));
        let all = case_deadlines(policy, received, &events, ms(datetime!(2026-07-01 10:00 +7)));
        assert_eq!(by(&all, Stage::CommendationDecision).state, DeadlineState::Met);
    }

    #[test]
    fn a_conclusion_without_a_commendation_runs_no_commendation_clock() {
        // Concluded before commendations existed: nobody could ever end such a clock.
        let policy = Policy::default_preset();
        let received = ms(datetime!(2026-03-02 09:00 +7));
        let events = vec![
            transition(datetime!(2026-03-03 10:00 +7), "accepted"),
            transition(datetime!(2026-03-20 10:00 +7), "substantiated"),
        ];
        let all = case_deadlines(policy, received, &events, ms(datetime!(2026-09-01 10:00 +7)));
        assert!(all.iter().all(|d| !d.stage.is_commendation()));
    }

    #[test]
    fn an_unsubstantiated_case_opens_no_commendation() {
        let policy = Policy::default_preset();
        let received = ms(datetime!(2026-03-02 09:00 +7));
        let events = vec![
            transition(datetime!(2026-03-03 10:00 +7), "accepted"),
            transition(datetime!(2026-03-20 10:00 +7), "unsubstantiated"),
        ];
        let all = case_deadlines(policy, received, &events, ms(datetime!(2026-06-01 10:00 +7)));
        assert!(all.iter().all(|d| !d.stage.is_commendation()));
    }

    #[test]
    fn an_unanswered_case_is_overdue_at_triage() {
        let policy = Policy::default_preset();
        let received = ms(datetime!(2026-03-02 09:00 +7));
        let all = case_deadlines(policy, received, &[], ms(datetime!(2026-03-20 09:00 +7)));
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state, DeadlineState::Overdue);
    }
}

/// On-time figures of one stage: deadlines met, and deadlines missed (ended late, or open and overdue).
/// Open deadlines not yet due count in neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnTime {
    pub met: u64,
    pub missed: u64,
}

impl OnTime {
    /// The share met, in per mille (integer), or `None` with nothing decided yet.
    pub fn per_mille(self) -> Option<u64> {
        let decided = self.met + self.missed;
        (decided > 0).then(|| self.met * 1000 / decided)
    }
}

/// On-time figures per stage over many deadlines, in the policy's stage order.
pub fn on_time<'a>(deadlines: impl IntoIterator<Item = &'a Deadline>) -> Vec<(Stage, OnTime)> {
    let mut out: Vec<(Stage, OnTime)> = Vec::new();
    for d in deadlines {
        let index = match out.iter().position(|(stage, _)| *stage == d.stage) {
            Some(i) => i,
            None => {
                out.push((d.stage, OnTime::default()));
                out.len() - 1
            }
        };
        match d.state {
            DeadlineState::Met => out[index].1.met += 1,
            DeadlineState::Overdue => out[index].1.missed += 1,
            DeadlineState::Due | DeadlineState::DueSoon => {}
        }
    }
    out
}

#[cfg(test)]
mod on_time_tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn met_and_missed_deadlines_make_the_rate() {
        let d = |stage, state| Deadline {
            stage,
            due: date!(2026 - 01 - 01),
            state,
            open: state != DeadlineState::Met,
        };
        let all = [
            d(Stage::Triage, DeadlineState::Met),
            d(Stage::Triage, DeadlineState::Met),
            d(Stage::Triage, DeadlineState::Overdue),
            d(Stage::Triage, DeadlineState::Due),
            d(Stage::Resolution, DeadlineState::DueSoon),
        ];
        let rates = on_time(all.iter());
        assert_eq!(rates[0], (Stage::Triage, OnTime { met: 2, missed: 1 }));
        assert_eq!(rates[0].1.per_mille(), Some(666));
        assert_eq!(rates[1].1.per_mille(), None);
    }

    #[test]
    fn an_extension_needs_a_running_resolution_a_known_type_and_room_under_the_cap() {
        let policy = Policy::preset("vn-2018").expect("preset");
        let accepted = Some(time::macros::date!(2026 - 03 - 02));
        let check =
            |status, accepted, earlier: &[&str], kind| check_extension(&policy, status, accepted, earlier, kind);
        assert_eq!(check(Status::Investigating, accepted, &[], "complex"), Ok(()));
        assert_eq!(
            check(Status::Investigating, accepted, &["very_complex"], "very_complex"),
            Ok(())
        );
        // Never accepted, or concluded: no clock to extend.
        assert_eq!(
            check(Status::Investigating, None, &[], "complex"),
            Err(ExtensionRefused::NotRunning)
        );
        assert_eq!(
            check(Status::Substantiated, accepted, &[], "complex"),
            Err(ExtensionRefused::NotRunning)
        );
        assert_eq!(
            check(Status::Accepted, accepted, &[], "forever"),
            Err(ExtensionRefused::UnknownType)
        );
        // `complex` once; past 90 days in all.
        assert_eq!(
            check(Status::Accepted, accepted, &["complex"], "complex"),
            Err(ExtensionRefused::Limit)
        );
        let three = ["very_complex", "very_complex"];
        assert_eq!(
            check(Status::Accepted, accepted, &three, "very_complex"),
            Err(ExtensionRefused::Limit)
        );
    }
}
