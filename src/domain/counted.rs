//! The on-time figures kept as they change (issue 14): what one case adds to its team's cells, per stage and
//! month a deadline fell due — its *settled* deadlines (met, or missed: ended late, or open past its day) —
//! and when that can next change with no event (the day after its first open deadline's last day). The
//! store keeps each case's contribution beside it (`reports.counted`) and applies only the difference when
//! an event or the passing of a day changes it, so a statistics page reads a few rows per team and month.

use super::calendar::{midnight_millis, DeadlineState};
use super::clock::deadlines_of_clock;
use super::policy::Stage;
use super::stats::Month;

/// One settled deadline: its stage, the month it fell due, and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Settled {
    pub stage: Stage,
    pub month: Month,
    pub met: bool,
}

/// What a case adds to the cells as of a moment, and when to count it again if nothing happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub settled: Vec<Settled>,
    /// The first instant at which an open deadline becomes overdue (UTC ms), if one is still running.
    pub recount_at: Option<i64>,
}

/// The case's contribution at `now`, from its receipt time and `clock` column.
pub fn count(received_at: i64, clock: &str, now: i64) -> Counted {
    let deadlines = deadlines_of_clock(received_at, clock, now);
    let mut settled: Vec<Settled> = deadlines
        .iter()
        .filter_map(|d| {
            let met = match d.state {
                DeadlineState::Met => true,
                DeadlineState::Overdue => false,
                DeadlineState::Due | DeadlineState::DueSoon => return None,
            };
            Some(Settled {
                stage: d.stage,
                month: Month::of(d.due),
                met,
            })
        })
        .collect();
    settled.sort();
    let recount_at = deadlines
        .iter()
        .filter(|d| d.open && matches!(d.state, DeadlineState::Due | DeadlineState::DueSoon))
        .filter_map(|d| d.due.next_day())
        .map(midnight_millis)
        .min();
    Counted { settled, recount_at }
}

/// The stored form: `stage:YYYY-MM:m` (met) or `…:x` (missed), comma-separated, in order.
pub fn encode(settled: &[Settled]) -> String {
    let parts: Vec<String> = settled
        .iter()
        .map(|s| {
            format!(
                "{}:{}:{}",
                s.stage.as_str(),
                s.month.iso(),
                if s.met { 'm' } else { 'x' }
            )
        })
        .collect();
    parts.join(",")
}

/// Reads [`encode`]'s form back; a part that does not read (none is written) is left out.
pub fn decode(text: &str) -> Vec<Settled> {
    text.split_terminator(',')
        .filter_map(|part| {
            let mut fields = part.split(':');
            let stage = Stage::parse(fields.next()?)?;
            let (year, month) = fields.next()?.split_once('-')?;
            let month = Month {
                year: year.parse().ok()?,
                month: month.parse().ok().filter(|m| (1..=12).contains(m))?,
            };
            let met = match fields.next()? {
                "m" => true,
                "x" => false,
                _ => return None,
            };
            Some(Settled { stage, month, met })
        })
        .collect()
}

/// A change to one cell: deadlines met and missed added (or, negative, taken away).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellChange {
    pub stage: Stage,
    pub month: Month,
    pub met: i64,
    pub missed: i64,
}

/// What turns the cells that hold `before` into the cells that hold `after`: one change per cell that
/// differs, in cell order (so that writers take the cells' locks in one order).
pub fn changes(before: &[Settled], after: &[Settled]) -> Vec<CellChange> {
    let one = |s: &Settled, sign: i64| CellChange {
        stage: s.stage,
        month: s.month,
        met: if s.met { sign } else { 0 },
        missed: if s.met { 0 } else { sign },
    };
    sum(before.iter().map(|s| one(s, -1)).chain(after.iter().map(|s| one(s, 1))))
}

/// Several cases' changes summed per cell (a batch written at once), in cell order.
pub fn sum(changes: impl IntoIterator<Item = CellChange>) -> Vec<CellChange> {
    let mut out: Vec<CellChange> = Vec::new();
    for c in changes {
        match out.iter_mut().find(|o| o.stage == c.stage && o.month == c.month) {
            Some(o) => {
                o.met += c.met;
                o.missed += c.missed;
            }
            None => out.push(c),
        }
    }
    out.retain(|c| c.met != 0 || c.missed != 0);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(stage: Stage, month: u8, met: bool) -> Settled {
        Settled {
            stage,
            month: Month { year: 2026, month },
            met,
        }
    }

    #[test]
    fn the_stored_form_reads_back_and_nothing_else_reads() {
        let settled = vec![s(Stage::Triage, 11, true), s(Stage::Notice, 12, false)];
        let text = encode(&settled);
        assert_eq!(text, "triage:2026-11:m,notice:2026-12:x");
        assert_eq!(decode(&text), settled);
        assert_eq!(decode(""), vec![]);
        assert_eq!(decode("triage:2026-13:m,nothing:2026-01:m,triage:2026-01:y"), vec![]);
    }

    #[test]
    fn changes_take_away_what_was_counted_and_add_what_is_now() {
        let before = vec![s(Stage::Triage, 11, true), s(Stage::Notice, 12, false)];
        let after = vec![
            s(Stage::Triage, 11, true),
            s(Stage::Notice, 12, true),
            s(Stage::Resolution, 12, false),
        ];
        let c = changes(&before, &after);
        assert_eq!(
            c,
            vec![
                CellChange {
                    stage: Stage::Triage,
                    month: Month { year: 2026, month: 12 },
                    met: 0,
                    missed: 0
                },
                CellChange {
                    stage: Stage::Notice,
                    month: Month { year: 2026, month: 12 },
                    met: 1,
                    missed: -1
                },
                CellChange {
                    stage: Stage::Resolution,
                    month: Month { year: 2026, month: 12 },
                    met: 0,
                    missed: 1
                },
            ]
            .into_iter()
            .filter(|c| c.met != 0 || c.missed != 0)
            .collect::<Vec<_>>()
        );
        assert!(changes(&after, &after).is_empty());
        assert_eq!(sum(c.iter().copied().chain(changes(&after, &before))), vec![]);
    }

    #[test]
    fn a_new_case_counts_nothing_until_its_first_deadline_passes() {
        let received = midnight_millis(time::macros::date!(2026 - 12 - 01)) + 9 * 3600 * 1000;
        let now = count(received, "", received);
        assert!(now.settled.is_empty());
        let recount = now.recount_at.expect("triage runs");
        assert!(
            count(received, "", recount - 1).settled.is_empty(),
            "the last moment of its day"
        );
        let late = count(received, "", recount);
        assert_eq!(late.settled.len(), 1);
        assert_eq!((late.settled[0].stage, late.settled[0].met), (Stage::Triage, false));
        assert_eq!(
            late.recount_at, None,
            "an overdue deadline stays missed until something happens"
        );
    }
}
