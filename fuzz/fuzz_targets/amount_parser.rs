//! Fuzzes `domain::money::parse_amount`, which reads the amounts reporters and officers type ("1.500.000",
//! "1,500,000", "1 500 000"). Never panics; an amount it accepts is between 0 and `AMOUNT_MAX`, and every
//! canonical spelling of that amount (plain digits, groups of three with '.', ',', ' ' or a no-break
//! space) reads back as the same amount, so the form can show it back in any of them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::domain::money::{parse_amount, AMOUNT_MAX};

/// `n` in groups of three digits separated by `sep`: 1500000 → "1.500.000".
fn grouped(n: i64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(n) = parse_amount(text) else {
        // Plain digits within the range are always an amount.
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            let value = trimmed.parse::<i64>();
            assert!(
                !matches!(value, Ok(v) if v <= AMOUNT_MAX),
                "plain digits {trimmed:?} refused"
            );
        }
        return;
    };
    assert!((0..=AMOUNT_MAX).contains(&n), "{text:?} gives {n}, out of range");
    let spellings = [
        n.to_string(),
        grouped(n, '.'),
        grouped(n, ','),
        grouped(n, ' '),
        grouped(n, '\u{a0}'),
    ];
    for spelling in spellings {
        assert_eq!(parse_amount(&spelling), Ok(n), "{spelling:?} (from {text:?})");
    }
});
