//! Fuzzes the codec of a report's `clock` column (`domain::clock`): `clock_events` on arbitrary text, then
//! `deadlines_of_clock` and `on_time_of` under the default policy. The column is a projection of the ledger
//! that `audit verify` checks, but it is read back from the database on every case list and statistics
//! page, so a damaged one must not take those pages down.
//!
//! Properties: the events read back are exactly what `clock_fragment` writes for them (encoding them again
//! and reading gives the same events); every case has its triage deadline and no stage twice; and the
//! parallel `on_time_of` gives the same tally as `deadlines::on_time` over every case's deadlines in order.
//!
//! Input: UTF-8 text. Its first line is "now" in milliseconds, each further line a case,
//! `RECEIVED_AT CLOCK` (receipt time in milliseconds, a space, the column's text); the first case gets the
//! round-trip checks, all of them (at most 16) go to `on_time_of`. The receipt times and "now" are brought
//! into years 2000..2100 (any instant a deployment can meet: a real one is kept as it is, anything else is
//! folded in); the times inside the clock text are whatever the text says.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::domain::clock::{clock_events, clock_fragment, deadlines_of_clock, on_time_of};
use minhbach::domain::deadlines::on_time;
use minhbach::domain::Stage;

/// 2000-01-01T00:00:00Z and the span to 2100-01-01, in milliseconds.
const FROM_MS: i64 = 946_684_800_000;
const SPAN_MS: i64 = 4_102_444_800_000 - FROM_MS;
/// At most this many cases for `on_time_of` (it splits them over the cores).
const MAX_CASES: usize = 16;

/// A plausible instant from typed digits: kept if in 2000..2100, else folded into it.
fn instant(text: &str) -> i64 {
    let ms = text.trim().parse::<i64>().unwrap_or(0);
    FROM_MS + (ms.wrapping_sub(FROM_MS)).rem_euclid(SPAN_MS)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let now = instant(lines.next().unwrap_or_default());
    let cases: Vec<(i64, &str)> = lines
        .take(MAX_CASES)
        .map(|line| {
            let (at, clock) = line.split_once(' ').unwrap_or((line, ""));
            (instant(at), clock)
        })
        .collect();
    let Some(&(received_at, clock)) = cases.first() else {
        return;
    };

    let events = clock_events(clock);
    assert!(events.len() <= clock.split_terminator(';').count());
    for event in &events {
        assert!(
            event.to.is_none_or(|v| !v.is_empty() && !v.contains([':', ';'])),
            "{event:?}"
        );
    }

    // Encode the events again as the ledger would (values with a quote or backslash are not identifiers
    // and cannot come out of a ledger detail, so they are left out of the round trip).
    if events.iter().all(|e| e.to.is_none_or(|v| !v.contains(['"', '\\']))) {
        let encoded: String = events
            .iter()
            .map(|e| {
                let actor = if e.by_staff { "u1" } else { "reporter" };
                let detail = match e.to {
                    Some(to) => format!("{{\"to\":\"{to}\"}}"),
                    None => "{}".to_owned(),
                };
                clock_fragment(e.at, e.kind, actor, &detail).expect("a clock kind has a fragment")
            })
            .collect();
        assert_eq!(clock_events(&encoded), events, "re-encoded as {encoded:?}");
    }

    let deadlines = deadlines_of_clock(received_at, clock, now);
    assert_eq!(deadlines.first().map(|d| d.stage), Some(Stage::Triage));
    for (i, d) in deadlines.iter().enumerate() {
        assert!(deadlines[..i].iter().all(|e| e.stage != d.stage), "{:?} twice", d.stage);
    }

    let every: Vec<_> = cases
        .iter()
        .flat_map(|(at, clock)| deadlines_of_clock(*at, clock, now))
        .collect();
    assert_eq!(on_time_of(&cases, now), (cases.len(), on_time(&every)));
});
