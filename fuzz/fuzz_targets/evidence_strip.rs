//! Fuzzes evidence files: the type read from the content (`evidence::sniff`), the metadata stripper
//! (`evidence::strip`, every container parser behind it: img-parts, lopdf, zip, lofty) and safe names
//! (`evidence::safe_name`).
//!
//! On any bytes the stripper must answer `Ok` or `Err`, never panic, loop or run out of memory (the server
//! also catches a parser's panic, but a panic here is a finding). What it returns must still be of the
//! type it was, and stripping it again must find nothing more to remove (no metadata left behind).
//! Any name becomes one without directories, control or bidirectional characters, within the length
//! limit, ending in the extension of the content's type.
//!
//! Input layout: the first byte is the length of the name (clamped to what follows), then the name's
//! bytes (lossy UTF-8), then the file's bytes (seeds in `fuzz/seeds/evidence_strip/` are real files of each
//! type behind a `\0`: an empty name).

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::evidence::{safe_name, sniff, strip, NAME_MAX};

fuzz_target!(|data: &[u8]| {
    let Some((&length, rest)) = data.split_first() else {
        return;
    };
    let (name, content) = rest.split_at(usize::from(length).min(rest.len()));
    let name = String::from_utf8_lossy(name);
    let Some(kind) = sniff(content) else {
        return;
    };
    let safe = safe_name(Some(&name), kind);
    assert!(!safe.contains(['/', '\\']), "{safe:?}");
    assert!(!safe.chars().any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')), "{safe:?}");
    assert!(safe.chars().count() <= NAME_MAX, "{safe:?}");
    assert!(safe.ends_with(&format!(".{}", kind.extension())) && !safe.starts_with('.'), "{safe:?}");
    let Ok(stripped) = strip(kind, content.to_vec()) else {
        return;
    };
    assert_eq!(sniff(&stripped.bytes), Some(kind), "the stripped file changed type");
    let again = strip(kind, stripped.bytes).expect("a stripped file is read again");
    assert!(again.removed.is_empty(), "left after stripping: {:?}", again.removed);
});
