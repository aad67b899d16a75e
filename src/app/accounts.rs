//! Staff accounts: creation (by an operator or an admin), disabling, password resets, key re-grants from
//! the recovery key, and sign-in. Each change and its ledger entry share one transaction.

use crate::domain::EntryKind;
use std::path::Path;

use zeroize::Zeroizing;

use crate::config::ServerSecret;
use crate::crypto::{self, aad, KdfParams, PrivateKey};
use crate::domain::ids::{SessionId, TeamId, UnitId, UserId};
use crate::domain::staff::{check_password, Role, StaffRefusal, Username};
use crate::store::{self, grants, ledger, users, Db};

use super::{Actor, Clock, Error, Result};

/// The key that seals TOTP secrets at rest, derived from the server secret.
fn totp_key(secret: &ServerSecret) -> Zeroizing<[u8; 32]> {
    crypto::subkey(&secret.0, "totp secrets v1")
}

/// Opens a user's stored TOTP secret.
pub fn open_totp_secret(secret: &ServerSecret, user: &users::User) -> Option<Zeroizing<Vec<u8>>> {
    crypto::open_with(&totp_key(secret), &aad::totp(&user.id), &user.totp_secret).ok()
}

/// A new staff account and the URI its owner enrols in an authenticator app.
pub struct UserAdded {
    pub id: UserId,
    pub otpauth_uri: String,
    /// The TOTP secret the URI carries, for an authenticator that is handed it directly (the demo's).
    pub totp_secret: Zeroizing<Vec<u8>>,
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
pub async fn user_add(db: &Db, secret: &ServerSecret, new: NewUser<'_>) -> Result<UserAdded> {
    user_add_by(db, secret, new, "operator").await
}

/// [`user_add`] on behalf of `actor` (an admin's user id, or `"operator"` for the command line), as the
/// ledger records it.
pub async fn user_add_by(db: &Db, secret: &ServerSecret, new: NewUser<'_>, actor: &str) -> Result<UserAdded> {
    let username = Username::parse(new.username)?;
    let role = Role::parse(new.role).ok_or_else(|| StaffRefusal::UnknownRole(new.role.to_owned()))?;
    check_password(new.password)?;
    let pool = db.pool();
    if users::find_by_username(pool, username.as_str()).await?.is_some() {
        return Err(StaffRefusal::UserExists(username.as_str().to_owned()).into());
    }
    let teams = store::org::list_teams(pool).await?;
    let team = match (new.team, role) {
        (Some(id), _) if teams.iter().any(|t| t.id == *id) => Some(TeamId::new(id)),
        (Some(id), _) => return Err(StaffRefusal::UnknownTeam(id.to_owned()).into()),
        (None, Role::Admin) => None,
        (None, _) => teams.iter().find(|t| t.default).map(|t| t.id.clone()),
    };
    let units = store::units::list_units(pool).await?;
    if let Some(unit) = new.home_unit.filter(|u| !units.iter().any(|x| x.id == *u)) {
        return Err(StaffRefusal::UnknownUnit(unit.to_owned()).into());
    }
    let id = crypto::random_id();
    let (private, public) = crypto::generate_keypair();
    let (password, user_id) = (new.password.to_owned(), id.clone());
    let (sealed, hash) = tokio::task::spawn_blocking(move || {
        let sealed = crypto::seal_private_key(&private, &password, &user_id, KdfParams::default());
        (sealed, crypto::hash_password(&password))
    })
    .await
    .map_err(|_| Error::Internal("key derivation"))?;
    let (sealed, hash) = match (sealed, hash) {
        (Ok(s), Ok(h)) => (s, h),
        _ => return Err(Error::Internal("key derivation")),
    };
    let totp = crypto::new_totp_secret();
    let user = users::User {
        id: UserId::new(id.clone()),
        username: username.as_str().to_owned(),
        role,
        team_id: team,
        home_unit_id: new.home_unit.map(UnitId::from),
        password_hash: hash,
        public_key: public,
        sealed_private_key: sealed,
        totp_secret: crypto::seal_with(&totp_key(secret), &aad::totp(&id), &totp),
        active: true,
    };
    let now = store::now_millis();
    let mut tx = pool.begin().await?;
    users::insert_user(&mut tx, &user, now).await?;
    let detail = serde_json::json!({ "user": id, "role": role.as_str(), "team": user.team_id }).to_string();
    ledger::append(&mut tx, now, EntryKind::UserAdded, None, actor, &detail).await?;
    tx.commit().await?;
    let otpauth_uri = crypto::enrolment_uri(&totp, username.as_str()).ok_or(Error::Internal("enrolment URI"))?;
    Ok(UserAdded {
        id: UserId::new(id),
        otpauth_uri,
        totp_secret: totp,
    })
}

async fn user_named(db: &Db, username: &str) -> Result<users::User> {
    users::find_by_username(db.pool(), username.trim())
        .await?
        .ok_or_else(|| StaffRefusal::NoSuchUser(username.to_owned()).into())
}

/// Disables an account for the operator: it can no longer sign in, and no new case is routed to it.
pub async fn user_disable(db: &Db, username: &str) -> Result<()> {
    disable(db, user_named(db, username).await?, "operator").await
}

/// [`user_disable`] by an admin, who cannot disable their own account.
pub async fn user_disable_by(db: &Db, username: &str, admin: &Actor) -> Result<()> {
    admin.as_role(Role::Admin)?;
    // Compare accounts, not the typed name (which could carry spaces or another case).
    let user = user_named(db, username).await?;
    if user.id == admin.user.id {
        return Err(StaffRefusal::DisableSelf.into());
    }
    disable(db, user, &admin.user.id).await
}

/// The last active admin cannot be disabled.
async fn disable(db: &Db, user: users::User, actor: &str) -> Result<()> {
    if user.role == Role::Admin && user.active && users::count_admins(db.pool()).await? <= 1 {
        return Err(StaffRefusal::LastAdmin.into());
    }
    let now = store::now_millis();
    let mut tx = db.pool().begin().await?;
    users::set_active(&mut tx, &user.id, false).await?;
    // The account's copies of report keys go: the supervisors and the recovery key still hold theirs.
    grants::delete_all_of(&mut tx, &user.id).await?;
    ledger::append(
        &mut tx,
        now,
        EntryKind::UserDisabled,
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
pub async fn user_reset_password(db: &Db, username: &str, password: &str) -> Result<()> {
    check_password(password)?;
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
    .map_err(|_| Error::Internal("key derivation"))?;
    let (Ok(sealed), Ok(hash)) = (sealed, hash) else {
        return Err(Error::Internal("key derivation"));
    };
    let now = store::now_millis();
    let mut tx = db.pool().begin().await?;
    users::replace_credentials(&mut tx, &user.id, &hash, &public, &sealed).await?;
    let detail = serde_json::json!({ "user": user.id }).to_string();
    ledger::append(&mut tx, now, EntryKind::PasswordReset, None, "operator", &detail).await?;
    tx.commit().await?;
    // Sessions opened with the old password carry the old private key: end them.
    store::sessions::revoke_all_of(db.pool(), &user.id).await?;
    Ok(())
}

/// Reads a recovery key file (64 hex digits).
pub fn read_recovery_key(path: &Path) -> Result<PrivateKey> {
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?);
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes)
        .map_err(|_| Error::Refused(format!("{}: not a recovery key (64 hex digits)", path.display())))?;
    Ok(PrivateKey::from_bytes(bytes))
}

/// Re-grants every report a user should hold (assigned to them, or in the team they supervise) from the
/// recovery key's grants. Returns how many reports were granted.
pub async fn keys_regrant(db: &Db, recovery: &PrivateKey, username: &str) -> Result<usize> {
    let user = user_named(db, username).await?;
    if !user.active {
        return Err(Error::Refused(format!(
            "{username:?} is disabled: enable or replace the account first"
        )));
    }
    let pool = db.pool();
    let expected = grants::recovery_public_key(pool).await?;
    if expected
        != Some(
            recovery
                .public_key()
                .map_err(|_| Error::Refused("not a valid key".into()))?,
        )
    {
        return Err(Error::Refused("this is not the organisation's recovery key".into()));
    }
    let reports = grants::reports_for_user(pool, &user.id).await?;
    let mut tx = pool.begin().await?;
    let mut granted = 0;
    for report_id in &reports {
        let Some(recovery_grant) = grants::find_grant(pool, report_id, grants::RECOVERY).await? else {
            continue;
        };
        let key = crypto::open_grant(&recovery_grant, recovery, report_id, grants::RECOVERY)
            .map_err(|_| Error::Refused(format!("report {report_id}: the recovery grant does not open")))?;
        let grant = crypto::grant(&key, &user.public_key, report_id, &user.id)
            .map_err(|_| Error::Refused("the user's public key is invalid".into()))?;
        // A report erased meanwhile gets no grant.
        granted += usize::from(grants::insert_grant(&mut tx, report_id, &user.id, &grant).await?);
    }
    let detail = serde_json::json!({ "user": user.id, "reports": granted }).to_string();
    ledger::append(
        &mut tx,
        store::now_millis(),
        EntryKind::KeysRegranted,
        None,
        "operator",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(granted)
}

/// The account of a live session, or `None` once it has ended (idle for `idle_millis`, past its lifetime,
/// revoked, or its user disabled). Touches the session row.
pub async fn session_user(
    db: &Db,
    session_id: &SessionId,
    user_id: &UserId,
    clock: Clock,
    idle_millis: i64,
) -> Result<Option<users::User>> {
    if !store::sessions::touch(db.pool(), session_id, user_id, clock.millis(), idle_millis).await? {
        return Ok(None);
    }
    Ok(users::find_by_id(db.pool(), user_id).await?)
}

/// Ends a session: its row is revoked.
pub async fn sign_out(db: &Db, session_id: &SessionId) -> Result<()> {
    store::sessions::revoke(db.pool(), session_id).await?;
    Ok(())
}
