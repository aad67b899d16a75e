//! Staff users: credentials, keys, team and home unit.

use sqlx::{AnyPool, Row};

use super::Tx;
use crate::crypto::{PublicKey, SealedPrivateKey};
use crate::domain::ids::{TeamId, UnitId, UserId};
use crate::domain::routing::Candidate;
use crate::domain::staff::Role;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub home_unit_id: Option<UnitId>,
    pub password_hash: String,
    pub public_key: PublicKey,
    pub sealed_private_key: SealedPrivateKey,
    /// The TOTP secret sealed under a key derived from the server secret.
    pub totp_secret: Vec<u8>,
    pub active: bool,
}

const COLUMNS: &str = "id, username, role, team_id, home_unit_id, password_hash, public_key, private_key_salt, \
                       sealed_private_key, totp_secret, active";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let salt: Vec<u8> = row.try_get("private_key_salt")?;
    Ok(User {
        id: super::id(row, "id")?,
        username: row.try_get("username")?,
        role: Role::parse(&role).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role}").into()))?,
        team_id: super::optional_id(row, "team_id")?,
        home_unit_id: super::optional_id(row, "home_unit_id")?,
        password_hash: row.try_get("password_hash")?,
        public_key: PublicKey(super::bytes32(row, "public_key")?),
        sealed_private_key: SealedPrivateKey {
            salt: salt
                .try_into()
                .map_err(|_| sqlx::Error::Decode("private_key_salt is not 16 bytes".into()))?,
            sealed: row.try_get("sealed_private_key")?,
        },
        totp_secret: row.try_get("totp_secret")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

pub async fn insert_user(tx: &mut Tx<'_>, user: &User, created_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO users ({COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&user.id)
    .bind(&user.username)
    .bind(user.role.as_str())
    .bind(&user.team_id)
    .bind(&user.home_unit_id)
    .bind(&user.password_hash)
    .bind(user.public_key.0.to_vec())
    .bind(user.sealed_private_key.salt.to_vec())
    .bind(&user.sealed_private_key.sealed)
    .bind(&user.totp_secret)
    .bind(i64::from(user.active))
    .bind(created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_by_username(pool: &AnyPool, username: &str) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn find_by_id(pool: &AnyPool, id: &UserId) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn set_active(tx: &mut Tx<'_>, id: &UserId, active: bool) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Accepts a TOTP step for a user only if it is later than every step accepted before: a code is good once.
pub async fn accept_totp_step(pool: &AnyPool, id: &UserId, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
        .bind(step)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces a user's password and key pair (after a reset the old private key is gone with the old
/// password) and drops the grants made to the old key, which no one can open any more.
pub async fn replace_credentials(
    tx: &mut Tx<'_>,
    id: &str,
    password_hash: &str,
    public_key: &PublicKey,
    sealed: &SealedPrivateKey,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, public_key = $2, private_key_salt = $3, sealed_private_key = $4 WHERE id = $5")
        .bind(password_hash)
        .bind(public_key.0.to_vec())
        .bind(sealed.salt.to_vec())
        .bind(&sealed.sealed)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    super::grants::delete_all_of(tx, id).await
}

/// Active inspectors of a team with their number of open cases.
pub async fn list_candidates(pool: &AnyPool, team_id: &TeamId) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id AS id, u.home_unit_id AS home_unit_id, \
         (SELECT COUNT(*) FROM reports r WHERE r.assignee_id = u.id AND r.status <> 'closed') AS open_cases \
         FROM users u WHERE u.team_id = $1 AND u.role = 'inspector' AND u.active = 1",
    )
    .bind(team_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                user_id: super::id(r, "id")?,
                home_unit: super::optional_id(r, "home_unit_id")?,
                open_cases: r.try_get("open_cases")?,
            })
        })
        .collect()
}

/// Active supervisors of a team: (user id, public key).
pub async fn list_supervisors(pool: &AnyPool, team_id: &TeamId) -> Result<Vec<(UserId, PublicKey)>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, public_key FROM users WHERE team_id = $1 AND role = 'supervisor' AND active = 1")
            .bind(team_id)
            .fetch_all(pool)
            .await?;
    rows.iter()
        .map(|r| Ok((super::id(r, "id")?, PublicKey(super::bytes32(r, "public_key")?))))
        .collect()
}

/// Active commendation officers: (user id, public key). Claims and commendation files are sealed to them.
pub async fn list_officers(pool: &AnyPool) -> Result<Vec<(UserId, PublicKey)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, public_key FROM users WHERE role = 'officer' AND active = 1 ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((super::id(r, "id")?, PublicKey(super::bytes32(r, "public_key")?))))
        .collect()
}

pub async fn count_admins(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND active = 1")
        .fetch_one(pool)
        .await?
        .try_get("n")
}

/// An account as the admin's list shows it.
pub struct Listing {
    pub username: String,
    pub role: String,
    pub team_id: Option<String>,
    pub home_unit_id: Option<String>,
    pub active: bool,
}

/// Every account, by username.
pub async fn list_all(pool: &AnyPool) -> Result<Vec<Listing>, sqlx::Error> {
    let rows = sqlx::query("SELECT username, role, team_id, home_unit_id, active FROM users ORDER BY username")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Listing {
                username: r.try_get("username")?,
                role: r.try_get("role")?,
                team_id: r.try_get("team_id")?,
                home_unit_id: r.try_get("home_unit_id")?,
                active: r.try_get::<i64, _>("active")? != 0,
            })
        })
        .collect()
}

/// The usernames of a team's active inspectors, by username.
pub async fn team_inspectors(pool: &AnyPool, team_id: &TeamId) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT username FROM users WHERE team_id = $1 AND role = 'inspector' AND active = 1 ORDER BY username",
    )
    .bind(team_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| r.try_get("username")).collect()
}

/// How many staff accounts exist.
pub async fn count(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(pool)
        .await?
        .try_get("n")
}
