//! Envelope encryption of report fields and messages: AES-256-GCM under the report's own key.
//!
//! Each ciphertext is `nonce (12 bytes) ‖ AES-256-GCM(padded plaintext)`. The associated data names the
//! report and the purpose of the field (and the message id), so a ciphertext moved to another row or column
//! fails to open. Plaintexts are padded to power-of-two buckets (at least 64 bytes) so that the length of a
//! stored ciphertext reveals only its bucket, not the length of what the reporter wrote.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub const NONCE_LEN: usize = 12;
const MIN_BUCKET: usize = 64;
const LEN_PREFIX: usize = 4;

/// Why a ciphertext did not open. Deliberately without detail: a wrong key, a tampered ciphertext and
/// a ciphertext moved to another row are indistinguishable to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the ciphertext does not open under this key and context")]
    Open,
    #[error("key derivation failed")]
    Kdf,
}

/// A report's 256-bit data key. Zeroized on drop; never stored in clear.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ReportKey([u8; 32]);

impl ReportKey {
    pub fn generate() -> Self {
        Self(super::random_bytes::<32>())
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ReportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportKey(<redacted>)")
    }
}

/// Encodes the context parts with length prefixes, so ("ab", "c") and ("a", "bc") differ.
pub(crate) fn associated_data(context: &[&str]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.iter().map(|p| p.len() + 4).sum());
    for part in context {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

fn bucket_len(plaintext_len: usize) -> usize {
    (plaintext_len + LEN_PREFIX).next_power_of_two().max(MIN_BUCKET)
}

fn pad(plaintext: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut padded = Zeroizing::new(Vec::with_capacity(bucket_len(plaintext.len())));
    padded.extend_from_slice(&(plaintext.len() as u32).to_be_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(bucket_len(plaintext.len()), 0);
    padded
}

fn unpad(mut padded: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let header: [u8; LEN_PREFIX] = padded
        .get(..LEN_PREFIX)
        .and_then(|h| h.try_into().ok())
        .ok_or(CryptoError::Open)?;
    let len = u32::from_be_bytes(header) as usize;
    if LEN_PREFIX + len > padded.len() {
        padded.zeroize();
        return Err(CryptoError::Open);
    }
    padded.truncate(LEN_PREFIX + len);
    padded.drain(..LEN_PREFIX);
    Ok(Zeroizing::new(padded))
}

/// Seals `plaintext` under `key`, bound to `context` (for example `[report_id, "narrative"]`).
pub fn seal(key: &ReportKey, context: &[&str], plaintext: &[u8]) -> Vec<u8> {
    seal_with(key.as_bytes(), context, plaintext)
}

/// Opens what [`seal`] produced with the same key and context.
pub fn open(key: &ReportKey, context: &[&str], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with(key.as_bytes(), context, sealed)
}

pub fn seal_with(key: &[u8; 32], context: &[&str], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    let nonce = super::random_bytes::<NONCE_LEN>();
    let padded = pad(plaintext);
    let aad = associated_data(context);
    // Encryption only fails for plaintexts beyond AES-GCM's 64 GiB limit, far above any request limit.
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &padded,
                aad: &aad,
            },
        )
        .expect("AES-GCM plaintext within its length limit");
    let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    sealed
}

pub fn open_with(key: &[u8; 32], context: &[&str], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN {
        return Err(CryptoError::Open);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.into());
    let aad = associated_data(context);
    let padded = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Open)?;
    unpad(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_field_opens_with_its_key_and_context() {
        let key = ReportKey::generate();
        let sealed = seal(&key, &["r1", "narrative"], "Cán bộ xã nhận tiền".as_bytes());
        let opened = open(&key, &["r1", "narrative"], &sealed).expect("opens");
        assert_eq!(opened.as_slice(), "Cán bộ xã nhận tiền".as_bytes());
    }

    #[test]
    fn another_key_row_or_purpose_does_not_open_it() {
        let key = ReportKey::generate();
        let sealed = seal(&key, &["r1", "narrative"], b"secret");
        assert_eq!(
            open(&ReportKey::generate(), &["r1", "narrative"], &sealed),
            Err(CryptoError::Open)
        );
        assert_eq!(open(&key, &["r2", "narrative"], &sealed), Err(CryptoError::Open));
        assert_eq!(open(&key, &["r1", "accused"], &sealed), Err(CryptoError::Open));
        assert_eq!(open(&key, &["r1n", "arrative"], &sealed), Err(CryptoError::Open));
    }

    #[test]
    fn any_flipped_bit_is_detected() {
        let key = ReportKey::generate();
        let sealed = seal(&key, &["r1", "m"], b"message");
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(open(&key, &["r1", "m"], &tampered).is_err(), "bit flip at byte {i}");
        }
        assert!(open(&key, &["r1", "m"], &sealed[..NONCE_LEN + 3]).is_err());
    }

    #[test]
    fn ciphertext_lengths_fall_into_few_buckets() {
        let key = ReportKey::generate();
        let mut lengths: Vec<usize> = (1..=4096)
            .map(|n| seal(&key, &["r", "m"], "x".repeat(n).as_bytes()).len())
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        println!(
            "messages of 1..=4096 bytes fall into {} ciphertext lengths: {lengths:?}",
            lengths.len()
        );
        assert!(lengths.len() <= 8, "{lengths:?}");
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let key = ReportKey::generate();
        let sealed = seal(&key, &["r", "m"], b"");
        assert!(open(&key, &["r", "m"], &sealed).expect("opens").is_empty());
    }
}
