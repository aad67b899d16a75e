//! Fuzzes the metadata stripper on DOCX, XLSX and ODT (zip, with the bomb limits): the type read from the content,
//! the strip, its result still of its type and nothing left for a second strip (`shared/evidence.rs`). Input: a
//! whole file; seeds in `fuzz/seeds/evidence_office/`.

#![no_main]

#[path = "shared/evidence.rs"]
mod evidence;

use libfuzzer_sys::fuzz_target;
use minhbach::evidence::Kind;

fuzz_target!(|data: &[u8]| evidence::strips(&[Kind::Docx, Kind::Xlsx, Kind::Odt], data));
