//! Fuzzes safe file names (`evidence::safe_name`): any name, for any type, becomes one without directories,
//! control or bidirectional characters, within the length limit, ending in the type's extension
//! (`shared/evidence.rs`). Input: one byte that picks the type, then the name's bytes (lossy UTF-8).

#![no_main]

#[path = "shared/evidence.rs"]
mod evidence;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| evidence::names(data));
