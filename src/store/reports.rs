//! Reports: the sealed content, the wrapped key and the routing metadata.

use crate::domain::EntryKind;
use sqlx::{AnyPool, Row};

use super::attachments::NewAttachment;
use super::{ledger, Tx};
use crate::crypto::{Grant, KdfParams, WrappedKey};
use crate::domain::ids::{ReportId, TeamId, UnitId, UserId};

/// A report ready to store: every field a reporter typed is already sealed.
#[derive(Debug, Clone)]
pub struct SealedReport {
    pub id: ReportId,
    pub locator: String,
    pub category: String,
    pub unit_id: UnitId,
    pub status: String,
    pub received_at: i64,
    /// The team that handles the report and the inspector assigned, as routing decided.
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<UserId>,
    pub wrapped: WrappedKey,
    pub narrative: Vec<u8>,
    pub accused: Option<Vec<u8>>,
    pub incident_date: Option<Vec<u8>>,
    pub amount_vnd: Option<Vec<u8>>,
}

/// A report and the grants of its key, ready to store.
pub type NewRecord = (SealedReport, Vec<(String, Grant)>);

/// Stores a report, the grants of its key, and its `received` and `assigned` ledger entries in one
/// transaction. The caller shows the retrieval code only once this returned `Ok`, after the commit.
pub async fn insert_report<I: Iterator<Item = Vec<u8>>>(
    pool: &AnyPool,
    report: &SealedReport,
    grants: &[(String, Grant)],
    attachments: Vec<NewAttachment<I>>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    insert_with_grants(&mut tx, report, grants).await?;
    for attachment in attachments {
        super::attachments::insert_in(&mut tx, &report.id, report.received_at, "reporter", attachment).await?;
    }
    tx.commit().await
}

/// Stores many reports in one transaction: for imports, demo data and benchmarks.
pub async fn insert_batch(pool: &AnyPool, records: &[NewRecord]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (report, grants) in records {
        insert_with_grants(&mut tx, report, grants).await?;
    }
    tx.commit().await
}

async fn insert_with_grants(
    tx: &mut Tx<'_>,
    report: &SealedReport,
    grants: &[(String, Grant)],
) -> Result<(), sqlx::Error> {
    insert_in(tx, report).await?;
    for (holder, grant) in grants {
        super::grants::insert_grant_locked(tx, &report.id, holder, grant).await?;
    }
    let id = Some(report.id.as_str());
    let detail = serde_json::json!({ "category": report.category, "unit": report.unit_id }).to_string();
    ledger::append(tx, report.received_at, EntryKind::Received, id, "reporter", &detail).await?;
    let detail = serde_json::json!({ "team": report.team_id, "assignee": report.assignee_id }).to_string();
    ledger::append(tx, report.received_at, EntryKind::Assigned, id, "system", &detail).await?;
    Ok(())
}

async fn insert_in(tx: &mut Tx<'_>, report: &SealedReport) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reports (id, locator, category, unit_id, status, received_at, updated_at, key_salt, \
         kdf_memory_kib, kdf_iterations, kdf_parallelism, wrapped_key, narrative, accused, incident_date, amount_vnd, \
         team_id, assignee_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&report.id)
    .bind(&report.locator)
    .bind(&report.category)
    .bind(&report.unit_id)
    .bind(&report.status)
    .bind(report.received_at)
    .bind(report.received_at)
    .bind(report.wrapped.salt.to_vec())
    .bind(i64::from(report.wrapped.params.memory_kib))
    .bind(i64::from(report.wrapped.params.iterations))
    .bind(i64::from(report.wrapped.params.parallelism))
    .bind(&report.wrapped.sealed)
    .bind(&report.narrative)
    .bind(&report.accused)
    .bind(&report.incident_date)
    .bind(&report.amount_vnd)
    .bind(&report.team_id)
    .bind(&report.assignee_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks report `id`'s row for the rest of the transaction if it is not erased; false if it is (or does not
/// exist). Every transaction that writes a report's sealed data or a grant of its key starts with this (or
/// with another conditional update of the row), so that it and an erasure (`store::retention::erase`, which
/// updates the row first too) happen one after the other, never interleaved: nothing is written into an
/// erased report, and both take the report's row before the ledger head, so they cannot deadlock.
pub async fn lock_unerased(tx: &mut Tx<'_>, id: &str) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query("UPDATE reports SET updated_at = updated_at WHERE id = $1 AND erased_at IS NULL")
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(locked == 1)
}

/// The error of a write into a report that was erased meanwhile (see [`lock_unerased`]); the application
/// reads it as `Error::Erased`.
pub const ERASED: &str = "the report was erased";

pub fn erased() -> sqlx::Error {
    sqlx::Error::Protocol(ERASED.to_owned())
}

/// A stored report as read back.
pub type StoredReport = SealedReport;

fn kdf_param(row: &sqlx::any::AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn report_from_row(row: &sqlx::any::AnyRow) -> Result<StoredReport, sqlx::Error> {
    let salt: Vec<u8> = row.try_get("key_salt")?;
    let salt: [u8; 16] = salt
        .try_into()
        .map_err(|_| sqlx::Error::Decode("key_salt is not 16 bytes".into()))?;
    Ok(StoredReport {
        id: super::id(row, "id")?,
        locator: row.try_get("locator")?,
        category: row.try_get("category")?,
        unit_id: super::id(row, "unit_id")?,
        status: row.try_get("status")?,
        received_at: row.try_get("received_at")?,
        team_id: super::optional_id(row, "team_id")?,
        assignee_id: super::optional_id(row, "assignee_id")?,
        wrapped: WrappedKey {
            salt,
            params: KdfParams {
                memory_kib: kdf_param(row, "kdf_memory_kib")?,
                iterations: kdf_param(row, "kdf_iterations")?,
                parallelism: kdf_param(row, "kdf_parallelism")?,
            },
            sealed: row.try_get("wrapped_key")?,
        },
        narrative: row.try_get("narrative")?,
        accused: row.try_get("accused")?,
        incident_date: row.try_get("incident_date")?,
        amount_vnd: row.try_get("amount_vnd")?,
    })
}

const SELECT_REPORT: &str = "SELECT id, locator, category, unit_id, status, received_at, team_id, assignee_id, \
     key_salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, wrapped_key, narrative, accused, incident_date, \
     amount_vnd";

/// A report that is not erased (an erased one has nothing left to read).
pub async fn find_by_id(pool: &AnyPool, id: &ReportId) -> Result<Option<StoredReport>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{SELECT_REPORT} FROM reports WHERE id = $1 AND erased_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(report_from_row).transpose()
}

/// What a locator finds: a report, or the stub of an erased one.
#[derive(Debug)]
pub enum Located {
    Report(Box<StoredReport>),
    /// Erased at this time (UTC milliseconds) under the retention policy.
    Erased(i64),
}

pub async fn find_by_locator(pool: &AnyPool, locator: &str) -> Result<Option<Located>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT_REPORT}, erased_at FROM reports WHERE locator = $1"))
        .bind(locator)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    match row.try_get::<Option<i64>, _>("erased_at")? {
        Some(at) => Ok(Some(Located::Erased(at))),
        None => Ok(Some(Located::Report(Box::new(report_from_row(&row)?)))),
    }
}

/// How many reports are stored.
pub async fn count(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM reports")
        .fetch_one(pool)
        .await?
        .try_get("n")
}
