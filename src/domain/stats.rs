//! The figures of a supervisor's statistics page, from rows the store reads: on-time per stage per month
//! (each deadline counted in the month it fell due), open cases by age and by stage, and the days from a
//! commendation's opening (the conclusion) to its decision, per month of decision.

use time::Date;

use super::calendar::local_date;
use super::deadlines::OnTime;
use super::policy::Stage;
use super::status::Status;

/// A calendar month in Vietnam time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    pub fn of(day: Date) -> Month {
        Month {
            year: day.year(),
            month: u8::from(day.month()),
        }
    }

    pub fn previous(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                year: self.year,
                month: m - 1,
            },
        }
    }

    /// The `count` months ending with the month of `now` (UTC ms), oldest first.
    pub fn last(count: usize, now: i64) -> Vec<Month> {
        let mut months = vec![Month::of(local_date(now))];
        while months.len() < count {
            let earlier = months.last().expect("one month").previous();
            months.push(earlier);
        }
        months.reverse();
        months
    }

    pub fn first_day(self) -> Date {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }

    /// `MM/YYYY`, as both languages write a month.
    pub fn label(self) -> String {
        format!("{:02}/{}", self.month, self.year)
    }

    /// `YYYY-MM`, for exports.
    pub fn iso(self) -> String {
        format!("{}-{:02}", self.year, self.month)
    }
}

/// On-time figures per stage, in total and per month of `months`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthlyOnTime {
    pub months: Vec<Month>,
    /// Per stage in the policy's order: the figures over every deadline, and per month (one per `months`).
    pub stages: Vec<(Stage, OnTime, Vec<OnTime>)>,
}

impl MonthlyOnTime {
    pub fn new(months: Vec<Month>) -> Self {
        MonthlyOnTime {
            months,
            stages: Vec::new(),
        }
    }

    fn stage(&mut self, stage: Stage) -> &mut (Stage, OnTime, Vec<OnTime>) {
        let index = match self.stages.iter().position(|(s, _, _)| *s == stage) {
            Some(i) => i,
            None => {
                let months = vec![OnTime::default(); self.months.len()];
                self.stages.push((stage, OnTime::default(), months));
                self.stages.len() - 1
            }
        };
        &mut self.stages[index]
    }

    /// Counts one deadline: met or missed, in its stage's total and in the month it fell due. One met ahead
    /// of a due date in a month still to come counts in the last month (the current one) until then.
    pub fn add(&mut self, deadline: &super::calendar::Deadline) {
        use super::calendar::DeadlineState;
        let due = Month::of(deadline.due);
        let due = self.months.last().map_or(due, |last| due.min(*last));
        let month = self.months.binary_search(&due).ok();
        let (_, total, monthly) = self.stage(deadline.stage);
        let field = |t: &mut OnTime| match deadline.state {
            DeadlineState::Met => t.met += 1,
            DeadlineState::Overdue => t.missed += 1,
            DeadlineState::Due | DeadlineState::DueSoon => {}
        };
        field(total);
        if let Some(m) = month {
            field(&mut monthly[m]);
        }
    }

    /// Adds another part's figures (over the same months) to these.
    pub fn merge(&mut self, other: MonthlyOnTime) {
        for (stage, total, monthly) in other.stages {
            let (_, t, m) = self.stage(stage);
            t.met += total.met;
            t.missed += total.missed;
            for (mine, theirs) in m.iter_mut().zip(monthly) {
                mine.met += theirs.met;
                mine.missed += theirs.missed;
            }
        }
    }
}

/// The statuses of a case still being handled (no decision on it yet).
pub const OPEN: [Status; 4] = [
    Status::Received,
    Status::InfoRequested,
    Status::Accepted,
    Status::Investigating,
];

/// Age groups of open cases, in days since receipt: `(first day, last day)`, the last group open-ended.
pub const AGE_GROUPS: [(u32, Option<u32>); 5] =
    [(0, Some(7)), (8, Some(30)), (31, Some(60)), (61, Some(90)), (91, None)];

/// Which of [`AGE_GROUPS`] a case received at `received_at` is in at `now` (calendar days, Vietnam time).
pub fn age_group(received_at: i64, now: i64) -> usize {
    let days = (local_date(now) - local_date(received_at)).whole_days().max(0) as u32;
    AGE_GROUPS
        .iter()
        .position(|(_, last)| last.is_none_or(|last| days <= last))
        .unwrap_or(AGE_GROUPS.len() - 1)
}

/// The receipt times (UTC ms) that bound [`AGE_GROUPS`] at `now`: a case received at or after the `g`-th
/// is in group `g` or a younger one (the last group, open-ended, has none). The database sorts cases into
/// groups with them, as [`age_group`] would.
pub fn age_thresholds(now: i64) -> Vec<i64> {
    let today = local_date(now);
    AGE_GROUPS
        .iter()
        .filter_map(|(_, last)| *last)
        .map(|last| super::calendar::midnight_millis(today - time::Duration::days(i64::from(last))))
        .collect()
}

/// Open cases per age group, per status of [`OPEN`]: `[status][age group]`, from (status, age group, how
/// many) rows.
pub fn open_by_age(cases: &[(Status, usize, u64)]) -> Vec<(Status, [u64; AGE_GROUPS.len()])> {
    let mut out: Vec<(Status, [u64; AGE_GROUPS.len()])> = OPEN.iter().map(|s| (*s, [0; 5])).collect();
    for (status, group, count) in cases {
        if let Some(row) = out.iter_mut().find(|(s, _)| s == status) {
            row.1[(*group).min(AGE_GROUPS.len() - 1)] += count;
        }
    }
    out
}

/// Commendation decisions of one month: how many, and the median of the calendar days from opening to
/// decision, in tenths of a day (the mean of the middle two when their number is even).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecisionTimes {
    pub decided: u64,
    pub median_tenths: Option<u64>,
}

/// The median of `days`, in tenths of a day.
pub fn median_tenths(days: &mut [u64]) -> Option<u64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let middle = days.len() / 2;
    Some(if days.len() % 2 == 1 {
        days[middle] * 10
    } else {
        (days[middle - 1] + days[middle]) * 5
    })
}

/// The calendar days (Vietnam time) from `from` to `to`, UTC ms; none when `to` is earlier.
pub fn days_between(from: i64, to: i64) -> u64 {
    (local_date(to) - local_date(from)).whole_days().max(0) as u64
}

/// Decision times per month of `months`, from (opened, decided) pairs; decisions outside them are left out.
pub fn decision_times(decisions: &[(i64, i64)], months: &[Month]) -> Vec<DecisionTimes> {
    let mut days: Vec<Vec<u64>> = vec![Vec::new(); months.len()];
    for &(opened, decided) in decisions {
        if let Ok(m) = months.binary_search(&Month::of(local_date(decided))) {
            days[m].push(days_between(opened, decided));
        }
    }
    days.into_iter()
        .map(|mut d| DecisionTimes {
            decided: d.len() as u64,
            median_tenths: median_tenths(&mut d),
        })
        .collect()
}

/// Ratings (time, score 1 to 5) per month of `months`, by score; ratings outside them are left out.
pub fn by_score(ratings: &[(i64, u8)], months: &[Month]) -> Vec<[u64; 5]> {
    let mut out = vec![[0u64; 5]; months.len()];
    for &(at, score) in ratings {
        if let (Ok(m), 1..=5) = (months.binary_search(&Month::of(local_date(at))), score) {
            out[m][usize::from(score) - 1] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Deadline, DeadlineState};
    use time::macros::{date, datetime};

    fn ms(t: time::OffsetDateTime) -> i64 {
        (t.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn the_last_twelve_months_cross_a_new_year_oldest_first() {
        let months = Month::last(12, ms(datetime!(2026-03-31 23:30 +7)));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], Month { year: 2025, month: 4 });
        assert_eq!(months[11], Month { year: 2026, month: 3 });
        assert!(months.windows(2).all(|w| w[0] < w[1]));
        // 23:30 UTC on the 31st is already April in Vietnam.
        let april = Month::last(1, ms(datetime!(2026-03-31 23:30 UTC)));
        assert_eq!(april[0].label(), "04/2026");
    }

    #[test]
    fn a_deadline_counts_in_the_month_it_fell_due_and_in_the_total() {
        let months = Month::last(2, ms(datetime!(2026-02-10 09:00 +7)));
        let mut figures = MonthlyOnTime::new(months);
        let d = |due, state| Deadline {
            stage: Stage::Triage,
            due,
            state,
            open: state != DeadlineState::Met,
        };
        figures.add(&d(date!(2026 - 01 - 31), DeadlineState::Met));
        figures.add(&d(date!(2026 - 02 - 01), DeadlineState::Overdue));
        figures.add(&d(date!(2026 - 02 - 02), DeadlineState::Met));
        figures.add(&d(date!(2025 - 06 - 02), DeadlineState::Met));
        figures.add(&d(date!(2026 - 02 - 20), DeadlineState::Due));
        figures.add(&d(date!(2026 - 03 - 03), DeadlineState::Met));
        let (stage, total, monthly) = &figures.stages[0];
        assert_eq!(*stage, Stage::Triage);
        assert_eq!(*total, OnTime { met: 4, missed: 1 });
        let met_early = OnTime { met: 2, missed: 1 };
        assert_eq!(
            monthly,
            &vec![OnTime { met: 1, missed: 0 }, met_early],
            "met before March: in February"
        );
        let mut twice = figures.clone();
        twice.merge(figures.clone());
        assert_eq!(twice.stages[0].1, OnTime { met: 8, missed: 2 });
        assert_eq!(twice.stages[0].2[1], OnTime { met: 4, missed: 2 });
    }

    #[test]
    fn ages_fall_in_their_groups_at_the_edges() {
        let now = ms(datetime!(2026-05-31 10:00 +7));
        let day = |d: Date| ms(d.with_hms(8, 0, 0).unwrap().assume_offset(time::macros::offset!(+7)));
        assert_eq!(age_group(day(date!(2026 - 05 - 31)), now), 0);
        assert_eq!(age_group(day(date!(2026 - 05 - 24)), now), 0, "7 days");
        assert_eq!(age_group(day(date!(2026 - 05 - 23)), now), 1, "8 days");
        assert_eq!(age_group(day(date!(2026 - 05 - 01)), now), 1, "30 days");
        assert_eq!(age_group(day(date!(2026 - 04 - 30)), now), 2, "31 days");
        assert_eq!(age_group(day(date!(2026 - 03 - 02)), now), 3, "90 days");
        assert_eq!(age_group(day(date!(2026 - 03 - 01)), now), 4, "91 days");
        let cases = [
            (Status::Received, day(date!(2026 - 05 - 30)), 1),
            (Status::Investigating, day(date!(2025 - 01 - 01)), 1),
            (Status::Closed, day(date!(2026 - 05 - 30)), 3),
            (Status::Received, day(date!(2026 - 05 - 01)), 4),
        ];
        // As the database groups them: by the thresholds, which agree with `age_group` at every edge.
        let thresholds = age_thresholds(now);
        let group = |at: i64| thresholds.iter().position(|t| at >= *t).unwrap_or(thresholds.len());
        for edge in [24, 23, 1, 0, 30, 2, 1] {
            let at = day(date!(2026 - 05 - 01)) + i64::from(edge) * 86_400_000 - 1;
            assert_eq!(group(at), age_group(at, now), "{at}");
        }
        for at in thresholds.iter().flat_map(|t| [*t, *t - 1]) {
            assert_eq!(group(at), age_group(at, now), "at a threshold");
        }
        let rows: Vec<(Status, usize, u64)> = cases.iter().map(|(s, at, n)| (*s, group(*at), *n)).collect();
        let by_age = open_by_age(&rows);
        assert_eq!(by_age[0], (Status::Received, [1, 4, 0, 0, 0]));
        assert_eq!(by_age[3], (Status::Investigating, [0, 0, 0, 0, 1]));
        assert_eq!(
            by_age.iter().map(|(_, g)| g.iter().sum::<u64>()).sum::<u64>(),
            6,
            "closed is not open"
        );
    }

    #[test]
    fn the_median_decision_time_is_in_tenths_of_a_day() {
        assert_eq!(median_tenths(&mut []), None);
        assert_eq!(median_tenths(&mut [9, 1, 4]), Some(40));
        assert_eq!(median_tenths(&mut [3, 1, 4, 2]), Some(25));
        let months = Month::last(2, ms(datetime!(2026-02-10 09:00 +7)));
        let at = |d: Date| ms(d.with_hms(9, 0, 0).unwrap().assume_offset(time::macros::offset!(+7)));
        let decisions = [
            (at(date!(2026 - 01 - 01)), at(date!(2026 - 01 - 11))),
            (at(date!(2026 - 01 - 20)), at(date!(2026 - 02 - 01))),
            (at(date!(2026 - 01 - 30)), at(date!(2026 - 02 - 02))),
            (at(date!(2025 - 01 - 30)), at(date!(2025 - 02 - 02))),
        ];
        let times = decision_times(&decisions, &months);
        assert_eq!(
            times[0],
            DecisionTimes {
                decided: 1,
                median_tenths: Some(100)
            }
        );
        assert_eq!(
            times[1],
            DecisionTimes {
                decided: 2,
                median_tenths: Some(75)
            }
        );
    }
}
