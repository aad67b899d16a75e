//! What every evidence fuzz target checks (`evidence_image`, `evidence_pdf`, `evidence_office`,
//! `evidence_audio`: one per family of container parsers, so that each runs at its own parser's speed; and
//! `evidence_name` for safe names).
//!
//! On any bytes the stripper must answer `Ok` or `Err`, never panic, loop or run out of memory (the server
//! also catches a parser's panic, but a panic here is a finding). What it returns must still be of the type it
//! was, and stripping it again must find nothing more to remove (no metadata left behind).

// Each target uses one of the two checks.
#![allow(dead_code)]

use minhbach::evidence::{safe_name, sniff, strip, Kind, NAME_MAX};

/// The input as a whole file: stripped if its content is of one of `kinds` (other inputs return at once, so
/// the fuzzer learns to stay within the family).
pub fn strips(kinds: &[Kind], data: &[u8]) {
    let Some(kind) = sniff(data).filter(|k| kinds.contains(k)) else {
        return;
    };
    let Ok(stripped) = strip(kind, data.to_vec()) else {
        return;
    };
    assert_eq!(sniff(&stripped.bytes), Some(kind), "the stripped file changed type");
    let again = strip(kind, stripped.bytes).expect("a stripped file is read again");
    assert!(again.removed.is_empty(), "left after stripping: {:?}", again.removed);
}

/// The input as a name (lossy UTF-8) for a file of the type its first byte picks: the safe name has no
/// directory, control or bidirectional character, fits the limit, does not start with a dot and ends in the
/// type's extension.
pub fn names(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[usize::from(pick) % Kind::ALL.len()];
    let name = String::from_utf8_lossy(rest);
    let safe = safe_name(Some(&name), kind);
    assert!(!safe.contains(['/', '\\']), "{safe:?}");
    assert!(
        !safe
            .chars()
            .any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
        "{safe:?}"
    );
    assert!(safe.chars().count() <= NAME_MAX, "{safe:?}");
    assert!(
        safe.ends_with(&format!(".{}", kind.extension())) && !safe.starts_with('.'),
        "{safe:?}"
    );
}
