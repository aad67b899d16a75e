//! Staff notifications (issue 13): what a mail may say. A notice holds an event's kind, stages, dates and
//! counts, and nothing else, by its type: no report's narrative, unit, reporter or code can reach a mail,
//! because no field here could carry one.

use time::Date;

use super::calendar::{Deadline, DeadlineState};
use super::policy::Stage;
use super::staff::Role;

/// One mail's matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A case was given to the recipient on `on`; its next deadline, if one runs.
    Assigned { on: Date, next: Option<(Stage, Date)> },
    /// A reporter wrote on one of the recipient's cases on `on`.
    Reply { on: Date },
    /// A commendation waits for the recipient since `on`: to propose and decide it, or (once the reporter
    /// claimed the reward) to pay it.
    Commendation { on: Date, claimed: bool },
    /// The daily digest of `on`: the recipient's open deadlines due within two working days and those
    /// overdue, per stage.
    Digest { on: Date, lines: Vec<DigestLine> },
}

/// One stage's line in a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestLine {
    pub stage: Stage,
    pub due_soon: usize,
    pub overdue: usize,
}

/// The events a staff member may choose to be mailed about, besides the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Assigned,
    Reply,
    Commendation,
}

/// The stages whose deadlines a role answers for in its digest: an inspector's (for their cases) and a
/// supervisor's (for their team's) are the case's, an officer's the commendation's. Administrators have
/// none.
pub fn digest_stages(role: Role) -> &'static [Stage] {
    match role {
        Role::Inspector | Role::Supervisor => &[Stage::Triage, Stage::Notice, Stage::Resolution, Stage::Feedback],
        Role::Officer => &[Stage::CommendationProposal, Stage::CommendationDecision],
        Role::Admin => &[],
    }
}

/// The digest's lines: per stage of `stages` (in that order), the open deadlines due within two working
/// days and the open ones overdue; a stage with neither is left out. A deadline that ended, late or not,
/// is no longer anyone's to meet and is not counted.
pub fn digest_lines<'a>(deadlines: impl IntoIterator<Item = &'a Deadline>, stages: &[Stage]) -> Vec<DigestLine> {
    let mut lines: Vec<DigestLine> = stages
        .iter()
        .map(|&stage| DigestLine {
            stage,
            due_soon: 0,
            overdue: 0,
        })
        .collect();
    for d in deadlines.into_iter().filter(|d| d.open) {
        let Some(line) = lines.iter_mut().find(|l| l.stage == d.stage) else {
            continue;
        };
        match d.state {
            DeadlineState::DueSoon => line.due_soon += 1,
            DeadlineState::Overdue => line.overdue += 1,
            DeadlineState::Met | DeadlineState::Due => {}
        }
    }
    lines.retain(|l| l.due_soon + l.overdue > 0);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn d(stage: Stage, state: DeadlineState, open: bool) -> Deadline {
        Deadline {
            stage,
            due: date!(2026 - 12 - 04),
            state,
            open,
        }
    }

    #[test]
    fn the_digest_counts_open_deadlines_due_soon_or_overdue_per_stage() {
        let deadlines = [
            d(Stage::Triage, DeadlineState::DueSoon, true),
            d(Stage::Triage, DeadlineState::DueSoon, true),
            d(Stage::Triage, DeadlineState::Overdue, true),
            // Ended late: nobody's to meet any more.
            d(Stage::Triage, DeadlineState::Overdue, false),
            d(Stage::Resolution, DeadlineState::Due, true),
            d(Stage::Resolution, DeadlineState::Met, false),
            d(Stage::Feedback, DeadlineState::Overdue, true),
            // Not an inspector's.
            d(Stage::CommendationProposal, DeadlineState::Overdue, true),
        ];
        let lines = digest_lines(&deadlines, digest_stages(Role::Inspector));
        assert_eq!(
            lines,
            vec![
                DigestLine {
                    stage: Stage::Triage,
                    due_soon: 2,
                    overdue: 1
                },
                DigestLine {
                    stage: Stage::Feedback,
                    due_soon: 0,
                    overdue: 1
                },
            ]
        );
        let officer = digest_lines(&deadlines, digest_stages(Role::Officer));
        assert_eq!(officer.len(), 1);
        assert_eq!((officer[0].stage, officer[0].overdue), (Stage::CommendationProposal, 1));
        assert!(digest_lines(&deadlines, digest_stages(Role::Admin)).is_empty());
    }
}
