//! Staff sign-in and sessions.
//!
//! Sign-in takes a password (Argon2id) and a TOTP code (RFC 6238, each step accepted once). An unknown user
//! costs the same password check as a known one and gets the same answer. Attempts are throttled per account
//! and overall, never by address. The session is a private cookie (AES-256-GCM under the server secret;
//! SameSite=Strict, HttpOnly) carrying the user's unsealed private key and a CSRF token, plus a session row
//! for idle expiry (30 minutes unless the deployment sets another time) and revocation.

use std::num::NonZeroU32;
use std::sync::OnceLock;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::State;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::reporting::KdfGate;
use crate::config::{ServerSecret, Settings};
use crate::crypto::{self, KdfParams, PrivateKey};
use crate::store::{self, sessions, users, Db};

pub const COOKIE: &str = "mb_session";

/// Sign-in throttles: per account, and for the whole server.
pub struct SignInLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    global: DefaultDirectRateLimiter,
}

impl SignInLimits {
    pub fn new() -> Self {
        // Computed now, so that the first unknown username costs what every later one does.
        let _ = decoy_hash();
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let sixty = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        Self {
            // 5 attempts at once, then one every 12 seconds, per username.
            per_account: RateLimiter::keyed(Quota::per_minute(five).allow_burst(five)),
            // 60 attempts at once, then 20 a second for everyone together.
            global: RateLimiter::direct(
                Quota::per_second(NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN)).allow_burst(sixty),
            ),
        }
    }

    fn allow(&self, username: &str) -> bool {
        // Forget accounts whose bucket is full again, so guessed usernames do not pile up in memory.
        if self.per_account.len() > 10_000 {
            self.per_account.retain_recent();
        }
        self.global.check().is_ok() && self.per_account.check_key(&username.to_owned()).is_ok()
    }
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// What the private cookie carries. The private key's hex is wiped when the value is dropped.
#[derive(Serialize, Deserialize, zeroize::ZeroizeOnDrop)]
struct CookieData {
    sid: String,
    uid: String,
    key: String,
    csrf: String,
}

/// A signed-in staff member: the user, their private key and the session's CSRF token.
pub struct Staff {
    pub user: users::User,
    pub session_id: String,
    pub private_key: PrivateKey,
    pub csrf: String,
    /// After how many idle minutes (rounded up) the session ends, for the pages to say.
    pub idle_minutes: i64,
}

impl Staff {
    /// Checks a submitted CSRF token against the session's, in constant time.
    pub fn csrf_matches(&self, submitted: Option<&str>) -> bool {
        submitted.is_some_and(|s| subtle::ConstantTimeEq::ct_eq(s.as_bytes(), self.csrf.as_bytes()).into())
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Staff {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(cookie) = req.cookies().get_private(COOKIE) else {
            return Outcome::Forward(Status::Unauthorized);
        };
        let Ok(data) = serde_json::from_str::<CookieData>(cookie.value()) else {
            return Outcome::Forward(Status::Unauthorized);
        };
        let Some(db) = req.rocket().state::<Db>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let idle = req.rocket().state::<Settings>().map_or_else(
            || Settings::default().session_idle_millis(),
            Settings::session_idle_millis,
        );
        let now = store::now_millis();
        match sessions::touch(db.pool(), &data.sid, &data.uid, now, idle).await {
            Ok(true) => {}
            Ok(false) => {
                req.cookies().remove_private(COOKIE);
                return Outcome::Forward(Status::Unauthorized);
            }
            Err(_) => return Outcome::Error((Status::ServiceUnavailable, ())),
        }
        let user = match users::find_by_id(db.pool(), &data.uid).await {
            Ok(Some(user)) => user,
            Ok(None) => return Outcome::Forward(Status::Unauthorized),
            Err(_) => return Outcome::Error((Status::ServiceUnavailable, ())),
        };
        let mut key = Zeroizing::new([0u8; 32]);
        if hex::decode_to_slice(&data.key, key.as_mut()).is_err() {
            return Outcome::Forward(Status::Unauthorized);
        }
        Outcome::Success(Staff {
            user,
            session_id: data.sid.clone(),
            private_key: PrivateKey::from_bytes(*key),
            csrf: data.csrf.clone(),
            idle_minutes: (idle + 59_999) / 60_000,
        })
    }
}

/// Why a sign-in failed. Wrong username, password and code are one answer.
#[derive(Debug)]
pub enum SignInError {
    Rejected,
    Throttled,
    Storage(sqlx::Error),
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        SignInError::Storage(e)
    }
}

/// A hash of a random password, checked when the username is unknown so that it costs the same.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| crypto::hash_password(&crypto::random_id()).unwrap_or_default())
}

pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub totp: &'a str,
}

/// Checks the credentials and opens a session (row and cookie).
pub async fn sign_in(
    db: &Db,
    gate: &KdfGate,
    limits: &State<SignInLimits>,
    secret: &ServerSecret,
    cookies: &CookieJar<'_>,
    credentials: Credentials<'_>,
) -> Result<(), SignInError> {
    let username = credentials.username.trim().to_lowercase();
    if !limits.allow(&username) {
        return Err(SignInError::Throttled);
    }
    let user = users::find_by_username(db.pool(), &username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = Zeroizing::new(credentials.password.to_owned());
    let check = password.clone();
    let password_ok = gate.run(move || crypto::verify_password(&hash, &check)).await;
    let Some(user) = user.filter(|u| password_ok && u.active) else {
        return Err(SignInError::Rejected);
    };
    let totp_secret = crate::ops::open_totp_secret(secret, &user).ok_or(SignInError::Rejected)?;
    let now = store::now_millis();
    let step =
        crypto::matching_step(&totp_secret, credentials.totp, (now / 1000) as u64).ok_or(SignInError::Rejected)?;
    if !users::accept_totp_step(db.pool(), &user.id, step as i64).await? {
        return Err(SignInError::Rejected);
    }
    let (sealed, id) = (user.sealed_private_key.clone(), user.id.clone());
    let private = gate
        .run(move || crypto::open_private_key(&sealed, &password, &id, KdfParams::default()))
        .await
        .map_err(|_| SignInError::Rejected)?;
    let session_id = crypto::random_id();
    sessions::insert_session(db.pool(), &session_id, &user.id, now).await?;
    let data = CookieData {
        sid: session_id,
        uid: user.id,
        key: hex::encode(private.as_bytes()),
        csrf: hex::encode(crypto::random_bytes::<32>()),
    };
    let value = Zeroizing::new(serde_json::to_string(&data).unwrap_or_default());
    // Rocket gives private cookies a week unless told otherwise; the session row allows 10 hours at most
    // (and 30 minutes idle), so the cookie lasts no longer.
    let cookie = Cookie::build((COOKIE, value.to_string()))
        .path("/")
        .same_site(SameSite::Strict)
        .http_only(true)
        .max_age(rocket::time::Duration::milliseconds(sessions::LIFETIME_MILLIS));
    cookies.add_private(cookie);
    Ok(())
}

/// Ends the session: the row is revoked and the cookie removed.
pub async fn sign_out(db: &Db, staff: &Staff, cookies: &CookieJar<'_>) -> Result<(), sqlx::Error> {
    sessions::revoke(db.pool(), &staff.session_id).await?;
    cookies.remove_private(COOKIE);
    Ok(())
}
