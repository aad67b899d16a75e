//! Staff keys: every staff user (and the organisation's recovery key) has an X25519 key pair. Report keys
//! are wrapped for each holder with HPKE (RFC 9180, base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM; the `hpke` crate). A user's private key is sealed under Argon2id(password), so nothing on the
//! server's disk opens it; it is unsealed at sign-in and lives only in the session.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::envelope::{associated_data, open_with, seal_with, CryptoError, ReportKey};
use super::wrap::{key_encryption_key, KdfParams};

type Suite = X25519HkdfSha256;
const INFO: &[u8] = b"minhbach report key grant v1";

fn rng() -> rand_core_09::UnwrapErr<rand_core_09::OsRng> {
    rand_core_09::UnwrapErr(rand_core_09::OsRng)
}

/// A public key to wrap report keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

/// A private key. Zeroized on drop; never stored in clear except as the recovery key file the admin keeps
/// offline.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PrivateKey([u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PrivateKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The public key that goes with this private key.
    pub fn public_key(&self) -> Result<PublicKey, CryptoError> {
        let private = <Suite as Kem>::PrivateKey::from_bytes(&self.0).map_err(|_| CryptoError::Open)?;
        Ok(PublicKey(<Suite as Kem>::sk_to_pk(&private).to_bytes().into()))
    }
}

/// A fresh key pair from the OS RNG.
pub fn generate_keypair() -> (PrivateKey, PublicKey) {
    let (private, public) = <Suite as Kem>::gen_keypair(&mut rng());
    (
        PrivateKey(private.to_bytes().into()),
        PublicKey(public.to_bytes().into()),
    )
}

/// A report key wrapped for one holder: HPKE's encapsulated key and the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub encapped: Vec<u8>,
    pub sealed: Vec<u8>,
}

/// Wraps `key` for the holder of `to`, bound to the report and the holder's id.
pub fn grant(key: &ReportKey, to: &PublicKey, report_id: &str, holder: &str) -> Result<Grant, CryptoError> {
    let public = <Suite as Kem>::PublicKey::from_bytes(&to.0).map_err(|_| CryptoError::Open)?;
    let aad = associated_data(&[report_id, holder]);
    let (encapped, sealed) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, Suite, _>(
        &OpModeS::Base,
        &public,
        INFO,
        key.as_bytes(),
        &aad,
        &mut rng(),
    )
    .map_err(|_| CryptoError::Open)?;
    Ok(Grant {
        encapped: encapped.to_bytes().to_vec(),
        sealed,
    })
}

/// Opens a grant with the holder's private key.
pub fn open_grant(grant: &Grant, with: &PrivateKey, report_id: &str, holder: &str) -> Result<ReportKey, CryptoError> {
    let private = <Suite as Kem>::PrivateKey::from_bytes(&with.0).map_err(|_| CryptoError::Open)?;
    let encapped = <Suite as Kem>::EncappedKey::from_bytes(&grant.encapped).map_err(|_| CryptoError::Open)?;
    let aad = associated_data(&[report_id, holder]);
    let plain = Zeroizing::new(
        hpke::single_shot_open::<AesGcm256, HkdfSha256, Suite>(
            &OpModeR::Base,
            &private,
            &encapped,
            INFO,
            &grant.sealed,
            &aad,
        )
        .map_err(|_| CryptoError::Open)?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| CryptoError::Open)?;
    Ok(ReportKey::from_bytes(bytes))
}

/// A private key sealed under Argon2id(password) with its own salt.
#[derive(Debug, Clone)]
pub struct SealedPrivateKey {
    pub salt: [u8; 16],
    pub sealed: Vec<u8>,
}

/// Seals a user's private key under their password.
pub fn seal_private_key(
    key: &PrivateKey,
    password: &str,
    user_id: &str,
    params: KdfParams,
) -> Result<SealedPrivateKey, CryptoError> {
    let salt = super::random_bytes::<16>();
    let kek = key_encryption_key(password.as_bytes(), &salt, params)?;
    Ok(SealedPrivateKey {
        salt,
        sealed: seal_with(&kek, &[user_id, "staff private key"], &key.0),
    })
}

/// Unseals a user's private key with their password.
pub fn open_private_key(
    sealed: &SealedPrivateKey,
    password: &str,
    user_id: &str,
    params: KdfParams,
) -> Result<PrivateKey, CryptoError> {
    let kek = key_encryption_key(password.as_bytes(), &sealed.salt, params)?;
    let bytes = open_with(&kek, &[user_id, "staff private key"], &sealed.sealed)?;
    let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::Open)?;
    Ok(PrivateKey(array))
}

/// Hashes a password for verification at sign-in: Argon2id in the PHC string format (`$argon2id$v=19$…`).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>()).map_err(|_| CryptoError::Kdf)?;
    let params = KdfParams::default();
    let argon = Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|_| CryptoError::Kdf)?,
    );
    Ok(argon
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| CryptoError::Kdf)?
        .to_string())
}

/// Checks a password against its PHC hash, in constant time (the `argon2` crate compares the outputs so).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
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
    fn a_grant_opens_only_for_its_holder_report_and_id() {
        let (private, public) = generate_keypair();
        let (other, _) = generate_keypair();
        let key = ReportKey::generate();
        let grant = grant(&key, &public, "r1", "u1").expect("grants");
        assert_eq!(
            open_grant(&grant, &private, "r1", "u1").expect("opens").as_bytes(),
            key.as_bytes()
        );
        assert!(open_grant(&grant, &other, "r1", "u1").is_err());
        assert!(open_grant(&grant, &private, "r2", "u1").is_err());
        assert!(open_grant(&grant, &private, "r1", "u2").is_err());
    }

    #[test]
    fn a_private_key_opens_with_its_password_only() {
        let (private, public) = generate_keypair();
        let sealed = seal_private_key(&private, "correct horse", "u1", CHEAP).expect("seals");
        let opened = open_private_key(&sealed, "correct horse", "u1", CHEAP).expect("opens");
        assert_eq!(opened.public_key().expect("valid"), public);
        assert!(open_private_key(&sealed, "wrong horse", "u1", CHEAP).is_err());
        assert!(open_private_key(&sealed, "correct horse", "u2", CHEAP).is_err());
    }

    #[test]
    fn password_hashes_are_argon2id_phc_strings_that_verify() {
        let hash = hash_password("mật khẩu dài").expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(&hash, "mật khẩu dài"));
        assert!(!verify_password(&hash, "mật khẩu sai"));
        assert!(!verify_password("not a hash", "x"));
    }
}
