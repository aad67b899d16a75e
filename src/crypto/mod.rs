//! Cryptography: retrieval codes, envelope encryption of report content, and key wrapping.
//!
//! Pure code: no I/O, no HTTP, no SQL. Every primitive comes from RustCrypto; nothing here is home-made
//! beyond the composition described in `DESIGN.md` ("Cryptography").

mod chain;
mod code;
mod envelope;
mod wrap;

pub use chain::{entry_hash, ChainFields, GENESIS};
pub use code::{CodeSecrets, Locator, RetrievalCode};
pub use envelope::{open, open_with, seal, seal_with, CryptoError, ReportKey, NONCE_LEN};
pub use wrap::{unwrap_report_key, wrap_report_key, KdfParams, WrappedKey};

/// Random bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A random 128-bit identifier rendered as 32 lowercase hex digits (ids of reports, messages, …).
pub fn random_id() -> String {
    hex::encode(random_bytes::<16>())
}
