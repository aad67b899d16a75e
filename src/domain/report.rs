//! What a report must contain, parsed once from what the reporter typed (form or JSON).

use time::{macros::format_description, Date};

use super::money::parse_amount;
use super::Category;

/// Longest narrative accepted, in characters: about ten printed pages.
pub const NARRATIVE_MAX: usize = 20_000;
/// Shortest narrative accepted, in characters: a report needs something an inspector can check.
pub const NARRATIVE_MIN: usize = 10;
/// Longest "who is involved" field, in characters.
pub const ACCUSED_MAX: usize = 2_000;
const EARLIEST_INCIDENT: Date = time::macros::date!(1945 - 09 - 02);

/// What the reporter sent, before any check. Every field is text as typed; absent fields are `None`.
#[derive(Debug, Default, Clone)]
pub struct RawReport {
    pub category: Option<String>,
    pub unit: Option<String>,
    pub narrative: Option<String>,
    pub accused: Option<String>,
    pub incident_date: Option<String>,
    pub amount_vnd: Option<String>,
}

/// A report that passed every check: what is stored (encrypted) and routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub category: Category,
    pub unit: String,
    pub narrative: String,
    pub accused: Option<String>,
    pub incident_date: Option<Date>,
    pub amount_vnd: Option<i64>,
}

/// Why one field was refused. Each has a message in `locales/` under `error-<key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    UnknownCategory,
    UnknownUnit,
    InvalidDate,
    DateOutOfRange,
    InvalidAmount,
    WrongType,
    UnknownStatus,
    UnknownAssignee,
    AssigneeFromUnit,
    UnknownForm,
    ReasonRequired,
    AmountWithoutReward,
    AmountMismatch,
    ZeroReward,
    /// A legal hold's action is neither `place` nor `lift`.
    UnknownHoldAction,
    /// A rating's score is not a whole number from 1 to 5.
    InvalidScore,
    /// Text that must stay on one line holds a line break.
    LineBreak,
    /// Not a mail address (`name@example.gov.vn`).
    InvalidEmail,
    /// Not an hour from 0 to 23.
    InvalidHour,
    /// Neither `vi` nor `en`.
    UnknownLanguage,
    /// A queue page's `after` or `before` that is not a link this server made.
    InvalidPageLink,
}

impl FieldError {
    pub fn key(self) -> &'static str {
        match self {
            FieldError::Required => "error-required",
            FieldError::TooShort { .. } => "error-too-short",
            FieldError::TooLong { .. } => "error-too-long",
            FieldError::UnknownCategory => "error-unknown-category",
            FieldError::UnknownUnit => "error-unknown-unit",
            FieldError::InvalidDate => "error-invalid-date",
            FieldError::DateOutOfRange => "error-date-out-of-range",
            FieldError::InvalidAmount => "error-invalid-amount",
            FieldError::WrongType => "error-wrong-type",
            FieldError::UnknownStatus => "error-unknown-status",
            FieldError::UnknownAssignee => "error-unknown-assignee",
            FieldError::AssigneeFromUnit => "error-assignee-from-unit",
            FieldError::UnknownForm => "error-unknown-form",
            FieldError::ReasonRequired => "error-reason-required",
            FieldError::AmountWithoutReward => "error-amount-without-reward",
            FieldError::AmountMismatch => "error-amount-mismatch",
            FieldError::ZeroReward => "error-zero-reward",
            FieldError::UnknownHoldAction => "error-unknown-hold-action",
            FieldError::InvalidScore => "error-invalid-score",
            FieldError::LineBreak => "error-line-break",
            FieldError::InvalidEmail => "error-invalid-email",
            FieldError::InvalidHour => "error-invalid-hour",
            FieldError::UnknownLanguage => "error-unknown-language",
            FieldError::InvalidPageLink => "error-invalid-page-link",
        }
    }

    /// The number a message needs, if any (`$limit` in the Fluent files).
    pub fn limit(self) -> Option<usize> {
        match self {
            FieldError::TooShort { min } => Some(min),
            FieldError::TooLong { max } => Some(max),
            _ => None,
        }
    }
}

/// Field errors in the order of the form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, FieldError)>);

impl FieldErrors {
    pub fn push(&mut self, field: &'static str, error: FieldError) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, error));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<FieldError> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, e)| *e)
    }
}

/// Trims a text field; an empty one counts as absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bounded_text(value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let chars = value.chars().count();
    if chars < min {
        Err(FieldError::TooShort { min })
    } else if chars > max {
        Err(FieldError::TooLong { max })
    } else {
        Ok(value.to_owned())
    }
}

fn parse_date(value: &str, today: Date) -> Result<Date, FieldError> {
    let date = Date::parse(value, format_description!("[year]-[month]-[day]")).map_err(|_| FieldError::InvalidDate)?;
    if date < EARLIEST_INCIDENT || date > today {
        return Err(FieldError::DateOutOfRange);
    }
    Ok(date)
}

/// The value of a checked field, recording its error if it has one.
fn take<T>(errors: &mut FieldErrors, field: &'static str, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(field, e)).ok()
}

impl NewReport {
    /// Checks every field and reports every problem at once. `unit_exists` tells whether a unit id belongs
    /// to the organisation; `today` is the reporter's calendar day (an incident cannot be in the future).
    pub fn parse(raw: &RawReport, unit_exists: impl Fn(&str) -> bool, today: Date) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let category = match present(&raw.category) {
            None => Err(FieldError::Required),
            Some(id) => Category::parse(id).ok_or(FieldError::UnknownCategory),
        };
        let unit = match present(&raw.unit) {
            None => Err(FieldError::Required),
            Some(id) if unit_exists(id) => Ok(id.to_owned()),
            Some(_) => Err(FieldError::UnknownUnit),
        };
        let narrative = match present(&raw.narrative) {
            None => Err(FieldError::Required),
            Some(text) => bounded_text(text, NARRATIVE_MIN, NARRATIVE_MAX),
        };
        let accused = present(&raw.accused)
            .map(|text| bounded_text(text, 0, ACCUSED_MAX))
            .transpose();
        let incident_date = present(&raw.incident_date).map(|d| parse_date(d, today)).transpose();
        let amount_vnd = present(&raw.amount_vnd).map(parse_amount).transpose();

        let parsed = (
            take(&mut errors, "category", category),
            take(&mut errors, "unit", unit),
            take(&mut errors, "narrative", narrative),
            take(&mut errors, "accused", accused),
            take(&mut errors, "incident_date", incident_date),
            take(&mut errors, "amount_vnd", amount_vnd),
        );
        match parsed {
            (Some(category), Some(unit), Some(narrative), Some(accused), Some(incident_date), Some(amount_vnd)) => {
                Ok(Self {
                    category,
                    unit,
                    narrative,
                    accused,
                    incident_date,
                    amount_vnd,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Longest message a reporter or inspector may send, in characters.
pub const MESSAGE_MAX: usize = 10_000;

/// Checks a message body: not blank, not longer than [`MESSAGE_MAX`].
pub fn parse_message(body: Option<&str>) -> Result<String, FieldError> {
    match body.map(str::trim).filter(|b| !b.is_empty()) {
        None => Err(FieldError::Required),
        Some(text) => bounded_text(text, 1, MESSAGE_MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 26);

    fn raw() -> RawReport {
        RawReport {
            category: Some("bribe-taking".into()),
            unit: Some("ba-diem".into()),
            narrative: Some("  Cán bộ địa chính nhận tiền để cấp giấy chứng nhận.  ".into()),
            accused: Some("".into()),
            incident_date: Some("2026-10-01".into()),
            amount_vnd: Some("15.000.000".into()),
        }
    }

    fn parse(raw: &RawReport) -> Result<NewReport, FieldErrors> {
        NewReport::parse(raw, |unit| unit == "ba-diem", TODAY)
    }

    #[test]
    fn a_complete_report_parses_with_trimmed_text_and_separators_removed() {
        let report = parse(&raw()).expect("valid");
        assert_eq!(report.category, Category::BribeTaking);
        assert_eq!(report.narrative, "Cán bộ địa chính nhận tiền để cấp giấy chứng nhận.");
        assert_eq!(report.accused, None);
        assert_eq!(report.incident_date, Some(date!(2026 - 10 - 01)));
        assert_eq!(report.amount_vnd, Some(15_000_000));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = RawReport {
            category: Some("bribery".into()),
            unit: Some("district-9".into()),
            narrative: Some("short".into()),
            accused: Some("x".repeat(ACCUSED_MAX + 1)),
            incident_date: Some("2030-01-01".into()),
            amount_vnd: Some("-5".into()),
        };
        let errors = parse(&bad).expect_err("invalid");
        assert_eq!(errors.get("category"), Some(FieldError::UnknownCategory));
        assert_eq!(errors.get("unit"), Some(FieldError::UnknownUnit));
        assert_eq!(
            errors.get("narrative"),
            Some(FieldError::TooShort { min: NARRATIVE_MIN })
        );
        assert_eq!(errors.get("accused"), Some(FieldError::TooLong { max: ACCUSED_MAX }));
        assert_eq!(errors.get("incident_date"), Some(FieldError::DateOutOfRange));
        assert_eq!(errors.get("amount_vnd"), Some(FieldError::InvalidAmount));
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        let errors = parse(&RawReport::default()).expect_err("invalid");
        for field in ["category", "unit", "narrative"] {
            assert_eq!(errors.get(field), Some(FieldError::Required), "{field}");
        }
        assert_eq!(errors.get("accused"), None);
    }

    #[test]
    fn dates_and_amounts_reject_what_is_not_one() {
        for (date, amount) in [
            ("01/10/2026", "1e9"),
            ("2026-02-30", "12.5 triệu"),
            ("yesterday", "99999999999999999999"),
            ("2026-1-1", "1.5"),
        ] {
            let errors = parse(&RawReport {
                incident_date: Some(date.into()),
                amount_vnd: Some(amount.into()),
                ..raw()
            })
            .expect_err("invalid");
            assert_eq!(errors.get("incident_date"), Some(FieldError::InvalidDate), "{date}");
            assert_eq!(errors.get("amount_vnd"), Some(FieldError::InvalidAmount), "{amount}");
        }
    }

    #[test]
    fn a_message_must_not_be_blank_or_too_long() {
        assert_eq!(parse_message(Some("  ")), Err(FieldError::Required));
        assert_eq!(parse_message(None), Err(FieldError::Required));
        assert_eq!(
            parse_message(Some(&"a".repeat(MESSAGE_MAX + 1))),
            Err(FieldError::TooLong { max: MESSAGE_MAX })
        );
        assert_eq!(parse_message(Some(" Xin chào ")).as_deref(), Ok("Xin chào"));
    }
}
