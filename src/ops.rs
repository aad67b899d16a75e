//! Operators' tasks behind the `minhbach` command: staff accounts, key re-grants, the ledger audit and
//! organisation imports. Each change and its ledger entry share one transaction.

use std::path::Path;

use zeroize::Zeroizing;

use crate::config::ServerSecret;
use crate::crypto::{self, KdfParams, PrivateKey};
use crate::domain::org::Organisation;
use crate::domain::staff::{check_password, Role, Username};
use crate::store::{self, grants, ledger, users, Db};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Invalid(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error("the ledger is broken at entry #{seq}: {reason}")]
    LedgerBroken { seq: i64, reason: &'static str },
    #[error(
        "the ledger verifies, but the deadline clocks of {reports} report(s) do not match it (first: {first}); \
         queues and on-time figures would be wrong"
    )]
    ClockMismatch { reports: usize, first: String },
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
}

/// The key that seals TOTP secrets at rest, derived from the server secret.
fn totp_key(secret: &ServerSecret) -> Zeroizing<[u8; 32]> {
    crypto::subkey(&secret.0, "totp secrets v1")
}

/// Opens a user's stored TOTP secret.
pub fn open_totp_secret(secret: &ServerSecret, user: &users::User) -> Option<Zeroizing<Vec<u8>>> {
    crypto::open_with(&totp_key(secret), &[&user.id, "totp"], &user.totp_secret).ok()
}

/// A new staff account and the URI its owner enrols in an authenticator app.
pub struct UserAdded {
    pub id: String,
    pub otpauth_uri: String,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: &'a str,
    pub team: Option<&'a str>,
    pub home_unit: Option<&'a str>,
    pub password: &'a str,
}

/// Creates a staff account: password hash, X25519 key pair sealed under the password, TOTP secret.
/// Without a team, inspectors, supervisors and officers join the organisation's default team.
pub async fn user_add(db: &Db, secret: &ServerSecret, new: NewUser<'_>) -> Result<UserAdded, OpsError> {
    user_add_by(db, secret, new, "operator").await
}

/// [`user_add`] on behalf of `actor` (an admin's user id, or `"operator"` for the command line), as the
/// ledger records it.
pub async fn user_add_by(db: &Db, secret: &ServerSecret, new: NewUser<'_>, actor: &str) -> Result<UserAdded, OpsError> {
    let username = Username::parse(new.username).map_err(|e| OpsError::Invalid(e.into()))?;
    let role = Role::parse(new.role).ok_or_else(|| OpsError::Invalid(format!("unknown role {:?}", new.role)))?;
    check_password(new.password).map_err(|e| OpsError::Invalid(e.into()))?;
    let pool = db.pool();
    if users::find_by_username(pool, username.as_str()).await?.is_some() {
        return Err(OpsError::UserExists(username.as_str().to_owned()));
    }
    let teams = store::org::list_teams(pool).await?;
    let team = match (new.team, role) {
        (Some(id), _) if teams.iter().any(|t| t.id == id) => Some(id.to_owned()),
        (Some(id), _) => return Err(OpsError::Invalid(format!("unknown team {id:?}"))),
        (None, Role::Admin) => None,
        (None, _) => teams.iter().find(|t| t.default).map(|t| t.id.clone()),
    };
    let units = store::units::list_units(pool).await?;
    if let Some(unit) = new.home_unit.filter(|u| !units.iter().any(|x| x.id == *u)) {
        return Err(OpsError::Invalid(format!("unknown unit {unit:?}")));
    }
    let id = crypto::random_id();
    let (private, public) = crypto::generate_keypair();
    let (password, user_id) = (new.password.to_owned(), id.clone());
    let (sealed, hash) = tokio::task::spawn_blocking(move || {
        let sealed = crypto::seal_private_key(&private, &password, &user_id, KdfParams::default());
        (sealed, crypto::hash_password(&password))
    })
    .await
    .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let (sealed, hash) = match (sealed, hash) {
        (Ok(s), Ok(h)) => (s, h),
        _ => return Err(OpsError::Invalid("key derivation failed".into())),
    };
    let totp = crypto::new_totp_secret();
    let user = users::User {
        id: id.clone(),
        username: username.as_str().to_owned(),
        role,
        team_id: team,
        home_unit_id: new.home_unit.map(str::to_owned),
        password_hash: hash,
        public_key: public,
        sealed_private_key: sealed,
        totp_secret: crypto::seal_with(&totp_key(secret), &[&id, "totp"], &totp),
        active: true,
    };
    let now = store::now_millis();
    let mut tx = pool.begin().await?;
    users::insert_user(&mut tx, &user, now).await?;
    let detail = serde_json::json!({ "user": id, "role": role.as_str(), "team": user.team_id }).to_string();
    ledger::append(&mut tx, now, "user_added", None, actor, &detail).await?;
    tx.commit().await?;
    let otpauth_uri = crypto::enrolment_uri(&totp, username.as_str())
        .ok_or_else(|| OpsError::Invalid("could not build the enrolment URI".into()))?;
    Ok(UserAdded { id, otpauth_uri })
}

async fn user_named(db: &Db, username: &str) -> Result<users::User, OpsError> {
    users::find_by_username(db.pool(), username.trim())
        .await?
        .ok_or_else(|| OpsError::NoSuchUser(username.to_owned()))
}

/// Disables an account: it can no longer sign in, and no new case is routed to it.
pub async fn user_disable(db: &Db, username: &str) -> Result<(), OpsError> {
    user_disable_by(db, username, "operator").await
}

/// [`user_disable`] on behalf of `actor`. The last active admin cannot be disabled.
pub async fn user_disable_by(db: &Db, username: &str, actor: &str) -> Result<(), OpsError> {
    let user = user_named(db, username).await?;
    if user.role == Role::Admin && user.active && users::count_admins(db.pool()).await? <= 1 {
        return Err(OpsError::Invalid("the last active admin cannot be disabled".into()));
    }
    let now = store::now_millis();
    let mut tx = db.pool().begin().await?;
    users::set_active(&mut tx, &user.id, false).await?;
    // The account's copies of report keys go: the supervisors and the recovery key still hold theirs.
    grants::delete_all_of(&mut tx, &user.id).await?;
    ledger::append(
        &mut tx,
        now,
        "user_disabled",
        None,
        actor,
        &serde_json::json!({ "user": user.id }).to_string(),
    )
    .await?;
    tx.commit().await?;
    store::sessions::revoke_all_of(db.pool(), &user.id).await?;
    Ok(())
}

/// Sets a new password. The old private key died with the old password, so the user gets a new key pair
/// and loses their grants until `keys regrant` restores them from the recovery key.
pub async fn user_reset_password(db: &Db, username: &str, password: &str) -> Result<(), OpsError> {
    check_password(password).map_err(|e| OpsError::Invalid(e.into()))?;
    let user = user_named(db, username).await?;
    let (private, public) = crypto::generate_keypair();
    let (password, user_id) = (password.to_owned(), user.id.clone());
    let (sealed, hash) = tokio::task::spawn_blocking(move || {
        (
            crypto::seal_private_key(&private, &password, &user_id, KdfParams::default()),
            crypto::hash_password(&password),
        )
    })
    .await
    .map_err(|e| OpsError::Invalid(e.to_string()))?;
    let (Ok(sealed), Ok(hash)) = (sealed, hash) else {
        return Err(OpsError::Invalid("key derivation failed".into()));
    };
    let now = store::now_millis();
    let mut tx = db.pool().begin().await?;
    users::replace_credentials(&mut tx, &user.id, &hash, &public, &sealed).await?;
    let detail = serde_json::json!({ "user": user.id }).to_string();
    ledger::append(&mut tx, now, "password_reset", None, "operator", &detail).await?;
    tx.commit().await?;
    // Sessions opened with the old password carry the old private key: end them.
    store::sessions::revoke_all_of(db.pool(), &user.id).await?;
    Ok(())
}

/// Reads a recovery key file (64 hex digits).
pub fn read_recovery_key(path: &Path) -> Result<PrivateKey, OpsError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| OpsError::Invalid(format!("{}: {e}", path.display())))?,
    );
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes)
        .map_err(|_| OpsError::Invalid(format!("{}: not a recovery key (64 hex digits)", path.display())))?;
    Ok(PrivateKey::from_bytes(bytes))
}

/// Re-grants every report a user should hold (assigned to them, or in the team they supervise) from the
/// recovery key's grants. Returns how many reports were granted.
pub async fn keys_regrant(db: &Db, recovery: &PrivateKey, username: &str) -> Result<usize, OpsError> {
    let user = user_named(db, username).await?;
    if !user.active {
        return Err(OpsError::Invalid(format!(
            "{username:?} is disabled: enable or replace the account first"
        )));
    }
    let pool = db.pool();
    let expected = grants::recovery_public_key(pool).await?;
    if expected
        != Some(
            recovery
                .public_key()
                .map_err(|_| OpsError::Invalid("not a valid key".into()))?,
        )
    {
        return Err(OpsError::Invalid("this is not the organisation's recovery key".into()));
    }
    let reports = grants::reports_for_user(pool, &user.id).await?;
    let mut tx = pool.begin().await?;
    let mut granted = 0;
    for report_id in &reports {
        let Some(recovery_grant) = grants::find_grant(pool, report_id, grants::RECOVERY).await? else {
            continue;
        };
        let key = crypto::open_grant(&recovery_grant, recovery, report_id, grants::RECOVERY)
            .map_err(|_| OpsError::Invalid(format!("report {report_id}: the recovery grant does not open")))?;
        let grant = crypto::grant(&key, &user.public_key, report_id, &user.id)
            .map_err(|_| OpsError::Invalid("the user's public key is invalid".into()))?;
        grants::insert_grant(&mut tx, report_id, &user.id, &grant).await?;
        granted += 1;
    }
    let detail = serde_json::json!({ "user": user.id, "reports": granted }).to_string();
    ledger::append(
        &mut tx,
        store::now_millis(),
        "keys_regranted",
        None,
        "operator",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(granted)
}

/// Recomputes the whole ledger chain. Returns the number of entries checked.
pub async fn audit_verify(db: &Db) -> Result<usize, OpsError> {
    let entries = ledger::list_all(db.pool()).await?;
    let (count, hash) = ledger::head(db.pool()).await?;
    let checked = ledger::verify(&entries, count, &hash).map_err(|b| OpsError::LedgerBroken {
        seq: b.seq,
        reason: b.reason,
    })?;
    // The deadlines of queues and on-time figures read each report's clock column: it must be what the
    // (verified) ledger says.
    let differing = ledger::check_clocks(db.pool(), &entries, false).await?;
    if let Some(first) = differing.first() {
        return Err(OpsError::ClockMismatch {
            reports: differing.len(),
            first: first.clone(),
        });
    }
    Ok(checked)
}

/// Imports (inserts or updates) an organisation file.
pub async fn org_import(db: &Db, path: &Path) -> Result<store::org::Imported, OpsError> {
    let text = std::fs::read_to_string(path).map_err(|e| OpsError::Invalid(format!("{}: {e}", path.display())))?;
    let org = Organisation::parse(&text).map_err(|e| OpsError::Invalid(e.to_string()))?;
    let imported = store::org::import(db.pool(), &org, "operator").await?;
    Ok(imported)
}
