//! Report keys wrapped (HPKE) for their holders, and the organisation's recovery key.

use crate::domain::ids::{ReportId, UserId};
use sqlx::{AnyPool, Row};

use super::Tx;
use crate::crypto::{Grant, PublicKey};

/// The holder id of the organisation's recovery key in `key_grants`.
pub const RECOVERY: &str = "recovery";

/// Stores (or replaces) a holder's grant of a report key, unless the report was erased: then nothing is
/// stored and the answer is false.
pub async fn insert_grant(tx: &mut Tx<'_>, report_id: &str, holder: &str, grant: &Grant) -> Result<bool, sqlx::Error> {
    if !super::reports::lock_unerased(tx, report_id).await? {
        return Ok(false);
    }
    insert_grant_locked(tx, report_id, holder, grant).await?;
    Ok(true)
}

/// [`insert_grant`] for a caller whose transaction already holds the report's row unerased: it inserted the
/// report, or updated the row on condition that it is not erased (a reassignment). A submission stores
/// several grants; it need not lock its own new row for each.
pub(super) async fn insert_grant_locked(
    tx: &mut Tx<'_>,
    report_id: &str,
    holder: &str,
    grant: &Grant,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_grants (report_id, holder, encapped_key, sealed_key) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (report_id, holder) DO UPDATE SET encapped_key = excluded.encapped_key, sealed_key = excluded.sealed_key",
    )
    .bind(report_id)
    .bind(holder)
    .bind(&grant.encapped)
    .bind(&grant.sealed)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_grant(pool: &AnyPool, report_id: &ReportId, holder: &str) -> Result<Option<Grant>, sqlx::Error> {
    let row = sqlx::query("SELECT encapped_key, sealed_key FROM key_grants WHERE report_id = $1 AND holder = $2")
        .bind(report_id)
        .bind(holder)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(grant_from_row).transpose()
}

/// A grant from a row with `encapped_key` and `sealed_key` (of `key_grants` or `commendation_grants`).
pub(crate) fn grant_from_row(row: &sqlx::any::AnyRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        encapped: row.try_get("encapped_key")?,
        sealed: row.try_get("sealed_key")?,
    })
}

pub async fn delete_grant(tx: &mut Tx<'_>, report_id: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM key_grants WHERE report_id = $1 AND holder = $2")
        .bind(report_id)
        .bind(holder)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes every grant a holder has (a disabled account).
pub async fn delete_all_of(tx: &mut Tx<'_>, holder: &str) -> Result<(), sqlx::Error> {
    for table in ["key_grants", "commendation_grants"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE holder = $1"))
            .bind(holder)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Ids of the reports a user should hold a key for: assigned to them, or in a team they supervise.
pub async fn reports_for_user(pool: &AnyPool, user_id: &UserId) -> Result<Vec<ReportId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id AS id FROM reports r WHERE r.assignee_id = $1 \
         OR r.team_id IN (SELECT u.team_id FROM users u WHERE u.id = $1 AND u.role = 'supervisor' AND u.active = 1)",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| super::id(r, "id")).collect()
}

/// The recovery key's public half, if the organisation has one yet.
pub async fn recovery_public_key(pool: &AnyPool) -> Result<Option<PublicKey>, sqlx::Error> {
    let row = sqlx::query("SELECT public_key FROM org_keys WHERE id = $1")
        .bind(RECOVERY)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok(PublicKey(super::bytes32(&r, "public_key")?)))
        .transpose()
}

/// Records the recovery key's public half unless one exists. Returns whether this call recorded it.
pub async fn insert_recovery_key(pool: &AnyPool, key: &PublicKey, at: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO org_keys (id, public_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(RECOVERY)
    .bind(key.0.to_vec())
    .bind(at)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Commendations whose file key `holder` can open (a file grant of their own, or a grant of the report's
/// key) while an active officer holds no file grant: at most `limit`, oldest first.
pub async fn lacking_an_officer(pool: &AnyPool, holder: &UserId, limit: i64) -> Result<Vec<ReportId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.report_id FROM commendations c \
         WHERE EXISTS (SELECT 1 FROM users u WHERE u.role = 'officer' AND u.active = 1 AND NOT EXISTS ( \
                 SELECT 1 FROM commendation_grants g \
                 WHERE g.report_id = c.report_id AND g.purpose = 'file' AND g.holder = u.id)) \
           AND (EXISTS (SELECT 1 FROM commendation_grants g \
                        WHERE g.report_id = c.report_id AND g.purpose = 'file' AND g.holder = $1) \
                OR EXISTS (SELECT 1 FROM key_grants k WHERE k.report_id = c.report_id AND k.holder = $1)) \
         ORDER BY c.opened_at LIMIT $2",
    )
    .bind(holder)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| super::id(r, "report_id")).collect()
}
