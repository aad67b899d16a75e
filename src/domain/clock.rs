//! A case's clock: which ledger entries start or end a deadline, their codec in a report's `clock` column
//! (a projection of the ledger, checked by `audit verify`), the deadlines they give under the deployment's
//! policy, and the on-time tally over many cases.

use super::entry::EntryKind;
use super::policy::Stage;

/// The ledger kinds that start or end a deadline, and their letter in a report's `clock` column; the others
/// (received, assigned, escalation, claims, payments, …) move no clock.
const CLOCK_KINDS: [(EntryKind, char); 6] = [
    (EntryKind::Transition, 't'),
    (EntryKind::Message, 'm'),
    (EntryKind::Extension, 'e'),
    (EntryKind::CommendationOpened, 'o'),
    (EntryKind::CommendationProposed, 'p'),
    (EntryKind::CommendationDecided, 'd'),
];

/// An entry's part of its report's `clock` column (`at:k:value:s;`), if it moves a clock.
pub fn clock_fragment(at: i64, kind: EntryKind, actor: &str, detail: &str) -> Option<String> {
    let letter = CLOCK_KINDS.iter().find(|(k, _)| *k == kind)?.1;
    let event = clock_event(at, kind, actor, detail);
    // Values are identifiers (statuses, extension types): never a ':' or ';'.
    let value = event.to.filter(|v| !v.contains([':', ';'])).unwrap_or("");
    Some(format!("{at}:{letter}:{value}:{};", u8::from(event.by_staff)))
}

/// The clock events of a report's `clock` column, in ledger order. A malformed part is skipped.
pub fn clock_events(clock: &str) -> Vec<super::deadlines::Event<'_>> {
    clock
        .split_terminator(';')
        .filter_map(|part| {
            let mut fields = part.split(':');
            let at = fields.next()?.parse().ok()?;
            let letter = fields.next()?.chars().next()?;
            let kind = CLOCK_KINDS.iter().find(|(_, l)| *l == letter)?.0;
            let value = fields.next()?;
            let by_staff = fields.next()? == "1";
            Some(super::deadlines::Event {
                at,
                kind,
                to: (!value.is_empty()).then_some(value),
                by_staff,
            })
        })
        .collect()
}

/// The deadlines of a case from its `clock` column.
pub fn deadlines_of_clock(received_at: i64, clock: &str, now: i64) -> Vec<super::calendar::Deadline> {
    let policy = super::policy::Policy::active();
    super::deadlines::case_deadlines(policy, received_at, &clock_events(clock), now)
}

/// A text value of an entry's detail, read without parsing the object. Details are flat JSON objects
/// written by this crate with serde_json (`{"from":"received","note":"…","to":"accepted"}`): a quote inside
/// a string value is escaped there, so `"key":"` only ever matches a key. The values read here (statuses,
/// extension types) are identifiers; one with an escape is not, and reads as absent.
fn detail_value<'a>(detail: &'a str, quoted_key: &str) -> Option<&'a str> {
    let start = detail.find(quoted_key)? + quoted_key.len();
    let rest = &detail[start..];
    let value = &rest[..rest.find('"')?];
    (!value.contains('\\')).then_some(value)
}

/// What the deadlines need of one entry: for transitions the status moved to, for extensions their type.
pub fn clock_event<'a>(at: i64, kind: EntryKind, actor: &str, detail: &'a str) -> super::deadlines::Event<'a> {
    super::deadlines::Event {
        at,
        kind,
        to: detail_value(detail, "\"to\":\"").or_else(|| detail_value(detail, "\"type\":\"")),
        by_staff: actor != "reporter" && actor != "system",
    }
}

/// The deadlines of a report from its ledger entries (time, kind, actor, detail), under the deployment's
/// policy.
pub fn deadlines_of<'a>(
    received_at: i64,
    entries: impl IntoIterator<Item = (i64, EntryKind, &'a str, &'a str)>,
    now: i64,
) -> Vec<super::calendar::Deadline> {
    let events: Vec<super::deadlines::Event<'_>> = entries
        .into_iter()
        .map(|(at, kind, actor, detail)| clock_event(at, kind, actor, detail))
        .collect();
    let policy = super::policy::Policy::active();
    super::deadlines::case_deadlines(policy, received_at, &events, now)
}

/// The number of cases and the on-time figures per stage over every deadline of every case, as of `now`,
/// from (receipt time, `clock`) pairs. The work is split over the cores.
pub fn on_time_of(cases: &[(i64, &str)], now: i64) -> (usize, Vec<(Stage, super::deadlines::OnTime)>) {
    let (count, figures) = monthly_on_time_of(cases, now, Vec::new());
    let stages = figures
        .stages
        .into_iter()
        .map(|(stage, total, _)| (stage, total))
        .collect();
    (count, stages)
}

/// The same, and per month of `months` (oldest first; each deadline in the month it fell due).
pub fn monthly_on_time_of(
    cases: &[(i64, &str)],
    now: i64,
    months: Vec<super::stats::Month>,
) -> (usize, super::stats::MonthlyOnTime) {
    monthly_on_time_due_before(cases, now, months, None)
}

/// The same, counting only the deadlines due before `due_before` (if given): figures that must not change
/// once their month is over leave out a deadline met ahead of a day still to come, until that day.
pub fn monthly_on_time_due_before(
    cases: &[(i64, &str)],
    now: i64,
    months: Vec<super::stats::Month>,
    due_before: Option<time::Date>,
) -> (usize, super::stats::MonthlyOnTime) {
    use super::stats::MonthlyOnTime;
    let tally = |part: &[(i64, &str)]| {
        let mut figures = MonthlyOnTime::new(months.clone());
        for (received_at, clock) in part {
            for deadline in deadlines_of_clock(*received_at, clock, now) {
                if due_before.is_none_or(|day| deadline.due < day) {
                    figures.add(&deadline);
                }
            }
        }
        figures
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let size = cases.len().div_ceil(threads).max(1);
    let parts: Vec<MonthlyOnTime> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(size)
            .map(|part| scope.spawn(move || tally(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    // Merged in the policy's stage order, as each part lists them.
    let mut merged = MonthlyOnTime::new(months);
    for part in parts {
        merged.merge(part);
    }
    (cases.len(), merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_events_read_the_fields_serde_json_wrote() {
        let transition = serde_json::json!({ "from": "received", "note": "ab12", "to": "accepted" }).to_string();
        assert_eq!(
            clock_event(1, EntryKind::Transition, "u1", &transition).to,
            Some("accepted")
        );
        let extension = serde_json::json!({ "note": "x", "stage": "resolution", "type": "complex" }).to_string();
        assert_eq!(
            clock_event(1, EntryKind::Extension, "u1", &extension).to,
            Some("complex")
        );
        // A value holding what looks like a key is escaped, so it is never mistaken for one.
        let tricky = serde_json::json!({ "note": "\"to\":\"closed", "to": "investigating" }).to_string();
        assert_eq!(
            clock_event(1, EntryKind::Transition, "u1", &tricky).to,
            Some("investigating")
        );
        let message = serde_json::json!({ "message": "m1" }).to_string();
        let event = clock_event(1, EntryKind::Message, "reporter", &message);
        assert_eq!((event.to, event.by_staff), (None, false));
        assert!(clock_event(1, EntryKind::Message, "u1", &message).by_staff);
    }

    #[test]
    fn a_clock_column_gives_back_the_events_of_the_entries() {
        let entries = [
            (
                10,
                EntryKind::Received,
                "reporter",
                r#"{"category":"forgery","unit":"ba-diem"}"#,
            ),
            (
                20,
                EntryKind::Transition,
                "u1",
                r#"{"from":"received","note":"n","to":"accepted"}"#,
            ),
            (30, EntryKind::Message, "reporter", r#"{"message":"m"}"#),
            (
                40,
                EntryKind::Extension,
                "u2",
                r#"{"note":"n","stage":"resolution","type":"very_complex"}"#,
            ),
            (50, EntryKind::Escalation, "system", r#"{"stage":"resolution"}"#),
            (
                60,
                EntryKind::CommendationDecided,
                "u3",
                r#"{"amount":1,"form":"money","to":"decided"}"#,
            ),
        ];
        let clock: String = entries
            .iter()
            .filter_map(|(at, kind, actor, detail)| clock_fragment(*at, *kind, actor, detail))
            .collect();
        assert_eq!(clock, "20:t:accepted:1;30:m::0;40:e:very_complex:1;60:d:decided:1;");
        let direct: Vec<_> = entries
            .iter()
            .filter(|(_, kind, _, _)| !matches!(kind, EntryKind::Received | EntryKind::Escalation))
            .map(|(at, kind, actor, detail)| clock_event(*at, *kind, actor, detail))
            .collect();
        assert_eq!(clock_events(&clock), direct);
        assert!(clock_events("garbage;20:x:y:1;").is_empty());
    }
}
