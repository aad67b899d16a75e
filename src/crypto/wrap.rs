//! Wrapping the report key under the reporter's retrieval code.
//!
//! Argon2id (RFC 9106) stretches the code's wrapping secret with a per-report random salt into a
//! key-encryption key; AES-256-GCM wraps the report key under it, bound to the report id. The parameters
//! are stored with each report so they can be raised later without breaking old reports.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::envelope::{open_with, seal_with, CryptoError, ReportKey};

/// Argon2id cost. The default follows OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl std::fmt::Display for KdfParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Argon2id m={} KiB, t={}, p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

/// A report key wrapped under a code: what the database stores.
#[derive(Debug, Clone)]
pub struct WrappedKey {
    pub salt: [u8; 16],
    pub params: KdfParams,
    pub sealed: Vec<u8>,
}

/// Argon2id of a secret (a code's wrapping secret, a staff password) into a 256-bit key-encryption key.
pub(crate) fn key_encryption_key(
    secret: &[u8],
    salt: &[u8; 16],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let params = Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32))
        .map_err(|_| CryptoError::Kdf)?;
    let mut kek = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, kek.as_mut())
        .map_err(|_| CryptoError::Kdf)?;
    Ok(kek)
}

/// Wraps `key` for the holder of the code whose wrapping secret is `secret`. Costs one Argon2id run.
pub fn wrap_report_key(
    key: &ReportKey,
    secret: &[u8; 32],
    report_id: &str,
    params: KdfParams,
) -> Result<WrappedKey, CryptoError> {
    let salt = super::random_bytes::<16>();
    let kek = key_encryption_key(secret, &salt, params)?;
    let sealed = seal_with(&kek, &[report_id, "report-key"], key.as_bytes());
    Ok(WrappedKey { salt, params, sealed })
}

/// Unwraps a report key. Costs one Argon2id run whether or not it succeeds.
pub fn unwrap_report_key(wrapped: &WrappedKey, secret: &[u8; 32], report_id: &str) -> Result<ReportKey, CryptoError> {
    let kek = key_encryption_key(secret, &wrapped.salt, wrapped.params)?;
    let bytes = open_with(&kek, &[report_id, "report-key"], &wrapped.sealed)?;
    let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::Open)?;
    Ok(ReportKey::from_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn a_wrapped_key_unwraps_with_the_same_secret_and_report() {
        let key = ReportKey::generate();
        let wrapped = wrap_report_key(&key, &[7; 32], "r1", CHEAP).expect("wraps");
        let unwrapped = unwrap_report_key(&wrapped, &[7; 32], "r1").expect("unwraps");
        assert_eq!(unwrapped.as_bytes(), key.as_bytes());
    }

    #[test]
    fn a_wrong_secret_or_report_does_not_unwrap() {
        let wrapped = wrap_report_key(&ReportKey::generate(), &[7; 32], "r1", CHEAP).expect("wraps");
        assert!(unwrap_report_key(&wrapped, &[8; 32], "r1").is_err());
        assert!(unwrap_report_key(&wrapped, &[7; 32], "r2").is_err());
    }

    #[test]
    fn each_wrap_uses_a_fresh_salt() {
        let key = ReportKey::generate();
        let a = wrap_report_key(&key, &[7; 32], "r1", CHEAP).expect("wraps");
        let b = wrap_report_key(&key, &[7; 32], "r1", CHEAP).expect("wraps");
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.sealed, b.sealed);
    }
}
