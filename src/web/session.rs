//! Staff sessions on the web (the sign-in itself is `app::sign_in::sign_in`). The session is a private
//! cookie (AES-256-GCM under the server secret; SameSite=Strict, HttpOnly) carrying the user's unsealed private key and a CSRF token, plus a session row
//! for idle expiry (30 minutes unless the deployment sets another time) and revocation.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::app::accounts;
use crate::app::sign_in::{self, Credentials, SignInLimits};
use crate::app::{self, Actor, Clock, KdfGate};
use crate::config::{ServerSecret, Settings};
use crate::crypto::{self, PrivateKey};
use crate::domain::ids::{SessionId, UserId};
use crate::domain::staff::Role;
use crate::store::{sessions, Db};

pub const COOKIE: &str = "mb_session";

/// What the private cookie carries. The private key's hex is wiped when the value is dropped.
#[derive(Serialize, Deserialize, zeroize::ZeroizeOnDrop)]
struct CookieData {
    sid: String,
    uid: String,
    key: String,
    csrf: String,
}

/// A signed-in staff member: who acts (the user and their private key) and the session's CSRF token.
pub struct Staff {
    pub actor: Actor,
    pub session_id: SessionId,
    pub csrf: String,
    /// After how many idle minutes (rounded up) the session ends, for the pages to say.
    pub idle_minutes: i64,
}

impl std::ops::Deref for Staff {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
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
        let user = match accounts::session_user(
            db,
            &SessionId::new(data.sid.clone()),
            &UserId::new(data.uid.clone()),
            Clock::now(),
            idle,
        )
        .await
        {
            Ok(Some(user)) => user,
            Ok(None) => {
                req.cookies().remove_private(COOKIE);
                return Outcome::Forward(Status::Unauthorized);
            }
            Err(_) => return Outcome::Error((Status::ServiceUnavailable, ())),
        };
        let mut key = Zeroizing::new([0u8; 32]);
        if hex::decode_to_slice(&data.key, key.as_mut()).is_err() {
            return Outcome::Forward(Status::Unauthorized);
        }
        Outcome::Success(Staff {
            actor: Actor {
                user,
                private_key: PrivateKey::from_bytes(*key),
            },
            session_id: SessionId::new(data.sid.clone()),
            csrf: data.csrf.clone(),
            idle_minutes: (idle + 59_999) / 60_000,
        })
    }
}

/// Checks the credentials and opens a session (row and cookie).
/// Returns the role, for the page to go on to.
pub async fn sign_in(
    db: &Db,
    gate: &KdfGate,
    limits: &SignInLimits,
    secret: &ServerSecret,
    cookies: &CookieJar<'_>,
    credentials: Credentials<'_>,
) -> app::Result<Role> {
    let signed_in = sign_in::sign_in(db, gate, limits, secret, credentials, Clock::now()).await?;
    let user = &signed_in.actor.user;
    let data = CookieData {
        sid: signed_in.session_id.to_string(),
        uid: user.id.to_string(),
        key: hex::encode(signed_in.actor.private_key.as_bytes()),
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
    Ok(user.role)
}

/// Ends the session: the row is revoked and the cookie removed.
pub async fn sign_out(db: &Db, staff: &Staff, cookies: &CookieJar<'_>) -> app::Result<()> {
    accounts::sign_out(db, &staff.session_id).await?;
    cookies.remove_private(COOKIE);
    Ok(())
}
