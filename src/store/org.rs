//! The organisation: units, teams and routing rules, imported from a TOML file.

use crate::domain::EntryKind;
use sqlx::{AnyPool, Row};

use crate::domain::org::{Organisation, Team};
use crate::domain::routing::{Rule, TeamNode};

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub units: usize,
    pub teams: usize,
    pub rules: usize,
}

/// Inserts or updates every unit and team of `org` and replaces the routing rules, in one transaction.
/// Units and teams absent from the file are kept: reports and users may still refer to them.
pub async fn import(pool: &AnyPool, org: &Organisation, actor: &str) -> Result<Imported, sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (position, unit) in org.units.iter().enumerate() {
        sqlx::query(
            "INSERT INTO units (id, name_vi, name_en, kind, parent_id, position) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
             kind = excluded.kind, parent_id = excluded.parent_id, position = excluded.position",
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
    // Parents first is not guaranteed by the file: insert without parents, then set them.
    for team in &org.teams {
        sqlx::query(
            "INSERT INTO teams (id, name_vi, name_en, unit_id, parent_id, is_default) VALUES ($1, $2, $3, $4, NULL, $5) \
             ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
             unit_id = excluded.unit_id, is_default = excluded.is_default",
        )
        .bind(&team.id)
        .bind(&team.name_vi)
        .bind(&team.name_en)
        .bind(&team.unit)
        .bind(i64::from(team.default))
        .execute(&mut *tx)
        .await?;
    }
    for team in &org.teams {
        sqlx::query("UPDATE teams SET parent_id = $1 WHERE id = $2")
            .bind(&team.parent)
            .bind(&team.id)
            .execute(&mut *tx)
            .await?;
    }
    if org.teams.iter().any(|t| t.default) {
        let default = org.teams.iter().find(|t| t.default).map(|t| t.id.clone());
        sqlx::query("UPDATE teams SET is_default = 0 WHERE id <> $1")
            .bind(default)
            .execute(&mut *tx)
            .await?;
    }
    if !org.rules.is_empty() {
        sqlx::query("DELETE FROM routing_rules").execute(&mut *tx).await?;
        for rule in &org.rules {
            sqlx::query("INSERT INTO routing_rules (category, unit_id, team_id) VALUES ($1, $2, $3)")
                .bind(&rule.category)
                .bind(&rule.unit)
                .bind(&rule.team)
                .execute(&mut *tx)
                .await?;
        }
    }
    let imported = Imported {
        units: org.units.len(),
        teams: org.teams.len(),
        rules: org.rules.len(),
    };
    let detail =
        serde_json::json!({ "units": imported.units, "teams": imported.teams, "rules": imported.rules }).to_string();
    super::ledger::append(
        &mut tx,
        super::now_millis(),
        EntryKind::OrgImported,
        None,
        actor,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(imported)
}

pub async fn count_units(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM units")
        .fetch_one(pool)
        .await?
        .try_get("n")
}

pub async fn list_rules(pool: &AnyPool) -> Result<Vec<Rule>, sqlx::Error> {
    let rows = sqlx::query("SELECT category, unit_id, team_id FROM routing_rules")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Rule {
                category: r.try_get("category")?,
                unit: r.try_get("unit_id")?,
                team: super::id(r, "team_id")?,
            })
        })
        .collect()
}

pub async fn list_teams(pool: &AnyPool) -> Result<Vec<Team>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name_vi, name_en, unit_id, parent_id, is_default FROM teams ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Team {
                id: super::id(r, "id")?,
                name_vi: r.try_get("name_vi")?,
                name_en: r.try_get("name_en")?,
                unit: super::optional_id(r, "unit_id")?,
                parent: super::optional_id(r, "parent_id")?,
                default: r.try_get::<i64, _>("is_default")? != 0,
            })
        })
        .collect()
}

/// The teams as routing sees them.
pub fn team_nodes(teams: &[Team]) -> Vec<TeamNode> {
    teams
        .iter()
        .map(|t| TeamNode {
            id: t.id.clone(),
            unit: t.unit.clone(),
            parent: t.parent.clone(),
        })
        .collect()
}

/// Adds or replaces one routing rule, with its ledger entry.
pub async fn upsert_rule(pool: &AnyPool, rule: &Rule, actor: &str, at: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO routing_rules (category, unit_id, team_id) VALUES ($1, $2, $3) \
         ON CONFLICT (category, unit_id) DO UPDATE SET team_id = excluded.team_id",
    )
    .bind(&rule.category)
    .bind(&rule.unit)
    .bind(&rule.team)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "category": rule.category, "unit": rule.unit, "team": rule.team }).to_string();
    super::ledger::append(&mut tx, at, EntryKind::RuleSet, None, actor, &detail).await?;
    tx.commit().await
}

/// Removes one routing rule, with its ledger entry. Returns whether it existed.
pub async fn delete_rule(
    pool: &AnyPool,
    category: &str,
    unit: &str,
    actor: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let gone = sqlx::query("DELETE FROM routing_rules WHERE category = $1 AND unit_id = $2")
        .bind(category)
        .bind(unit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let detail = serde_json::json!({ "category": category, "unit": unit }).to_string();
    super::ledger::append(&mut tx, at, EntryKind::RuleRemoved, None, actor, &detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Adds or renames a team, with its ledger entry.
pub async fn upsert_team(pool: &AnyPool, team: &Team, actor: &str, at: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO teams (id, name_vi, name_en, unit_id, parent_id, is_default) VALUES ($1, $2, $3, $4, $5, 0) \
         ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
         unit_id = excluded.unit_id, parent_id = excluded.parent_id",
    )
    .bind(&team.id)
    .bind(&team.name_vi)
    .bind(&team.name_en)
    .bind(&team.unit)
    .bind(&team.parent)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "team": team.id, "unit": team.unit, "parent": team.parent }).to_string();
    super::ledger::append(&mut tx, at, EntryKind::TeamSet, None, actor, &detail).await?;
    tx.commit().await
}

/// Adds or renames an administrative unit, with its ledger entry.
pub async fn upsert_unit(
    pool: &AnyPool,
    unit: &crate::domain::org::Unit,
    actor: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let position: i64 = sqlx::query("SELECT COUNT(*) AS n FROM units")
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    sqlx::query(
        "INSERT INTO units (id, name_vi, name_en, kind, parent_id, position) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en, \
         kind = excluded.kind, parent_id = excluded.parent_id",
    )
    .bind(&unit.id)
    .bind(&unit.name_vi)
    .bind(&unit.name_en)
    .bind(&unit.kind)
    .bind(&unit.parent)
    .bind(position)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "unit": unit.id, "kind": unit.kind, "parent": unit.parent }).to_string();
    super::ledger::append(&mut tx, at, EntryKind::UnitSet, None, actor, &detail).await?;
    tx.commit().await
}
