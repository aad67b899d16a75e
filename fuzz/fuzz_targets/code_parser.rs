//! Fuzzes `crypto::RetrievalCode::parse`, which reads whatever a reporter types (form and API) as a
//! retrieval code. Beyond "never panics": a code that parses is 20 symbols of Crockford's alphabet, and its
//! canonical spellings (compact, grouped, lowercase) parse back to the same code. If they did not, a
//! reporter copying the code we showed them could be locked out of their report.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::crypto::RetrievalCode;

/// Crockford's alphabet, as `src/crypto/code.rs` has it (private there).
const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(code) = RetrievalCode::parse(text) else {
        return;
    };
    let compact = code.compact();
    assert_eq!(compact.len(), 20, "compact form of {text:?}");
    assert!(
        compact.chars().all(|c| ALPHABET.contains(c)),
        "{compact:?} from {text:?}"
    );

    let grouped = code.grouped();
    assert_eq!(grouped.len(), 24, "grouped form {:?}", grouped.as_str());
    assert_eq!(grouped.replace('-', ""), compact);

    for spelling in [compact.to_owned(), grouped.to_string(), grouped.to_lowercase()] {
        let again = RetrievalCode::parse(&spelling).unwrap_or_else(|| panic!("{spelling:?} does not parse"));
        assert_eq!(again.compact(), compact, "{spelling:?} parses to another code");
        assert!(again == code, "{spelling:?}: equality disagrees with compact()");
    }
});
