//! Fuzzes the envelope encryption of report fields (`crypto::open_with`, `crypto::seal_with`).
//!
//! `open_with` reads ciphertexts from the database and from backups: on any bytes and any context it must
//! return `Ok` or `Err`, never panic (the length prefix inside the padding is only trusted after the tag
//! checks). Round trip: what `seal_with` produced opens with the same key and context to the plaintext, has
//! the length of its padding bucket, and fails to open once any one byte is changed or with one more
//! context part.
//!
//! Input layout (so that seeds can be written by hand, see `fuzz/seeds/envelope_open/`): 32 bytes of key,
//! 2 bytes of position to change (little-endian) and 1 byte to XOR there (0 is taken as 1), then the
//! context parts as UTF-8 separated by '\n' (none when empty), a NUL, the plaintext, a NUL, and the rest:
//! the bytes handed to `open_with` as if they were stored.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::crypto::{open_with, seal_with, NONCE_LEN};

/// AES-GCM's tag length.
const TAG_LEN: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Some((key, rest)) = data.split_first_chunk::<32>() else {
        return;
    };
    let Some(([at_lo, at_hi, mask], rest)) = rest.split_first_chunk::<3>() else {
        return;
    };
    let mut parts = rest.splitn(3, |b| *b == 0);
    let Ok(context) = std::str::from_utf8(parts.next().unwrap_or_default()) else {
        return;
    };
    let plaintext = parts.next().unwrap_or_default();
    let stored = parts.next().unwrap_or_default();
    let context: Vec<&str> = if context.is_empty() {
        Vec::new()
    } else {
        context.split('\n').collect()
    };
    let context = context.as_slice();

    // Any stored bytes: an answer, not a panic. A valid seed opens to the plaintext beside it.
    if let Ok(opened) = open_with(key, context, stored) {
        assert!(opened.len() <= stored.len());
    }

    let sealed = seal_with(key, context, plaintext);
    let bucket = (plaintext.len() + 4).next_power_of_two().max(64);
    assert_eq!(
        sealed.len(),
        NONCE_LEN + bucket + TAG_LEN,
        "ciphertext length outside its bucket"
    );
    let opened = open_with(key, context, &sealed).expect("a fresh ciphertext opens");
    assert_eq!(opened.as_slice(), plaintext);

    let mut tampered = sealed.clone();
    let at = usize::from(u16::from_le_bytes([*at_lo, *at_hi])) % tampered.len();
    tampered[at] ^= (*mask).max(1);
    assert!(
        open_with(key, context, &tampered).is_err(),
        "byte {at} changed and it still opens"
    );

    let mut longer = context.to_vec();
    longer.push("");
    assert!(open_with(key, &longer, &sealed).is_err(), "opens under another context");
});
