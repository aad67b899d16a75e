//! Cryptography: retrieval codes, envelope encryption of report content, and key wrapping.
//!
//! Pure code: no I/O, no HTTP, no SQL. Every primitive comes from RustCrypto; nothing here is home-made
//! beyond the composition described in `DESIGN.md` ("Cryptography").

pub mod aad;
mod chain;
mod code;
mod envelope;
mod staff;
pub mod stream;
mod totp;
mod wrap;

pub use chain::{entry_hash, verify_chain, Broken, ChainFields, Chained, GENESIS};
pub use code::{CodeSecrets, Locator, RetrievalCode};
pub use envelope::{open, open_with, seal, seal_with, CryptoError, ReportKey, NONCE_LEN};
pub use staff::{
    generate_keypair, grant, hash_password, open_grant, open_private_key, seal_private_key, verify_password, Grant,
    PrivateKey, PublicKey, SealedPrivateKey,
};
pub use stream::{FileOpener, FileSealer};
pub use totp::{code_at, enrolment_uri, matching_step, new_totp_secret};
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

/// A 256-bit key for one purpose, derived from a master secret (HKDF-SHA256, RFC 5869).
pub fn subkey(master: &[u8; 32], purpose: &str) -> zeroize::Zeroizing<[u8; 32]> {
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    hkdf::Hkdf::<sha2::Sha256>::new(None, master)
        .expand(purpose.as_bytes(), key.as_mut())
        .unwrap_or_default();
    key
}
