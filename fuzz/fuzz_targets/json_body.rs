//! Fuzzes the JSON API's body reading as `POST /api/v1/reports` does it: `json::JsonObject::parse` (the
//! reader behind `web::api::JsonBody`) on the raw bytes, the field readers `text`, `str` and `integer` on a
//! report's fields, then the domain's check `domain::NewReport::parse` against the demo organisation's
//! units, and `parse_amount` on what the integer reader hands on.
//!
//! Never panics, and the pieces agree: `str` and `text` read the same strings; a field of the wrong type is
//! a field error naming it; the decimal text of a JSON integer is an amount exactly when it lies in
//! 0..=AMOUNT_MAX; a report that passes the check has a known unit, trimmed text within its bounds, an
//! incident date not in the future and an amount in range.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use minhbach::domain::calendar::local_date;
use minhbach::domain::money::{parse_amount, AMOUNT_MAX};
use minhbach::domain::org::Organisation;
use minhbach::domain::report::{ACCUSED_MAX, NARRATIVE_MAX, NARRATIVE_MIN};
use minhbach::domain::{Category, FieldError, FieldErrors, NewReport};
use minhbach::json::JsonObject as JsonBody;

/// The text fields of a report (`amount_vnd` is read as an integer).
const TEXT_FIELDS: [&str; 5] = ["category", "unit", "narrative", "accused", "incident_date"];

/// The units of the embedded demo organisation (org/hoc-mon.toml), parsed once.
static UNITS: LazyLock<Vec<String>> =
    LazyLock::new(|| Organisation::demo().units.iter().map(|u| u.id.to_string()).collect());

fuzz_target!(|data: &[u8]| {
    let Ok(body) = JsonBody::parse(data) else {
        return;
    };
    let mut errors = FieldErrors::default();
    let raw = body.raw_report(&mut errors);

    // `str` is `text` without the type check.
    for (field, value) in TEXT_FIELDS.iter().zip([
        &raw.category,
        &raw.unit,
        &raw.narrative,
        &raw.accused,
        &raw.incident_date,
    ]) {
        assert_eq!(body.str(field), value.as_deref(), "{field}");
        let present = body.0.get(*field).is_some_and(|v| !v.is_null());
        let wrong_type = value.is_none() && present;
        assert_eq!(errors.get(field) == Some(FieldError::WrongType), wrong_type, "{field}");
    }

    // The integer reader passes on decimal text; the domain decides the range.
    if let Some(digits) = &raw.amount_vnd {
        let expected = digits.parse::<i64>().ok().filter(|n| (0..=AMOUNT_MAX).contains(n));
        assert_eq!(parse_amount(digits).ok(), expected, "amount {digits:?}");
    }

    let today = local_date(1_795_669_200_000); // 2026-11-26 in Vietnam.
    let Ok(report) = NewReport::parse(&raw, |id| UNITS.iter().any(|u| u == id), today) else {
        return;
    };
    assert_eq!(Category::parse(report.category.id()), Some(report.category));
    assert!(UNITS.contains(&report.unit), "unknown unit {:?} accepted", report.unit);
    let narrative = report.narrative.chars().count();
    assert!(
        (NARRATIVE_MIN..=NARRATIVE_MAX).contains(&narrative),
        "narrative of {narrative} chars"
    );
    assert_eq!(report.narrative.trim(), report.narrative);
    if let Some(accused) = &report.accused {
        assert!(!accused.is_empty() && accused.chars().count() <= ACCUSED_MAX);
    }
    if let Some(date) = report.incident_date {
        assert!(date <= today, "incident in the future: {date}");
    }
    if let Some(amount) = report.amount_vnd {
        assert!((0..=AMOUNT_MAX).contains(&amount));
    }
});
