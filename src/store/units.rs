//! The organisation's administrative units.

use sqlx::{AnyPool, Row};

use crate::domain::org::Unit;

pub async fn list_units(pool: &AnyPool) -> Result<Vec<Unit>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name_vi, name_en, kind, parent_id FROM units ORDER BY position, id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Unit {
                id: row.try_get("id")?,
                name_vi: row.try_get("name_vi")?,
                name_en: row.try_get("name_en")?,
                kind: row.try_get("kind")?,
                parent: row.try_get("parent_id")?,
            })
        })
        .collect()
}

/// Inserts the units when the organisation has none yet (first run). Returns how many were inserted.
pub async fn seed_if_empty(pool: &AnyPool, units: &[Unit]) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM units")
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if existing > 0 {
        return Ok(0);
    }
    for (position, unit) in units.iter().enumerate() {
        sqlx::query(
            "INSERT INTO units (id, name_vi, name_en, kind, parent_id, position) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&unit.id)
        .bind(&unit.name_vi)
        .bind(&unit.name_en)
        .bind(&unit.kind)
        .bind(&unit.parent)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(units.len())
}
