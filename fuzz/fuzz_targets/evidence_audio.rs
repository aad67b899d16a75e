//! Fuzzes the metadata stripper on MP3, M4A, OGG, WAV and MP4 (lofty): the type read from the content, the strip,
//! its result still of its type and nothing left for a second strip (`shared/evidence.rs`). Input: a whole file;
//! seeds in `fuzz/seeds/evidence_audio/`.

#![no_main]

#[path = "shared/evidence.rs"]
mod evidence;

use libfuzzer_sys::fuzz_target;
use minhbach::evidence::Kind;

fuzz_target!(|data: &[u8]| evidence::strips(&[Kind::Mp3, Kind::M4a, Kind::Ogg, Kind::Wav, Kind::Mp4], data));
