//! Time-based one-time codes for staff sign-in (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of
//! clock skew either side), through the `totp-rs` crate.

use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "Minh Bach";

fn totp(secret: &[u8], account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// A fresh 160-bit secret (RFC 4226 recommends 160 bits).
pub fn new_totp_secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(super::random_bytes::<20>().to_vec())
}

/// The `otpauth://totp/…` URI an authenticator app enrols from (as text or a QR code).
pub fn enrolment_uri(secret: &[u8], username: &str) -> Option<String> {
    totp(secret, username).map(|t| t.get_url())
}

/// The time step whose code `code` is: the current step, or the previous one (a code typed as its 30 s
/// ran out, or a phone a little behind); `None` if it matches neither. The *next* step is not accepted:
/// a code accepted early would make the genuine current code a replay for up to 30 s (issue #11, D8).
/// Callers accept a step only once (a later step than the last accepted), so a code cannot be replayed.
pub fn matching_step(secret: &[u8], code: &str, now_seconds: u64) -> Option<u64> {
    let totp = totp(secret, "x")?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now_seconds / STEP_SECONDS;
    // Every candidate step is checked, whatever matched, so timing does not tell which one did.
    let mut found = None;
    for step in [current.saturating_sub(1), current] {
        let expected = Zeroizing::new(totp.generate(step * STEP_SECONDS));
        let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into();
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The code of the current step (for tests and for enrolment checks).
pub fn code_at(secret: &[u8], now_seconds: u64) -> Option<String> {
    totp(secret, "x").map(|t| t.generate(now_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_code_and_the_previous_one_match_older_and_next_ones_do_not() {
        let secret = new_totp_secret();
        let now = 1_790_000_000;
        let code = code_at(&secret, now).expect("code");
        assert_eq!(matching_step(&secret, &code, now), Some(now / 30));
        assert_eq!(
            matching_step(&secret, &code, now + 30),
            Some(now / 30),
            "one step of skew"
        );
        assert_eq!(matching_step(&secret, &code, now + 61), None, "two steps old");
        let next = code_at(&secret, now + 30).expect("the next step's code");
        assert_eq!(
            matching_step(&secret, &next, now),
            None,
            "the next step is not accepted (D8)"
        );
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&new_totp_secret(), &code, now), None);
    }

    #[test]
    fn the_enrolment_uri_names_the_issuer_and_the_user() {
        let uri = enrolment_uri(&new_totp_secret(), "lan.nguyen").expect("uri");
        assert!(
            uri.starts_with("otpauth://totp/Minh%20Bach:lan.nguyen?secret="),
            "{uri}"
        );
    }
}
