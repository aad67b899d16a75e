//! Getting in: staff sign-in with its throttles, and the first admin's one-time setup code. Both keep their
//! state in the database, so that every instance on one database throttles and accepts as one (issue 14).

use zeroize::Zeroizing;

use crate::config::ServerSecret;
use crate::crypto::{self, aad, KdfParams, RetrievalCode};
use crate::domain::ids::SessionId;
use crate::store::{self, users, Db};

use super::accounts::open_totp_secret;
use super::{Actor, Clock, Error, KdfGate, Result};

/// A GCRA bucket: `burst` attempts at once, then one every `interval_ms`.
struct Quota {
    interval_ms: i64,
    burst: i64,
}

/// 5 attempts at once, then one every 12 seconds, per username.
const PER_ACCOUNT: Quota = Quota {
    interval_ms: 12_000,
    burst: 5,
};

/// 60 attempts at once, then 20 a second, for the whole deployment (every instance together).
const GLOBAL: Quota = Quota {
    interval_ms: 50,
    burst: 60,
};

/// The bucket every attempt draws on.
const GLOBAL_BUCKET: &str = "all";

/// Sign-in throttles, per account and for the whole deployment, kept in the database (`sign_in_throttle`),
/// and the decoy hash an unknown username is checked against so that it costs what a known one does.
pub struct SignInLimits {
    /// Keys the per-account buckets: the table holds a key derived from each username, never the username.
    bucket_key: Zeroizing<[u8; 32]>,
    decoy: String,
}

impl SignInLimits {
    /// Fails if the decoy hash cannot be computed: without it an unknown username would answer faster than
    /// a known one, and the server must not start that way.
    pub fn new(secret: &ServerSecret) -> Result<Self> {
        // On a thread of its own, which ends with it: the allocator hands the derivation's 19 MiB back to
        // the system with the thread, instead of keeping them in the starting thread's heap for good.
        let decoy = std::thread::scope(|s| s.spawn(|| crypto::hash_password(&crypto::random_id())).join())
            .map_err(|_| Error::Internal("sign-in decoy hash"))?
            .map_err(|_| Error::Internal("sign-in decoy hash"))?;
        Ok(Self {
            bucket_key: crypto::subkey(&secret.0, "sign-in throttle buckets v1"),
            decoy,
        })
    }

    /// The account's bucket: a key derived from the username under the buckets' key (HKDF, a PRF of it), so
    /// the table never holds the username.
    fn account_bucket(&self, username: &str) -> String {
        hex::encode(crypto::subkey(&self.bucket_key, username).as_ref())
    }

    /// Spends an attempt from the deployment's bucket and then from the account's; whether both had one.
    async fn allow(&self, db: &Db, username: &str, now: i64) -> Result<bool> {
        let pool = db.pool();
        let take = |bucket: String, q: &Quota| {
            let (interval, burst) = (q.interval_ms, q.burst);
            async move { store::sign_in::take(pool, &bucket, now, interval, burst).await }
        };
        Ok(take(GLOBAL_BUCKET.to_owned(), &GLOBAL).await? && take(self.account_bucket(username), &PER_ACCOUNT).await?)
    }
}

/// Deletes the throttle buckets that are full again (the background task's step): guessed usernames do
/// not pile up in the table.
pub async fn forget_full_buckets(db: &Db, clock: Clock) -> Result<u64> {
    Ok(store::sign_in::forget_full(db.pool(), clock.millis()).await?)
}

pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub totp: &'a str,
}

/// A new session: who signed in (with the private key their password unsealed) and the session row's id.
pub struct SignedIn {
    pub actor: Actor,
    pub session_id: SessionId,
}

/// Checks the TOTP code (RFC 6238, each step accepted once) and the password (Argon2id), and opens a
/// session row. An unknown user costs the same password check as a known one and gets the same answer
/// ([`Error::Rejected`]); attempts are throttled per account and overall, never by address.
///
/// The one-time code comes first, and it is the key to the throttles (issue 11, D6): an attempt carrying a
/// code of a step not yet used (the current one or the previous) passes them and spends that step,
/// whatever the password. A flood of sign-ins made without the member's authenticator, however large and
/// for whatever usernames, empties the buckets only for attempts like its own, so the member with the right
/// password and code still gets in; a code seen over a shoulder buys one password guess.
pub async fn sign_in(
    db: &Db,
    gate: &KdfGate,
    limits: &SignInLimits,
    secret: &ServerSecret,
    credentials: Credentials<'_>,
    clock: Clock,
) -> Result<SignedIn> {
    let username = credentials.username.trim().to_lowercase();
    let now = clock.millis();
    let user = users::find_by_username(db.pool(), &username).await?;
    let step = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| Some((u, open_totp_secret(secret, u)?)))
        .and_then(|(u, totp)| Some((u, crypto::matching_step(&totp, credentials.totp, (now / 1000) as u64)?)));
    // Spent at once (atomically: of two attempts with one code, one has it), so it is tried once.
    let fresh_code = match step {
        Some((u, step)) => users::accept_totp_step(db.pool(), &u.id, step as i64).await?,
        None => false,
    };
    if !fresh_code && !limits.allow(db, &username, now).await? {
        return Err(Error::Throttled);
    }
    let hash = user
        .as_ref()
        .map_or_else(|| limits.decoy.clone(), |u| u.password_hash.clone());
    let password = Zeroizing::new(credentials.password.to_owned());
    let check = password.clone();
    let password_ok = gate.staff(move || crypto::verify_password(&hash, &check)).await;
    let Some(user) = user.filter(|u| password_ok && fresh_code && u.active) else {
        return Err(Error::Rejected);
    };
    let (sealed, id) = (user.sealed_private_key.clone(), user.id.clone());
    let private_key = gate
        .staff(move || crypto::open_private_key(&sealed, &password, &id, KdfParams::default()))
        .await
        .map_err(|_| Error::Rejected)?;
    let session_id = SessionId::new(crypto::random_id());
    store::sessions::insert_session(db.pool(), &session_id, &user.id, now).await?;
    let actor = Actor { user, private_key };
    // Commendation files this member can open go to officers who lack them (never on a page view). A
    // failure here must not keep anyone out: the next sign-in tries again.
    if let Err(e) = super::commendations::pass_on_keys(db, &actor).await {
        tracing::warn!(error = %e, "passing commendation files on at sign-in failed");
    }
    Ok(SignedIn { actor, session_id })
}

/// The one-time code that lets the first admin be created while none exists. It lives in the database
/// (`setup_code`), sealed under a subkey of the server secret: the first instance to start makes it, and
/// every instance sharing the secret prints the same code, which is accepted once. Never in a URL.
pub struct SetupCode {
    key: Zeroizing<[u8; 32]>,
    /// The code as it was when this instance started, for the start-up message.
    at_start: Option<String>,
}

impl SetupCode {
    /// The organisation's setup code, made now if it has no admin and no code yet.
    pub async fn for_database(db: &Db, secret: &ServerSecret, clock: Clock) -> Result<Self> {
        let key = crypto::subkey(&secret.0, "first admin setup code v1");
        let pool = db.pool();
        if users::count_admins(pool).await? > 0 {
            store::sign_in::clear_setup_code(pool).await?;
            return Ok(Self { key, at_start: None });
        }
        let mut code = Self { key, at_start: None };
        if code.stored(db).await?.is_none() {
            // A code sealed under another secret (the data dir's secret was replaced) can never be typed:
            // that one is deleted (and only that one: not a code another instance starting now just stored).
            if let Some(sealed) = store::sign_in::setup_code(pool).await? {
                if crypto::open_with(&code.key, &aad::setup_code(), &sealed).is_err() {
                    store::sign_in::take_setup_code(pool, &sealed).await?;
                }
            }
            let fresh = RetrievalCode::generate();
            store::sign_in::put_setup_code(pool, &code.seal(&fresh), clock.millis()).await?;
        }
        code.at_start = code.stored(db).await?.map(|(code, _)| code.grouped().to_string());
        Ok(code)
    }

    fn seal(&self, code: &RetrievalCode) -> Vec<u8> {
        crypto::seal_with(&self.key, &aad::setup_code(), code.compact().as_bytes())
    }

    /// The stored code, opened, with its sealed form; `None` if there is none or it does not open.
    async fn stored(&self, db: &Db) -> Result<Option<(RetrievalCode, Vec<u8>)>> {
        let Some(sealed) = store::sign_in::setup_code(db.pool()).await? else {
            return Ok(None);
        };
        let opened = crypto::open_with(&self.key, &aad::setup_code(), &sealed).ok();
        let code = opened.and_then(|plain| RetrievalCode::parse(std::str::from_utf8(&plain).ok()?));
        Ok(code.map(|code| (code, sealed)))
    }

    /// The code this instance found or made at start, for the operator who started it.
    pub fn current(&self) -> Option<String> {
        self.at_start.clone()
    }

    /// Puts the typed code back (the admin's form failed after the code was taken).
    pub async fn restore(&self, db: &Db, typed: &str, clock: Clock) -> Result<()> {
        if let Some(code) = RetrievalCode::parse(typed) {
            store::sign_in::put_setup_code(db.pool(), &self.seal(&code), clock.millis()).await?;
        }
        Ok(())
    }

    /// Whether setup is still open: a code exists and no admin does. An admin created meanwhile (with the
    /// command line, or through another instance) closes it for good.
    pub async fn is_open(&self, db: &Db) -> bool {
        // Read only: a GET of the setup page changes nothing (issue #11, D3).
        let has_admin = users::count_admins(db.pool()).await.map(|n| n > 0).unwrap_or(true);
        !has_admin && matches!(self.stored(db).await, Ok(Some(_)))
    }

    /// Takes the code if `typed` is it: of any number of attempts on any instances, one takes it.
    pub async fn take_if(&self, db: &Db, typed: &str) -> Result<bool> {
        let (Some((expected, sealed)), Some(typed)) = (self.stored(db).await?, RetrievalCode::parse(typed)) else {
            return Ok(false);
        };
        Ok(expected == typed && store::sign_in::take_setup_code(db.pool(), &sealed).await?)
    }
}
