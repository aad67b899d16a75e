//! The legal clock: working days in Vietnam and the deadlines a report runs against.
//!
//! Counting follows the Civil Code 91/2015/QH13, Art. 147–148: a period counted in days starts on the day
//! after the event, and a period of working days skips weekends and public holidays. Times are in
//! Asia/Ho_Chi_Minh, which has had no daylight saving since 1975, so a fixed UTC+7 offset is exact.

use std::collections::BTreeSet;

use time::{macros::offset, Date, Duration, OffsetDateTime, UtcOffset, Weekday};

use super::policy::{Policy, Stage};

/// Asia/Ho_Chi_Minh.
pub const VIETNAM: UtcOffset = offset!(+7);

/// Working days of one jurisdiction.
#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
}

impl Calendar {
    pub fn with_holidays(holidays: BTreeSet<Date>) -> Self {
        Self { holidays }
    }

    /// Weekends only.
    pub fn empty() -> &'static Calendar {
        static EMPTY: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        EMPTY.get_or_init(|| Calendar {
            holidays: BTreeSet::new(),
        })
    }

    pub fn is_working_day(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&day)
    }

    /// The last day of a period of `days` working days that follows the event on `from`.
    pub fn add_working_days(&self, from: Date, days: u32) -> Date {
        let mut day = from;
        let mut left = days;
        while left > 0 {
            // The calendar's last day ends the count (no real period gets near it).
            let Some(next) = day.next_day() else { break };
            day = next;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.next_day().unwrap_or(to);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }
}

/// The calendar day in Vietnam of a UTC instant in milliseconds.
pub fn local_date(utc_millis: i64) -> Date {
    local_time(utc_millis).date()
}

/// The instant (UTC ms) at which `day` begins in Vietnam.
pub fn midnight_millis(day: Date) -> i64 {
    day.midnight().assume_offset(VIETNAM).unix_timestamp() * 1000
}

/// The first and last instants a time can name here (years 1 to 9999 in Vietnam): an instant outside is
/// read as the nearest of them. No stored time is anywhere near; a corrupt one must not panic (found by
/// the `clock_codec` fuzz target: a clock entry of the year 26 455).
const EARLIEST_MILLIS: i64 = -62_135_596_800_000 + 7 * 3_600_000;
const LATEST_MILLIS: i64 = 253_402_300_799_999 - 7 * 3_600_000;

pub fn local_time(utc_millis: i64) -> OffsetDateTime {
    let utc = OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(utc_millis.clamp(EARLIEST_MILLIS, LATEST_MILLIS));
    utc.to_offset(VIETNAM)
}

/// A time as RFC 3339 in Vietnam's offset, as the API and the forms carry it.
pub fn rfc3339(utc_millis: i64) -> String {
    local_time(utc_millis)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How a deadline stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineState {
    /// Met: the stage ended in time.
    Met,
    /// Open with more than two working days left.
    Due,
    /// Open with two working days or fewer left.
    DueSoon,
    /// Past its last day without the stage ending, or ended late.
    Overdue,
}

impl DeadlineState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineState::Met => "met",
            DeadlineState::Due => "due",
            DeadlineState::DueSoon => "due_soon",
            DeadlineState::Overdue => "overdue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub stage: Stage,
    /// The last day of the period, inclusive, in Vietnam's time zone.
    pub due: Date,
    pub state: DeadlineState,
    /// Whether the stage has not ended yet (an overdue deadline may be open or have ended late).
    pub open: bool,
}

/// The deadline of `stage` under `policy` for an event at `start_millis`, as it stands at `now_millis`,
/// given when the stage ended if it did. `None` when the policy has no such stage.
pub fn deadline(
    policy: &Policy,
    stage: Stage,
    start_millis: i64,
    extensions: &[&str],
    ended_millis: Option<i64>,
    now_millis: i64,
) -> Option<Deadline> {
    let calendar = policy.calendar();
    let due = policy.due(stage, local_date(start_millis), extensions).ok()?;
    let state = match ended_millis {
        Some(ended) if local_date(ended) <= due => DeadlineState::Met,
        Some(_) => DeadlineState::Overdue,
        None => {
            let today = local_date(now_millis);
            if today > due {
                DeadlineState::Overdue
            // Counted over a month at most: past it there are always more than two working days left,
            // and a due date years away (a corrupt time, found by fuzzing) costs no more than a near one.
            } else if calendar.working_days_between(
                today,
                due.min(today.checked_add(Duration::days(31)).unwrap_or(Date::MAX)),
            ) <= 2
            {
                DeadlineState::DueSoon
            } else {
                DeadlineState::Due
            }
        }
    };
    Some(Deadline {
        stage,
        due,
        state,
        open: ended_millis.is_none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    /// Found by fuzzing (`fuzz/fuzz_targets/clock_codec.rs`): a clock entry at 772 676 000 000 080 ms
    /// (the year 26 455) panicked in `local_time`. Times past either end now read as that end.
    #[test]
    fn an_instant_outside_the_years_1_to_9999_reads_as_the_nearest_end() {
        assert_eq!(local_date(772_676_000_000_080), date!(9999 - 12 - 31));
        assert_eq!(local_date(i64::MAX).year(), 9999);
        assert_eq!(local_date(i64::MIN), date!(0001 - 01 - 01));
        assert_eq!(local_date(0), date!(1970 - 01 - 01));
        let deadlines = crate::domain::clock::deadlines_of_clock(0, "772676000000080:o::", 0);
        assert!(deadlines.len() < 100, "and the clock that held it decodes");
    }

    fn millis(at: OffsetDateTime) -> i64 {
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn seven_working_days_from_tuesday_3_march_2026_end_on_thursday_12_march() {
        // The worked example of POLICY-REFERENCE.md: the day of receipt is not counted.
        assert_eq!(
            super::super::policy::Policy::default_preset()
                .calendar()
                .add_working_days(date!(2026 - 03 - 03), 7),
            date!(2026 - 03 - 12)
        );
    }

    #[test]
    fn triage_from_a_friday_skips_the_weekend() {
        assert_eq!(
            super::super::policy::Policy::default_preset()
                .calendar()
                .add_working_days(date!(2026 - 03 - 06), 7),
            date!(2026 - 03 - 17)
        );
    }

    #[test]
    fn triage_from_the_friday_before_tet_skips_the_holiday() {
        // Friday 13 Feb 2026, then Tết 14–22 Feb: the first working day counted is Monday 23 Feb.
        assert_eq!(
            super::super::policy::Policy::default_preset()
                .calendar()
                .add_working_days(date!(2026 - 02 - 13), 7),
            date!(2026 - 03 - 03)
        );
    }

    #[test]
    fn a_report_late_in_the_evening_utc_counts_in_vietnam_time() {
        // 20:00 UTC on Monday 2 March is 03:00 on Tuesday 3 March in Hồ Chí Minh City.
        assert_eq!(
            local_date(millis(datetime!(2026-03-02 20:00 UTC))),
            date!(2026 - 03 - 03)
        );
    }

    #[test]
    fn deadline_states_follow_the_clock() {
        let policy = Policy::default_preset();
        let received = millis(datetime!(2026-03-03 09:00 +7));
        let at = |d: OffsetDateTime| deadline(policy, Stage::Triage, received, &[], None, millis(d)).map(|d| d.state);
        assert_eq!(at(datetime!(2026-03-04 09:00 +7)), Some(DeadlineState::Due));
        assert_eq!(at(datetime!(2026-03-10 09:00 +7)), Some(DeadlineState::DueSoon));
        assert_eq!(at(datetime!(2026-03-12 23:00 +7)), Some(DeadlineState::DueSoon));
        assert_eq!(at(datetime!(2026-03-13 00:30 +7)), Some(DeadlineState::Overdue));
        let ended = deadline(
            policy,
            Stage::Triage,
            received,
            &[],
            Some(millis(datetime!(2026-03-12 16:00 +7))),
            0,
        );
        assert_eq!(ended.map(|d| d.state), Some(DeadlineState::Met));
        // A policy without the stage gives no deadline for it.
        let text = include_str!("../../policies/vn-2018.toml");
        let (before, rest) = text
            .split_once("[stages.feedback]")
            .expect("the preset has a feedback stage");
        let without = format!("{before}{}", &rest[rest.find("[stages.").expect("a stage follows")..]);
        let without = Policy::parse(&without).expect("parses without feedback");
        assert!(deadline(&without, Stage::Triage, received, &[], None, 0).is_some());
        assert_eq!(deadline(&without, Stage::Feedback, received, &[], None, 0), None);
    }
}
