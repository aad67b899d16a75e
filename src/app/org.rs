//! The organisation: imports of an organisation file, and the admin's edits of units, teams and routing
//! rules, each with its ledger entry.

use std::path::Path;

use crate::domain::org::{is_slug, Organisation, RuleSpec, Team, Unit, NAME_MAX, UNIT_KINDS};
use crate::domain::routing::Rule;
use crate::domain::staff::Role;
use crate::domain::FieldError;
use crate::store::{self, Db};

use super::{Actor, Clock, Error, Result};

/// Imports (inserts or updates) an organisation file.
pub async fn org_import(db: &Db, path: &Path) -> Result<store::org::Imported> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?;
    let org = Organisation::parse(&text).map_err(|e| Error::Refused(e.to_string()))?;
    let imported = store::org::import(db.pool(), &org, "operator").await?;
    Ok(imported)
}

/// What the admin's page shows: the organisation's units, teams and rules, and every account.
pub struct Overview {
    pub units: Vec<Unit>,
    pub teams: Vec<Team>,
    pub rules: Vec<Rule>,
    pub users: Vec<store::users::Listing>,
}

/// The organisation and its accounts, for an admin.
pub async fn overview(db: &Db, actor: &Actor) -> Result<Overview> {
    actor.as_role(Role::Admin)?;
    let pool = db.pool();
    Ok(Overview {
        units: store::units::list_units(pool).await?,
        teams: store::org::list_teams(pool).await?,
        rules: store::org::list_rules(pool).await?,
        users: store::users::list_all(pool).await?,
    })
}

/// The organisation's units, in their order.
pub async fn units(db: &Db) -> Result<Vec<Unit>> {
    Ok(store::units::list_units(db.pool()).await?)
}

/// Adds or replaces the rule for (category, unit); `*` is every category or unit.
pub async fn set_rule(db: &Db, actor: &Actor, clock: Clock, rule: Rule) -> Result<()> {
    actor.as_role(Role::Admin)?;
    let units = store::units::list_units(db.pool()).await?;
    let teams = store::org::list_teams(db.pool()).await?;
    let spec = RuleSpec {
        category: rule.category.clone(),
        unit: rule.unit.clone(),
        team: rule.team.clone(),
    };
    if !spec.names_known(|u| units.iter().any(|x| x.id == u), |t| teams.iter().any(|x| x.id == t)) {
        return Err(Error::Invalid("rule", FieldError::UnknownUnit));
    }
    store::org::upsert_rule(db.pool(), &rule, &actor.user.id, clock.millis()).await?;
    Ok(())
}

/// Removes the rule for (category, unit).
pub async fn remove_rule(db: &Db, actor: &Actor, clock: Clock, category: &str, unit: &str) -> Result<()> {
    actor.as_role(Role::Admin)?;
    if !store::org::delete_rule(db.pool(), category, unit, &actor.user.id, clock.millis()).await? {
        return Err(Error::Invalid("rule", FieldError::UnknownUnit));
    }
    Ok(())
}

/// Adds or renames a team; its unit and parent must exist.
pub async fn set_team(db: &Db, actor: &Actor, clock: Clock, team: Team) -> Result<()> {
    actor.as_role(Role::Admin)?;
    let units = store::units::list_units(db.pool()).await?;
    let teams = store::org::list_teams(db.pool()).await?;
    let named = !team.name_vi.is_empty() && team.name_vi.chars().count() <= NAME_MAX;
    let known =
        team.unit_known(|u| units.iter().any(|x| x.id == u)) && team.parent_known(|p| teams.iter().any(|t| t.id == p));
    if !is_slug(&team.id) || !named || !known {
        return Err(Error::Invalid("team", FieldError::UnknownUnit));
    }
    store::org::upsert_team(db.pool(), &team, &actor.user.id, clock.millis()).await?;
    Ok(())
}

/// Adds or renames a unit; its kind must be known and its parent must exist.
pub async fn set_unit(db: &Db, actor: &Actor, clock: Clock, unit: Unit) -> Result<()> {
    actor.as_role(Role::Admin)?;
    let units = store::units::list_units(db.pool()).await?;
    let named = !unit.name_vi.is_empty() && unit.name_vi.chars().count() <= NAME_MAX;
    let valid = is_slug(&unit.id)
        && UNIT_KINDS.contains(&unit.kind.as_str())
        && named
        && unit.parent_known(|p| units.iter().any(|u| u.id == p));
    if !valid {
        return Err(Error::Invalid("unit", FieldError::UnknownUnit));
    }
    store::org::upsert_unit(db.pool(), &unit, &actor.user.id, clock.millis()).await?;
    Ok(())
}
