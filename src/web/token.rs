//! The reporter's reply token: lets the status page carry a reply form without a cookie and without
//! putting the retrieval code in the page or a URL. It is the code and an expiry, sealed (AES-256-GCM)
//! under a key derived from the server secret, and it expires after 30 minutes.

use zeroize::Zeroizing;

use crate::config::ServerSecret;
use crate::crypto::{open_with, seal_with, RetrievalCode};

/// How long a status page's reply form stays usable.
pub const TOKEN_LIFETIME_MILLIS: i64 = 30 * 60 * 1000;
const PURPOSE: &str = "reporter reply token v1";

pub struct TokenKey(Zeroizing<[u8; 32]>);

impl TokenKey {
    pub fn derive(secret: &ServerSecret) -> Self {
        Self(crate::crypto::subkey(&secret.0, PURPOSE))
    }

    /// A token for `code`, valid until `now + TOKEN_LIFETIME_MILLIS`.
    pub fn issue(&self, code: &RetrievalCode, now: i64) -> String {
        let plain = Zeroizing::new(format!("{}.{}", code.compact(), now + TOKEN_LIFETIME_MILLIS));
        hex::encode(seal_with(&self.0, &[PURPOSE], plain.as_bytes()))
    }

    /// The code a token carries, if it is genuine and not expired.
    pub fn redeem(&self, token: &str, now: i64) -> Option<RetrievalCode> {
        let sealed = hex::decode(token.trim()).ok()?;
        let plain = open_with(&self.0, &[PURPOSE], &sealed).ok()?;
        let text = std::str::from_utf8(&plain).ok()?;
        let (code, expiry) = text.split_once('.')?;
        (expiry.parse::<i64>().ok()? > now)
            .then(|| RetrievalCode::parse(code))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::derive(&ServerSecret(Zeroizing::new([9; 32])))
    }

    #[test]
    fn a_token_gives_back_its_code_until_it_expires() {
        let code = RetrievalCode::generate();
        let token = key().issue(&code, 1_000);
        assert!(!token.contains(code.compact()));
        assert_eq!(key().redeem(&token, 1_001), Some(code.clone()));
        assert_eq!(key().redeem(&token, 1_000 + TOKEN_LIFETIME_MILLIS), None);
    }

    #[test]
    fn a_forged_or_foreign_token_is_refused() {
        let token = key().issue(&RetrievalCode::generate(), 0);
        let other = TokenKey::derive(&ServerSecret(Zeroizing::new([8; 32])));
        assert_eq!(other.redeem(&token, 1), None);
        assert_eq!(key().redeem("zz", 1), None);
        assert_eq!(key().redeem(&token[..token.len() - 2], 1), None);
    }
}
