//! Amounts of money as people type them, for the reporter's form and the officer's: whole numbers, zero or
//! more, with the thousands separators people use ("1.500.000", "1,500,000", "1 500 000"), but only in
//! groups of three. "1.5" is refused rather than read as fifteen (or as one and a half).

use super::report::FieldError;

/// Largest amount accepted: ten million billion of the unit, far above any case and safely inside `i64`.
pub const AMOUNT_MAX: i64 = 10_000_000_000_000_000;

/// The amount `text` means, or why it means none.
pub fn parse_amount(text: &str) -> Result<i64, FieldError> {
    let groups: Vec<&str> = text.trim().split(['.', ',', ' ', '\u{a0}']).collect();
    let well_grouped = groups.len() == 1
        || (!groups[0].is_empty() && groups[0].len() <= 3 && groups.iter().skip(1).all(|g| g.len() == 3));
    let digits: String = groups.concat();
    if !well_grouped || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::InvalidAmount);
    }
    digits
        .parse::<i64>()
        .ok()
        .filter(|a| *a <= AMOUNT_MAX)
        .ok_or(FieldError::InvalidAmount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_thousands_separators_in_groups_of_three() {
        for (typed, amount) in [
            ("1.500.000", 1_500_000),
            ("1,500,000", 1_500_000),
            ("1 500 000", 1_500_000),
            ("1\u{a0}500\u{a0}000", 1_500_000),
            (" 46 800 000 ", 46_800_000),
            ("0", 0),
            ("2500", 2500),
        ] {
            assert_eq!(parse_amount(typed), Ok(amount), "{typed}");
        }
        for typed in [
            "1.5",
            "15.00",
            ".500",
            "1..500",
            "1.5000",
            "-1",
            "1_000",
            "",
            "mười lăm triệu",
        ] {
            assert_eq!(parse_amount(typed), Err(FieldError::InvalidAmount), "{typed}");
        }
        assert_eq!(
            parse_amount("10000000000000001"),
            Err(FieldError::InvalidAmount),
            "past the maximum"
        );
    }
}
