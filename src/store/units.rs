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
                id: super::id(row, "id")?,
                name_vi: row.try_get("name_vi")?,
                name_en: row.try_get("name_en")?,
                kind: row.try_get("kind")?,
                parent: super::optional_id(row, "parent_id")?,
            })
        })
        .collect()
}
