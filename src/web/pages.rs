//! Rendering pages: the context every page shares (language, language switch) and the formatting of
//! dates, times and amounts for each language.

use crate::domain::EntryKind;
use fluent_templates::fluent_bundle::FluentValue;
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use time::Date;

use super::i18n::Lang;
use crate::app::paging::Paged;
use crate::domain::calendar::{self, Deadline};

/// Renders `templates/<name>.html.hbs` with `context` plus what the layout needs. `path` is the page's
/// address, for the link to the same page in the other language.
pub fn render(name: &'static str, lang: Lang, path: &str, mut context: Value) -> Template {
    let switch = match lang {
        Lang::Vi => "?lang=en",
        Lang::En => "?lang=vi",
    };
    if let Value::Object(map) = &mut context {
        map.insert("lang".into(), json!(lang.code()));
        map.insert("q".into(), json!(lang.query()));
        map.insert("switch_href".into(), json!(format!("{path}{switch}")));
        // The layout shows the staff menu when a page passes `staff`; strict mode needs the key either way.
        map.entry("staff").or_insert(Value::Null);
        map.entry("no_switch").or_insert(Value::Bool(false));
    }
    Template::render(name, context)
}

/// A calendar date as people in each language write it: 12/03/2026 or 12 Mar 2026.
pub fn date(lang: Lang, day: Date) -> String {
    match lang {
        Lang::Vi => format!("{:02}/{:02}/{}", day.day(), u8::from(day.month()), day.year()),
        Lang::En => format!("{} {} {}", day.day(), &day.month().to_string()[..3], day.year()),
    }
}

/// A moment in Vietnam's time zone, to the minute.
pub fn time(lang: Lang, utc_millis: i64) -> String {
    let local = calendar::local_time(utc_millis);
    format!("{} {:02}:{:02}", date(lang, local.date()), local.hour(), local.minute())
}

/// A share in per mille as a percentage to one decimal, as each language writes it: 97,5 % (with a
/// no-break space, so that a narrow table cell never puts the sign on a line of its own) or 97.5%.
pub fn per_mille(lang: Lang, value: u64) -> String {
    match lang {
        Lang::Vi => format!("{},{}\u{a0}%", value / 10, value % 10),
        Lang::En => format!("{}.{}%", value / 10, value % 10),
    }
}

/// A number given in tenths, to one decimal: 12,5 or 12.5.
pub fn tenths(lang: Lang, value: u64) -> String {
    let separator = if lang == Lang::Vi { ',' } else { '.' };
    format!("{}{separator}{}", value / 10, value % 10)
}

/// An amount of đồng with the grouping each language uses: 15.000.000 ₫ or 15,000,000 VND.
pub fn amount(lang: Lang, vnd: i64) -> String {
    money(lang, vnd, "VND")
}

/// An amount in a scheme's currency unit, grouped as the language writes it (₫ for đồng in Vietnamese).
pub fn money(lang: Lang, value: i64, currency: &str) -> String {
    let digits = value.unsigned_abs().to_string();
    let separator = if lang == Lang::Vi { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    match (lang, currency) {
        (Lang::Vi, "VND") => format!("{grouped} ₫"),
        _ => format!("{grouped} {currency}"),
    }
}

/// A deadline as the pages show it: stage and state in the reader's language, the due day as they write it.
pub fn deadline(lang: Lang, d: &Deadline) -> Value {
    json!({
        "stage": lang.tr(&d.stage.message_key()),
        "due": date(lang, d.due),
        "state": d.state.as_str(),
        "state_label": lang.tr(&format!("deadline-{}", d.state.as_str().replace('_', "-"))),
    })
}

/// A deadline as the JSON API shows it (`null` for none).
pub fn deadline_json(deadline: Option<&Deadline>) -> Value {
    match deadline {
        Some(d) => json!({ "stage": d.stage, "due": d.due.to_string(), "state": d.state.as_str() }),
        None => Value::Null,
    }
}

/// RFC 3339 in Vietnam's offset, for the API.
pub fn rfc3339(utc_millis: i64) -> String {
    calendar::rfc3339(utc_millis)
}

/// The confirmation a page shows after a successful action: `done` names the action (from the redirect's
/// query), `key_prefix` + action is its message; an action not in `actions` shows nothing.
pub fn confirmation(lang: Lang, done: Option<&str>, actions: &[&str], key_prefix: &str) -> Option<String> {
    done.filter(|d| actions.contains(d))
        .map(|d| lang.tr(&format!("{key_prefix}{d}")))
}

/// A ledger entry as a timeline line for the reporter and the officer: a transition names the status it led
/// to ("Status updated: Accepted"), any other entry its kind.
pub fn event_label(lang: Lang, kind: EntryKind, detail: &str) -> String {
    if kind != EntryKind::Transition {
        return lang.tr(&kind.message_key());
    }
    let detail: Value = serde_json::from_str(detail).unwrap_or(Value::Null);
    let to = status_name(lang, detail["to"].as_str().unwrap_or_default());
    format!("{}: {to}", lang.tr(&EntryKind::Transition.message_key()))
}

/// A case status by its id, in the reader's language (the id itself if unknown).
pub fn status_name(lang: Lang, id: &str) -> String {
    crate::domain::Status::parse(id)
        .map(|s| lang.tr(&s.message_key()))
        .unwrap_or_else(|| id.to_owned())
}

/// A ledger entry as a timeline shows it: when, and what happened, in the reader's language.
pub fn event(lang: Lang, entry: &crate::store::ledger::Entry) -> serde_json::Value {
    serde_json::json!({ "at": time(lang, entry.at), "label": event_label(lang, entry.kind, &entry.detail) })
}

/// A size in bytes as people read it: 20 MiB, 340 KiB, 12 B (KiB and MiB, as the limits are set).
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)).replace(".0 ", " "),
        b if b >= 1 << 10 => format!("{} KiB", b.div_ceil(1 << 10)),
        b => format!("{b} B"),
    }
}

/// The file field's hint: what may be attached, how many, how large.
pub fn files_hint(lang: Lang, limits: &crate::evidence::Limits) -> String {
    use fluent_templates::fluent_bundle::FluentValue;
    lang.tr_with(
        "field-files-hint",
        &[
            ("files", FluentValue::from(limits.files)),
            ("file_size", FluentValue::from(size(limits.file_bytes as u64))),
            ("total_size", FluentValue::from(size(limits.total_bytes as u64))),
        ],
    )
}

/// What was taken out of a file, in words, and what may remain.
fn removed_words(lang: Lang, removed: &[String], kept: Option<&str>) -> Value {
    let removed: Vec<String> = removed.iter().map(|r| lang.tr(&format!("removed-{r}"))).collect();
    json!({
        "removed": removed,
        "nothing_removed": removed.is_empty(),
        "kept": kept.map(|k| lang.tr(&format!("kept-{k}"))),
    })
}

/// A file just prepared, for the confirmation page: its safe name, type, size and what was removed.
pub fn stripped_file(lang: Lang, file: &crate::evidence::Evidence) -> Value {
    let removed: Vec<String> = file.removed.iter().map(|r| (*r).to_owned()).collect();
    let mut value = removed_words(lang, &removed, file.kept);
    value["name"] = json!(file.name);
    value["size"] = json!(size(file.bytes.len() as u64));
    value["at"] = Value::Null;
    value["href"] = Value::Null;
    value
}

/// A stored file, for the status and case pages; `href` is its download address (staff only).
pub fn attachment(lang: Lang, file: &crate::app::evidence::AttachmentView, href: Option<String>) -> Value {
    let mut value = removed_words(lang, &file.meta.removed, file.meta.kept.as_deref());
    value["name"] = json!(file.meta.name);
    value["size"] = json!(size(file.meta.size));
    value["at"] = json!(time(lang, file.created_at));
    value["href"] = json!(href);
    value["with_reply"] = json!(file.message_id.is_some());
    value
}

/// A case's retention as staff read it: the day it is to be erased and why, or why no day is set; and the
/// legal hold that keeps it, if one does.
pub fn retention(lang: Lang, case: &crate::store::cases::CaseRow) -> Value {
    use crate::domain::retention::Retention;
    let text = match case.retention() {
        Retention::Due {
            outcome,
            period,
            erase_on,
            since,
        } => lang.tr_with(
            "retention-erase-on",
            &[
                ("date", FluentValue::from(date(lang, erase_on))),
                ("since", FluentValue::from(date(lang, calendar::local_date(since)))),
                ("outcome", FluentValue::from(lang.tr(&outcome.message_key()))),
                ("months", FluentValue::from(period.months)),
                ("rule", FluentValue::from(period.rule)),
            ],
        ),
        Retention::Open => lang.tr("retention-open"),
        Retention::AwaitingCommendation => lang.tr("retention-awaiting-commendation"),
        Retention::Kept => lang.tr("retention-kept"),
    };
    let held = case
        .held_since
        .map(|at| lang.tr_with("retention-held", &[("date", FluentValue::from(time(lang, at)))]));
    json!({ "text": text, "held": held, "is_held": case.held_since.is_some() })
}

/// The line under a queue row's status: the day it is to be erased, or that a legal hold keeps it.
pub fn erasure_note(lang: Lang, case: &crate::store::cases::CaseRow) -> Option<String> {
    if let Some(at) = case.erased_at {
        let day = date(lang, calendar::local_date(at));
        return Some(lang.tr_with("retention-erased-short", &[("date", FluentValue::from(day))]));
    }
    if case.held_since.is_some() {
        return Some(lang.tr("retention-held-short"));
    }
    let day = case.retention().erase_on()?;
    Some(lang.tr_with(
        "retention-erase-on-short",
        &[("date", FluentValue::from(date(lang, day)))],
    ))
}

/// A case's retention as the JSON API shows it: `{"state", "erase_on", "outcome", "months", "rule",
/// "held_since", "erased_at"}` (state: `due`, `open`, `awaiting_commendation`, `kept` or `erased`; the others
/// `null` unless due, held or erased).
pub fn retention_json(case: &crate::store::cases::CaseRow) -> Value {
    use crate::domain::retention::Retention;
    let retention = case.retention();
    let state = match (&retention, case.erased_at) {
        (_, Some(_)) => "erased",
        (Retention::Due { .. }, None) => "due",
        (Retention::AwaitingCommendation, None) => "awaiting_commendation",
        (Retention::Kept, None) => "kept",
        (Retention::Open, None) => "open",
    };
    let due = match retention {
        Retention::Due {
            outcome,
            period,
            erase_on,
            ..
        } if case.erased_at.is_none() => Some((outcome, period, erase_on)),
        _ => None,
    };
    json!({
        "state": state,
        "erase_on": due.as_ref().map(|(_, _, day)| day.to_string()),
        "outcome": due.as_ref().map(|(outcome, _, _)| outcome.as_str()),
        "months": due.as_ref().map(|(_, period, _)| period.months),
        "rule": due.as_ref().map(|(_, period, _)| period.rule.clone()),
        "held_since": case.held_since.filter(|_| case.erased_at.is_none()).map(rfc3339),
        "erased_at": case.erased_at.map(rfc3339),
    })
}

/// A queue page's links to its neighbours: `base` (the queue's path with its filters, `/officer?status=`)
/// and the row each starts from (keyset), with the page number it shows.
pub fn pager_links<T>(lang: Lang, base: &str, found: &Paged<T>) -> (Option<String>, Option<String>) {
    let link = |side: &str, key: &String, p: i64| format!("{base}&{side}={key}&page={p}{}", lang.and_query());
    (
        found.prev.as_ref().map(|k| link("before", k, (found.page - 1).max(1))),
        found.next.as_ref().map(|k| link("after", k, found.page + 1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_and_amounts_read_naturally_in_each_language() {
        assert_eq!(date(Lang::Vi, date!(2026 - 03 - 12)), "12/03/2026");
        assert_eq!(date(Lang::En, date!(2026 - 03 - 12)), "12 Mar 2026");
        assert_eq!(amount(Lang::Vi, 15_000_000), "15.000.000 ₫");
        assert_eq!(amount(Lang::En, 1_500), "1,500 VND");
        assert_eq!(amount(Lang::En, 999), "999 VND");
        assert_eq!(money(Lang::Vi, 3_000_000_000, "KRW"), "3.000.000.000 KRW");
    }
}
