//! Policies: the legal clocks of one jurisdiction, as TOML presets in `policies/` (`vn-2018`, the default,
//! and `eu-2019`). Each stage names its article, a number of days, how they count (working days, calendar
//! days or months) and the event that starts it; resolution has typed extensions and a hard cap.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;
use time::{macros::format_description, Date, Month};

use super::calendar::Calendar;

const PRESETS: [(&str, &str); 2] = [
    ("vn-2018", include_str!("../../policies/vn-2018.toml")),
    ("eu-2019", include_str!("../../policies/eu-2019.toml")),
];

/// A stage of a case's handling, each with its own clock. Listed in the order a case meets them, which is
/// the order of every deadline list and on-time table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Triage,
    Notice,
    Resolution,
    Feedback,
    CommendationProposal,
    CommendationDecision,
    /// The report the supervising head asks for once the resolution is overdue (vn-2018, Art. 38).
    EscalationReport,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Triage,
        Stage::Notice,
        Stage::Resolution,
        Stage::Feedback,
        Stage::CommendationProposal,
        Stage::CommendationDecision,
        Stage::EscalationReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Triage => "triage",
            Stage::Notice => "notice",
            Stage::Resolution => "resolution",
            Stage::Feedback => "feedback",
            Stage::CommendationProposal => "commendation_proposal",
            Stage::CommendationDecision => "commendation_decision",
            Stage::EscalationReport => "escalation_report",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// A clock of the report's commendation rather than of its case.
    pub fn is_commendation(self) -> bool {
        matches!(self, Stage::CommendationProposal | Stage::CommendationDecision)
    }

    /// The key of the stage's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("stage-{}", self.as_str())
    }
}

impl serde::Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a stage's days count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    WorkingDays,
    Days,
    Months,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Extension {
    pub days: u32,
    /// How many of this kind one case may have.
    pub max: u32,
}

/// One stage's clock.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StageRule {
    /// The article the clock comes from.
    pub rule: String,
    pub days: u32,
    pub unit: Unit,
    /// The event that starts the clock: received, accepted, concluded, proposed, overdue.
    pub from: String,
    /// The longest the stage may last with its extensions, in calendar days from its start.
    #[serde(default)]
    pub cap_days: Option<u32>,
    #[serde(default)]
    pub extensions: BTreeMap<String, Extension>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub id: String,
    pub version: String,
    pub effective: String,
    pub name_vi: String,
    pub name_en: String,
    pub utc_offset_hours: i8,
}

static ACTIVE: OnceLock<Policy> = OnceLock::new();

/// A policy preset, parsed and checked.
#[derive(Debug, Clone, Deserialize)]
pub struct Policy {
    pub policy: Header,
    /// Read by name from the file, checked into [`Stage`]s by `parse`.
    #[serde(rename = "stages")]
    stage_names: BTreeMap<String, StageRule>,
    #[serde(skip)]
    stages: BTreeMap<Stage, StageRule>,
    #[serde(default)]
    holidays: BTreeMap<String, Vec<String>>,
    /// How long closed reports are kept; a policy without one erases nothing.
    #[serde(default)]
    retention: Option<super::retention::Schedule>,
    #[serde(skip)]
    calendar: Option<Calendar>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("unknown policy {0:?} (known: vn-2018, eu-2019)")]
    UnknownPolicy(String),
    #[error("policy file: {0}")]
    Invalid(String),
    #[error("this policy has no {0} stage")]
    UnknownStage(Stage),
    #[error("stage {stage} has no extension of type {kind:?}")]
    UnknownExtension { stage: Stage, kind: String },
    #[error("a {kind:?} extension is allowed at most {max} time(s)")]
    TooManyExtensions { kind: String, max: u32 },
    #[error("the extensions would pass the stage's cap of {cap_days} days")]
    PastCap { cap_days: u32 },
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// `days` days after `date`, or the calendar's last day (no real period gets near it; a corrupt time must
/// not panic).
fn plus_days(date: Date, days: u32) -> Date {
    date.checked_add(time::Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// `months` calendar months after `date`, on the same day or the month's last day.
/// Past the calendar's last year it is the last day (found by fuzzing the policy loader: a month count near
/// `u32::MAX` wrapped round to a date before the start).
pub(crate) fn add_months(date: Date, months: u32) -> Date {
    let total = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let Ok(year) = i32::try_from(total.div_euclid(12)) else {
        return Date::MAX;
    };
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(Month::December);
    let last = month.length(year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(Date::MAX)
}

impl Policy {
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let mut policy: Policy = toml::from_str(text).map_err(|e| PolicyError::Invalid(e.to_string()))?;
        let mut days = BTreeSet::new();
        for (year, dates) in &policy.holidays {
            for text in dates {
                let date = parse_date(text).ok_or_else(|| PolicyError::Invalid(format!("holiday {text:?}")))?;
                if date.year().to_string() != *year {
                    return Err(PolicyError::Invalid(format!("holiday {text} listed under {year}")));
                }
                days.insert(date);
            }
        }
        for (name, rule) in std::mem::take(&mut policy.stage_names) {
            let stage = Stage::parse(&name).ok_or_else(|| PolicyError::Invalid(format!("unknown stage {name:?}")))?;
            if rule.days == 0 || rule.rule.trim().is_empty() {
                return Err(PolicyError::Invalid(format!("stage {name} needs days and a rule")));
            }
            policy.stages.insert(stage, rule);
        }
        if let Some(schedule) = &policy.retention {
            schedule.check().map_err(PolicyError::Invalid)?;
        }
        policy.calendar = Some(Calendar::with_holidays(days));
        Ok(policy)
    }

    /// A shipped preset by id.
    pub fn preset(id: &str) -> Result<Self, PolicyError> {
        let (_, text) = PRESETS
            .iter()
            .find(|(name, _)| *name == id)
            .ok_or_else(|| PolicyError::UnknownPolicy(id.into()))?;
        Self::parse(text)
    }

    /// The default preset, `vn-2018`, parsed once.
    pub fn default_preset() -> &'static Policy {
        static DEFAULT: OnceLock<Policy> = OnceLock::new();
        DEFAULT.get_or_init(|| Policy::preset("vn-2018").expect("the shipped vn-2018 preset is valid"))
    }

    /// Makes `policy` the one this process uses. Installing the same policy again is accepted (tests start
    /// many instances in one process); another one is refused.
    pub fn install(policy: Policy) -> Result<(), String> {
        let id = (policy.policy.id.clone(), policy.policy.version.clone());
        let installed = ACTIVE.get_or_init(|| policy);
        if (&installed.policy.id, &installed.policy.version) == (&id.0, &id.1) {
            Ok(())
        } else {
            Err(format!(
                "this process already runs policy {} {}",
                installed.policy.id, installed.policy.version
            ))
        }
    }

    /// The deployment's policy: the installed one, else the default preset.
    pub fn active() -> &'static Policy {
        ACTIVE.get().unwrap_or_else(|| Self::default_preset())
    }

    pub fn calendar(&self) -> &Calendar {
        // Set by `parse`, the only way to build a Policy.
        self.calendar.as_ref().unwrap_or_else(|| Calendar::empty())
    }

    /// The retention schedule, if the policy has one.
    pub fn retention(&self) -> Option<&super::retention::Schedule> {
        self.retention.as_ref()
    }

    pub fn stage(&self, stage: Stage) -> Result<&StageRule, PolicyError> {
        self.stages.get(&stage).ok_or(PolicyError::UnknownStage(stage))
    }

    /// The last day of `stage` started by an event on `start` (the event's own day is not counted), with
    /// the given extensions in order. A period of calendar days or months that ends on a day off ends on the
    /// next working day (Civil Code Art. 148). Extensions past their allowed number or past the stage's cap
    /// are refused.
    pub fn due(&self, stage: Stage, start: Date, extensions: &[&str]) -> Result<Date, PolicyError> {
        let rule = self.stage(stage)?;
        let calendar = self.calendar();
        let mut due = match rule.unit {
            Unit::WorkingDays => return self.due_in_working_days(stage, rule, start, extensions),
            Unit::Days => plus_days(start, rule.days),
            Unit::Months => add_months(start, rule.days),
        };
        let mut used: BTreeMap<&str, u32> = BTreeMap::new();
        for kind in extensions {
            let extension = rule
                .extensions
                .get(*kind)
                .ok_or_else(|| PolicyError::UnknownExtension {
                    stage,
                    kind: (*kind).into(),
                })?;
            let count = used.entry(kind).or_default();
            *count += 1;
            if *count > extension.max {
                return Err(PolicyError::TooManyExtensions {
                    kind: (*kind).into(),
                    max: extension.max,
                });
            }
            due = plus_days(due, extension.days);
        }
        if let Some(cap) = rule.cap_days {
            if due > plus_days(start, cap) {
                return Err(PolicyError::PastCap { cap_days: cap });
            }
        }
        while !calendar.is_working_day(due) {
            let Some(next) = due.next_day() else { break };
            due = next;
        }
        Ok(due)
    }

    fn due_in_working_days(
        &self,
        stage: Stage,
        rule: &StageRule,
        start: Date,
        extensions: &[&str],
    ) -> Result<Date, PolicyError> {
        if let Some(kind) = extensions.first() {
            return Err(PolicyError::UnknownExtension {
                stage,
                kind: (*kind).into(),
            });
        }
        Ok(self.calendar().add_working_days(start, rule.days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Found by fuzzing (`fuzz/fuzz_targets/policy_toml.rs`): a stage of 4 294 967 295 months wrapped round
    /// to a due date a month before its start. Now it is the calendar's last day, after the start.
    #[test]
    fn an_absurd_number_of_months_never_ends_before_its_start() {
        let start = date!(2026 - 03 - 02);
        for months in [u32::MAX, 4_294_967_200, 30_000_003, 120] {
            assert!(add_months(start, months) > start, "{months} months");
        }
        assert_eq!(add_months(start, u32::MAX), Date::MAX);
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
    }

    fn vn() -> Policy {
        Policy::preset("vn-2018").expect("preset")
    }

    #[test]
    fn both_presets_parse_with_a_version_and_an_effective_date() {
        for id in ["vn-2018", "eu-2019"] {
            let policy = Policy::preset(id).expect("parses");
            assert_eq!(policy.policy.id, id);
            assert!(!policy.policy.version.is_empty() && parse_date(&policy.policy.effective).is_some());
            for stage in Stage::ALL {
                assert!(policy.stage(stage).is_ok(), "{id} {stage}");
            }
            let retention = policy.retention().expect("a retention schedule");
            for outcome in super::super::retention::Outcome::ALL {
                assert!(!retention.period(outcome).rule.is_empty(), "{id} {outcome:?}");
            }
        }
        // The Article 29 Working Party's two months for unfounded reports.
        let eu = Policy::preset("eu-2019").unwrap();
        let unfounded = eu
            .retention()
            .unwrap()
            .period(super::super::retention::Outcome::Unsubstantiated);
        assert_eq!(unfounded.months, 2);
        assert!(unfounded.rule.contains("WP 117"), "{unfounded:?}");
        assert_eq!(
            Policy::preset("us-1989").unwrap_err(),
            PolicyError::UnknownPolicy("us-1989".into())
        );
    }

    #[test]
    fn triage_worked_examples() {
        let p = vn();
        // Tuesday 3 March 2026 → Thursday 12 March (POLICY-REFERENCE.md's example).
        assert_eq!(
            p.due(Stage::Triage, date!(2026 - 03 - 03), &[]),
            Ok(date!(2026 - 03 - 12))
        );
        // From a Friday, across a weekend: Friday 6 March → Tuesday 17 March.
        assert_eq!(
            p.due(Stage::Triage, date!(2026 - 03 - 06), &[]),
            Ok(date!(2026 - 03 - 17))
        );
        // From the Friday before Tết (13 Feb 2026; Tết 14–22 Feb) → Tuesday 3 March.
        assert_eq!(
            p.due(Stage::Triage, date!(2026 - 02 - 13), &[]),
            Ok(date!(2026 - 03 - 03))
        );
        // Across 30 April – 1 May 2026 (Thursday, Friday): Tuesday 28 April → Monday 11 May.
        assert_eq!(
            p.due(Stage::Triage, date!(2026 - 04 - 28), &[]),
            Ok(date!(2026 - 05 - 11))
        );
    }

    #[test]
    fn notice_and_feedback_count_working_days() {
        let p = vn();
        assert_eq!(
            p.due(Stage::Notice, date!(2026 - 03 - 06), &[]),
            Ok(date!(2026 - 03 - 13))
        );
        assert_eq!(
            p.due(Stage::Feedback, date!(2026 - 08 - 28), &[]),
            Ok(date!(2026 - 09 - 08)),
            "across National Day"
        );
    }

    #[test]
    fn resolution_with_each_extension_type_and_the_cap() {
        let p = vn();
        let accepted = date!(2026 - 03 - 02); // Monday
                                              // 30 days: Wednesday 1 April.
        assert_eq!(p.due(Stage::Resolution, accepted, &[]), Ok(date!(2026 - 04 - 01)));
        // Complicated: one extension of 30 days → Friday 1 May is a holiday → Monday 4 May.
        assert_eq!(
            p.due(Stage::Resolution, accepted, &["complex"]),
            Ok(date!(2026 - 05 - 04))
        );
        // Particularly complicated: two extensions → 31 May is a Sunday → Monday 1 June (90 days is the cap).
        assert_eq!(
            p.due(Stage::Resolution, accepted, &["very_complex", "very_complex"]),
            Ok(date!(2026 - 06 - 01))
        );
        assert_eq!(
            p.due(Stage::Resolution, accepted, &["complex", "complex"]),
            Err(PolicyError::TooManyExtensions {
                kind: "complex".into(),
                max: 1
            })
        );
        assert_eq!(
            p.due(
                Stage::Resolution,
                accepted,
                &["very_complex", "very_complex", "very_complex"]
            ),
            Err(PolicyError::TooManyExtensions {
                kind: "very_complex".into(),
                max: 2
            })
        );
        assert_eq!(
            p.due(
                Stage::Resolution,
                accepted,
                &["complex", "very_complex", "very_complex"]
            ),
            Err(PolicyError::PastCap { cap_days: 90 })
        );
        assert!(matches!(
            p.due(Stage::Resolution, accepted, &["urgent"]),
            Err(PolicyError::UnknownExtension { .. })
        ));
    }

    #[test]
    fn the_eu_preset_counts_calendar_days_and_months() {
        let eu = Policy::preset("eu-2019").expect("preset");
        // 7 days from Monday 2 March 2026: Monday 9 March.
        assert_eq!(
            eu.due(Stage::Triage, date!(2026 - 03 - 02), &[]),
            Ok(date!(2026 - 03 - 09))
        );
        // 3 months from 30 November 2026: 28 February 2027 is a Sunday → Monday 1 March.
        assert_eq!(
            eu.due(Stage::Feedback, date!(2026 - 11 - 30), &[]),
            Ok(date!(2027 - 03 - 01))
        );
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
    }

    #[test]
    fn a_holiday_under_the_wrong_year_is_refused() {
        let text = Policy::preset("vn-2018")
            .map(|_| {
                PRESETS[0]
                    .1
                    .replace("2025 = [\n    \"2025-01-01\"", "2025 = [\n    \"2024-01-01\"")
            })
            .unwrap();
        assert!(matches!(Policy::parse(&text), Err(PolicyError::Invalid(_))));
    }

    #[test]
    fn a_stage_this_code_does_not_know_is_refused() {
        let text = PRESETS[0].1.replace("[stages.notice]", "[stages.notise]");
        assert_ne!(text, PRESETS[0].1, "the preset names the notice stage");
        assert_eq!(
            Policy::parse(&text).unwrap_err(),
            PolicyError::Invalid("unknown stage \"notise\"".into())
        );
    }
}
