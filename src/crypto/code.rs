//! The reporter's retrieval code ("mã tra cứu").
//!
//! 20 symbols of Crockford's base32 (<https://www.crockford.com/base32.html>) drawn from the OS RNG carry
//! exactly 100 bits. The code is shown as five groups of four (`XXXX-XXXX-XXXX-XXXX-XXXX`); typed input is
//! normalised for case, spaces and dashes, and for the letters Crockford maps onto digits (O → 0, I/L → 1).
//! The code is never stored: HKDF-SHA256 derives from it a *locator*, stored to find the report, and a
//! *wrapping secret* from which Argon2id derives the key that wraps the report key.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Crockford's alphabet: digits and letters without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Number of symbols in a code: 20 × 5 bits = 100 bits.
pub const SYMBOLS: usize = 20;
/// Domain separation for the HKDF expansions; changing these invalidates every stored locator.
const HKDF_SALT: &[u8] = b"minhbach retrieval code v1";

/// A well-formed retrieval code: 20 canonical symbols. Zeroized on drop; compared in constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RetrievalCode([u8; SYMBOLS]);

impl RetrievalCode {
    /// A fresh code from the operating system's RNG: each symbol takes 5 uniformly random bits.
    pub fn generate() -> Self {
        let random = Zeroizing::new(super::random_bytes::<SYMBOLS>());
        let mut symbols = [0u8; SYMBOLS];
        for (symbol, byte) in symbols.iter_mut().zip(random.iter()) {
            *symbol = ALPHABET[usize::from(byte & 0x1f)];
        }
        Self(symbols)
    }

    /// Parses what a person typed. Case, spaces, dashes and the look-alike letters O, I and L are forgiven;
    /// anything else, or a wrong length, is rejected. Returns `None` rather than an error: callers treat a
    /// malformed code exactly like an unknown one.
    pub fn parse(input: &str) -> Option<Self> {
        let mut symbols = [0u8; SYMBOLS];
        let mut len = 0;
        for c in input.chars() {
            let canonical = match c.to_ascii_uppercase() {
                ' ' | '-' | '\t' | '\u{a0}' => continue,
                'O' => b'0',
                'I' | 'L' => b'1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c as u8,
                _ => return None,
            };
            if len == SYMBOLS {
                return None;
            }
            symbols[len] = canonical;
            len += 1;
        }
        (len == SYMBOLS).then_some(Self(symbols))
    }

    /// The canonical 20 symbols without separators.
    pub fn compact(&self) -> &str {
        // The array only ever holds ASCII from ALPHABET.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code grouped for display: `XXXX-XXXX-XXXX-XXXX-XXXX`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(SYMBOLS + 4));
        for (i, chunk) in self.0.chunks(4).enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        }
        out
    }

    /// Derives the locator and the wrapping secret (HKDF-SHA256, RFC 5869, with distinct `info` labels).
    pub fn derive(&self) -> CodeSecrets {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &self.0);
        let mut locator = [0u8; 32];
        let mut wrapping = [0u8; 32];
        // Output lengths of 32 bytes are always valid for HKDF-SHA256.
        hk.expand(b"locator", &mut locator).unwrap_or_default();
        hk.expand(b"report-key wrapping", &mut wrapping).unwrap_or_default();
        CodeSecrets {
            locator: Locator(locator),
            wrapping: Zeroizing::new(wrapping),
        }
    }
}

impl PartialEq for RetrievalCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for RetrievalCode {}

impl fmt::Debug for RetrievalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetrievalCode(<redacted>)")
    }
}

/// What the code yields: a public locator and a secret that wraps the report key.
pub struct CodeSecrets {
    pub locator: Locator,
    pub wrapping: Zeroizing<[u8; 32]>,
}

/// Finds a report without revealing its code: stored, indexed, rendered as hex.
#[derive(Clone, PartialEq, Eq)]
pub struct Locator([u8; 32]);

impl Locator {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Locator({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_has_twenty_symbols_of_the_alphabet() {
        let code = RetrievalCode::generate();
        assert_eq!(code.compact().len(), SYMBOLS);
        assert!(code.compact().bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(code.grouped().len(), 24);
        assert_eq!(code.grouped().matches('-').count(), 4);
    }

    #[test]
    fn typed_variants_parse_to_the_same_code() {
        let code = RetrievalCode::parse("ABCD-EFGH-JKMN-PQRS-TVWX").expect("canonical code parses");
        for variant in [
            "abcd-efgh-jkmn-pqrs-tvwx",
            "ABCDEFGHJKMNPQRSTVWX",
            " abcd efgh jkmn pqrs tvwx ",
            "AbCd--EfGh JKMN-pqrs-TVWX",
        ] {
            assert_eq!(RetrievalCode::parse(variant), Some(code.clone()), "{variant}");
        }
    }

    #[test]
    fn look_alike_letters_map_onto_digits() {
        let with_letters = RetrievalCode::parse("OOOO-IIII-LLLL-oooo-ilil").expect("parses");
        assert_eq!(with_letters.compact(), "00001111111100001111");
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in [
            "",
            "ABCD",
            "ABCD-EFGH-JKMN-PQRS-TVWXY",
            "ABCD-EFGH-JKMN-PQRS-TVWU",
            "ÀBCD-EFGH-JKMN-PQRS-TVWX",
        ] {
            assert!(RetrievalCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn derivation_is_deterministic_and_separates_locator_from_secret() {
        let code = RetrievalCode::generate();
        let (a, b) = (code.derive(), code.derive());
        assert_eq!(a.locator, b.locator);
        assert_eq!(*a.wrapping, *b.wrapping);
        assert_ne!(a.locator.0, *a.wrapping);
        assert_ne!(RetrievalCode::generate().derive().locator, a.locator);
    }

    #[test]
    fn debug_output_never_shows_the_code() {
        let code = RetrievalCode::generate();
        assert!(!format!("{code:?}").contains(code.compact()));
    }
}
