//! The public page's figures (`/transparency`), counted once a day up to a checkpoint's midnight: per
//! quarter, the on-time rate per stage, the reports received and concluded, the commendations decided and
//! paid, and the median days from a conclusion (which opens the commendation) to its decision — "prompt"
//! made measurable. And the rule that publishes them: a cell of 1 to 4 cases is shown as "< 5".
//!
//! No total is published over these cells (no sum of quarters, no count by status): a figure that changes
//! every day and is also a total lets a hidden cell be recovered by subtraction, on one day or between two
//! days, whatever second cell is suppressed beside it. Each cell stands alone, so a hidden one has nothing
//! to be derived from (`SECURITY.md`, "The public transparency page").

use serde::{Deserialize, Serialize};
use time::Date;

use super::calendar::local_date;
use super::deadlines::OnTime;
use super::stats::{days_between, median_tenths, Month, MonthlyOnTime};
use super::status::Status;

/// How many quarters the public page shows, the current one last (fewer while the service is younger).
pub const QUARTERS: usize = 8;

/// The smallest count shown as a number; 1 to 4 cases are shown as "< 5", so that nobody in a small group
/// can be picked out. Nought is shown: it is nobody.
pub const SMALLEST_SHOWN: u64 = 5;

/// A published cell: its number, or that it holds fewer than [`SMALLEST_SHOWN`] cases (but some).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Count(u64),
    Fewer,
}

impl Cell {
    pub fn of(n: u64) -> Cell {
        if (1..SMALLEST_SHOWN).contains(&n) {
            Cell::Fewer
        } else {
            Cell::Count(n)
        }
    }

    pub fn count(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            Cell::Fewer => None,
        }
    }
}

/// A calendar quarter in Vietnam time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Quarter {
    pub year: i32,
    pub quarter: u8,
}

impl Quarter {
    pub fn of(day: Date) -> Quarter {
        Quarter::of_month(Month::of(day))
    }

    pub fn of_month(month: Month) -> Quarter {
        Quarter {
            year: month.year,
            quarter: (month.month - 1) / 3 + 1,
        }
    }

    pub fn previous(self) -> Quarter {
        match self.quarter {
            1 => Quarter {
                year: self.year - 1,
                quarter: 4,
            },
            q => Quarter {
                year: self.year,
                quarter: q - 1,
            },
        }
    }

    pub fn months(self) -> [Month; 3] {
        let first = (self.quarter - 1) * 3 + 1;
        [0, 1, 2].map(|i| Month {
            year: self.year,
            month: first + i,
        })
    }

    /// The quarters from the one holding `first` to the one holding `last`, the last `count` of them at
    /// most, oldest first.
    pub fn span(first: Date, last: Date, count: usize) -> Vec<Quarter> {
        let (first, mut quarter) = (Quarter::of(first), Quarter::of(last));
        let mut out = Vec::new();
        while out.len() < count && quarter >= first {
            out.push(quarter);
            quarter = quarter.previous();
        }
        out.reverse();
        out
    }

    /// `YYYY-Qn`, for exports.
    pub fn id(self) -> String {
        format!("{}-Q{}", self.year, self.quarter)
    }
}

/// One stage's deadlines per quarter: met and missed (due ones still running are not counted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageQuarters {
    /// The stage's name (`Stage::as_str`).
    pub stage: String,
    pub met: Vec<u64>,
    pub missed: Vec<u64>,
}

impl StageQuarters {
    pub fn on_time(&self, quarter: usize) -> OnTime {
        OnTime {
            met: self.met.get(quarter).copied().unwrap_or(0),
            missed: self.missed.get(quarter).copied().unwrap_or(0),
        }
    }
}

/// The figures published with a checkpoint, unsuppressed (suppression is applied where they are shown, so
/// that the page and its CSV apply the same rule). Every list has one value per quarter of `quarters`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PublicFigures {
    pub quarters: Vec<Quarter>,
    /// Per stage, in the policy's order; each deadline counted in the quarter it fell due.
    pub on_time: Vec<StageQuarters>,
    pub received: Vec<u64>,
    /// Reports whose denunciation was concluded (substantiated, partly, or not) in the quarter.
    pub concluded: Vec<u64>,
    /// Commendation decisions made in the quarter, and the median of their days from conclusion to
    /// decision (tenths of a day).
    pub decided: Vec<u64>,
    pub decision_median_tenths: Vec<Option<u64>>,
    /// Commendations paid in the quarter.
    pub paid: Vec<u64>,
    /// Reporters' ratings given in the quarter, by score (1 to 5).
    pub ratings: Vec<[u64; 5]>,
}

/// A commendation's times (UTC ms): opened (at the conclusion), decided and paid, if they were.
#[derive(Clone, Copy, Debug)]
pub struct CommendationTimes {
    pub opened_at: i64,
    pub decided_at: Option<i64>,
    pub paid_at: Option<i64>,
}

/// The statuses that conclude a denunciation.
const CONCLUSIONS: [Status; 3] = [
    Status::Substantiated,
    Status::PartiallySubstantiated,
    Status::Unsubstantiated,
];

/// The figures of what happened before `cutoff` (UTC ms, a checkpoint's midnight), from every report's
/// (receipt time, `clock` column) and every commendation's times. Events at or after the cutoff are left
/// out, so a checkpoint made late says the same as one made at midnight.
pub fn public_figures(
    cases: &[(i64, &str)],
    commendations: &[CommendationTimes],
    ratings: &[(i64, u8)],
    cutoff: i64,
) -> PublicFigures {
    let cases: Vec<(i64, std::borrow::Cow<str>)> = cases
        .iter()
        .filter(|(received_at, _)| *received_at < cutoff)
        .map(|(received_at, clock)| (*received_at, clock_before(clock, cutoff)))
        .collect();
    let Some(first) = cases.iter().map(|(at, _)| *at).min() else {
        return PublicFigures::default();
    };
    let quarters = Quarter::span(local_date(first), local_date(cutoff - 1), QUARTERS);
    let months: Vec<Month> = quarters.iter().flat_map(|q| q.months()).collect();
    let index = |at: i64| quarters.binary_search(&Quarter::of(local_date(at))).ok();
    let zeros = || vec![0u64; quarters.len()];

    let borrowed: Vec<(i64, &str)> = cases.iter().map(|(at, clock)| (*at, clock.as_ref())).collect();
    // Only deadlines whose day is over: one met early counts once its day has come, so that a quarter's
    // cells never change after it ends.
    let (_, monthly) = super::clock::monthly_on_time_due_before(&borrowed, cutoff, months, Some(local_date(cutoff)));
    let (mut received, mut concluded) = (zeros(), zeros());
    for (received_at, clock) in &borrowed {
        if let Some(q) = index(*received_at) {
            received[q] += 1;
        }
        let conclusion = super::clock::clock_events(clock)
            .into_iter()
            .find(|e| e.moves_to(&CONCLUSIONS));
        if let Some(q) = conclusion.and_then(|e| index(e.at)) {
            concluded[q] += 1;
        }
    }
    let (mut decided, mut paid) = (zeros(), zeros());
    let mut days: Vec<Vec<u64>> = vec![Vec::new(); quarters.len()];
    for c in commendations {
        if let Some(q) = c.decided_at.filter(|at| *at < cutoff).and_then(index) {
            decided[q] += 1;
            days[q].push(days_between(c.opened_at, c.decided_at.unwrap_or(c.opened_at)));
        }
        if let Some(q) = c.paid_at.filter(|at| *at < cutoff).and_then(index) {
            paid[q] += 1;
        }
    }
    let mut by_score = vec![[0u64; 5]; quarters.len()];
    for (at, score) in ratings.iter().filter(|(at, _)| *at < cutoff) {
        if let (Some(q), 1..=5) = (index(*at), score) {
            by_score[q][usize::from(*score) - 1] += 1;
        }
    }
    PublicFigures {
        ratings: by_score,
        on_time: by_quarter(&monthly, quarters.len()),
        quarters,
        received,
        concluded,
        decided,
        decision_median_tenths: days.iter_mut().map(|d| median_tenths(d)).collect(),
        paid,
    }
}

/// Monthly on-time figures (three months per quarter, in order) summed per quarter.
fn by_quarter(monthly: &MonthlyOnTime, quarters: usize) -> Vec<StageQuarters> {
    monthly
        .stages
        .iter()
        .map(|(stage, _, months)| {
            let mut out = StageQuarters {
                stage: stage.as_str().to_owned(),
                met: vec![0; quarters],
                missed: vec![0; quarters],
            };
            for (m, t) in months.iter().enumerate() {
                out.met[m / 3] += t.met;
                out.missed[m / 3] += t.missed;
            }
            out
        })
        .collect()
}

/// A `clock` column without its fragments (`at:k:value:s;`) at or after `cutoff`.
fn clock_before(clock: &str, cutoff: i64) -> std::borrow::Cow<'_, str> {
    let before = |part: &str| {
        part.split(':')
            .next()
            .and_then(|at| at.parse::<i64>().ok())
            .is_some_and(|at| at < cutoff)
    };
    if clock.split_terminator(';').all(before) {
        return std::borrow::Cow::Borrowed(clock);
    }
    let kept: String = clock
        .split_terminator(';')
        .filter(|part| before(part))
        .map(|part| format!("{part};"))
        .collect();
    std::borrow::Cow::Owned(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn at(day: Date) -> i64 {
        super::super::calendar::midnight_millis(day) + 3_600_000
    }

    /// Reviewed: a deadline met in September but due in October counted in Q3 until the first checkpoint of
    /// Q4, then moved to Q4, so a closed quarter's cells changed. Now it counts once its day has come.
    #[test]
    fn a_closed_quarter_s_cells_never_change() {
        let clock = format!("{}:t:accepted:1;", at(date!(2026 - 09 - 29)));
        let cases = [(at(date!(2026 - 09 - 28)), clock.as_str())];
        let triage = |cutoff: Date| {
            let figures = public_figures(&cases, &[], &[], super::super::calendar::midnight_millis(cutoff));
            let stage = figures
                .on_time
                .iter()
                .find(|s| s.stage == "triage")
                .cloned()
                .unwrap_or_default();
            (figures.quarters, stage.met)
        };
        let q = |year, quarter| Quarter { year, quarter };
        let (quarters, met) = triage(date!(2026 - 10 - 01));
        assert_eq!(
            (quarters, met),
            (vec![q(2026, 3)], vec![]),
            "met early, not yet due: not counted"
        );
        let (_, met) = triage(date!(2026 - 12 - 01));
        assert_eq!(
            met,
            vec![0, 1],
            "counted in the quarter it fell due; the third quarter unchanged"
        );
    }

    #[test]
    fn cells_of_one_to_four_are_hidden() {
        let shown: Vec<Cell> = (0..7).map(Cell::of).collect();
        assert_eq!(
            shown,
            [
                Cell::Count(0),
                Cell::Fewer,
                Cell::Fewer,
                Cell::Fewer,
                Cell::Fewer,
                Cell::Count(5),
                Cell::Count(6)
            ]
        );
    }

    #[test]
    fn quarters_span_the_service_s_life_up_to_eight() {
        let q = |year, quarter| Quarter { year, quarter };
        assert_eq!(
            Quarter::span(date!(2026 - 05 - 20), date!(2026 - 11 - 30), 8),
            [q(2026, 2), q(2026, 3), q(2026, 4)]
        );
        let long = Quarter::span(date!(2020 - 01 - 01), date!(2026 - 01 - 01), 8);
        assert_eq!((long.len(), long[0], long[7]), (8, q(2024, 2), q(2026, 1)));
        assert_eq!(q(2026, 4).months().map(|m| m.month), [10, 11, 12]);
        assert_eq!(q(2026, 1).previous(), q(2025, 4));
    }

    #[test]
    fn figures_count_each_event_in_its_quarter_and_nothing_after_the_cutoff() {
        let cutoff = super::super::calendar::midnight_millis(date!(2026 - 12 - 01));
        let concluded = format!(
            "{}:t:accepted:1;{}:t:investigating:1;{}:t:substantiated:1;",
            at(date!(2026 - 06 - 10)),
            at(date!(2026 - 06 - 11)),
            at(date!(2026 - 07 - 20))
        );
        let late = format!(
            "{}:t:accepted:1;{}:t:investigating:1;",
            at(date!(2026 - 10 - 02)),
            cutoff + 1
        );
        let cases = [
            (at(date!(2026 - 06 - 09)), concluded.as_str()),
            (at(date!(2026 - 10 - 01)), late.as_str()),
            (at(date!(2026 - 11 - 30)), ""),
            (cutoff, ""), // received at the cutoff: tomorrow's
        ];
        let commendations = [
            CommendationTimes {
                opened_at: at(date!(2026 - 07 - 20)),
                decided_at: Some(at(date!(2026 - 07 - 30))),
                paid_at: Some(cutoff),
            },
            CommendationTimes {
                opened_at: at(date!(2026 - 07 - 20)),
                decided_at: Some(at(date!(2026 - 10 - 01))),
                paid_at: Some(at(date!(2026 - 11 - 01))),
            },
        ];
        let ratings = [
            (at(date!(2026 - 11 - 02)), 5),
            (at(date!(2026 - 11 - 03)), 5),
            (cutoff, 1),
            (at(date!(2026 - 08 - 01)), 2),
        ];
        let figures = public_figures(&cases, &commendations, &ratings, cutoff);
        let q = |year, quarter| Quarter { year, quarter };
        assert_eq!(figures.quarters, [q(2026, 2), q(2026, 3), q(2026, 4)]);
        assert_eq!(figures.received, [1, 0, 2]);
        assert_eq!(figures.concluded, [0, 1, 0]);
        assert_eq!(
            (figures.decided.clone(), figures.paid.clone()),
            (vec![0, 1, 1], vec![0, 0, 1])
        );
        assert_eq!(figures.decision_median_tenths, [None, Some(100), Some(730)]);
        assert_eq!(figures.ratings, [[0; 5], [0, 1, 0, 0, 0], [0, 0, 0, 0, 2]]);
        let triage = figures.on_time.iter().find(|s| s.stage == "triage").expect("triage");
        assert_eq!(triage.met.iter().sum::<u64>(), 2, "{triage:?}");
        assert_eq!(
            clock_before(&late, cutoff),
            format!("{}:t:accepted:1;", at(date!(2026 - 10 - 02)))
        );
    }
}
