//! The organisation: its name and administrative units, read from a TOML file.

use serde::Deserialize;

use super::ids::{TeamId, UnitId};

/// The demo organisation shipped by default: Hóc Môn district and its 2021 units.
pub const DEMO_ORGANISATION: &str = include_str!("../../org/hoc-mon.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub kind: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(default)]
    pub parent: Option<UnitId>,
}

impl Unit {
    /// The unit's name in a language (`"en"`, else Vietnamese).
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.name_en
        } else {
            &self.name_vi
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Names {
    pub name_vi: String,
    pub name_en: String,
}

/// A team of inspectors.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name_vi: String,
    pub name_en: String,
    /// The unit the team belongs to: reports about it go to the parent team.
    #[serde(default)]
    pub unit: Option<UnitId>,
    #[serde(default)]
    pub parent: Option<TeamId>,
    /// Where users created without a team go.
    #[serde(default)]
    pub default: bool,
}

impl Team {
    /// Whether the team's unit, if it names one, exists.
    pub fn unit_known(&self, has_unit: impl Fn(&str) -> bool) -> bool {
        self.unit.as_deref().is_none_or(has_unit)
    }

    /// Whether the team's parent, if it names one, is another team that exists.
    pub fn parent_known(&self, has_team: impl Fn(&str) -> bool) -> bool {
        self.parent.as_deref().is_none_or(|p| *self.id != *p && has_team(p))
    }

    /// The team's name in a language (`"en"`, else Vietnamese).
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.name_en
        } else {
            &self.name_vi
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RuleSpec {
    pub category: String,
    pub unit: String,
    pub team: TeamId,
}

impl RuleSpec {
    /// Whether the rule names a known category (or `*`), a known unit (or `*`) and a known team.
    pub fn names_known(&self, has_unit: impl Fn(&str) -> bool, has_team: impl Fn(&str) -> bool) -> bool {
        (self.category == "*" || super::Category::parse(&self.category).is_some())
            && (self.unit == "*" || has_unit(&self.unit))
            && has_team(&self.team)
    }
}

/// The kinds of administrative unit.
pub const UNIT_KINDS: [&str; 4] = ["district", "town", "commune", "ward"];

/// Longest team or unit name, in characters.
pub const NAME_MAX: usize = 200;

/// An id for a team or unit typed by an admin: 2 to 48 lowercase letters, digits and dashes.
pub fn is_slug(id: &str) -> bool {
    (2..=48).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Unit {
    /// Whether the unit's parent, if it names one, is another unit that exists.
    pub fn parent_known(&self, has_unit: impl Fn(&str) -> bool) -> bool {
        self.parent.as_deref().is_none_or(|p| *self.id != *p && has_unit(p))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Organisation {
    pub organisation: Names,
    pub units: Vec<Unit>,
    #[serde(default)]
    pub teams: Vec<Team>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("organisation file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("organisation file: unit {0:?} appears twice")]
    DuplicateUnit(String),
    #[error("organisation file: unit {unit:?} names an unknown parent {parent:?}")]
    UnknownParent { unit: String, parent: String },
    #[error("organisation file: {0}")]
    Invalid(String),
}

impl Organisation {
    pub fn parse(text: &str) -> Result<Self, OrgError> {
        let org: Organisation = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for unit in &org.units {
            if !seen.insert(unit.id.as_str()) {
                return Err(OrgError::DuplicateUnit(unit.id.to_string()));
            }
        }
        for unit in &org.units {
            if let Some(parent) = &unit.parent {
                if !seen.contains(parent.as_str()) {
                    return Err(OrgError::UnknownParent {
                        unit: unit.id.to_string(),
                        parent: parent.to_string(),
                    });
                }
            }
        }
        org.check_teams_and_rules(&seen)?;
        Ok(org)
    }

    fn check_teams_and_rules(&self, units: &std::collections::HashSet<&str>) -> Result<(), OrgError> {
        let teams: std::collections::HashSet<&str> = self.teams.iter().map(|t| t.id.as_str()).collect();
        if teams.len() != self.teams.len() {
            return Err(OrgError::Invalid("a team id appears twice".into()));
        }
        for team in &self.teams {
            if !team.unit_known(|u| units.contains(u)) {
                return Err(OrgError::Invalid(format!("team {:?} names an unknown unit", team.id)));
            }
            if !team.parent_known(|p| teams.contains(p)) {
                return Err(OrgError::Invalid(format!("team {:?} names an unknown parent", team.id)));
            }
        }
        if self.teams.iter().filter(|t| t.default).count() > 1 {
            return Err(OrgError::Invalid("more than one team is marked default".into()));
        }
        for rule in &self.rules {
            if !rule.names_known(|u| units.contains(u), |t| teams.contains(t)) {
                return Err(OrgError::Invalid(format!(
                    "rule ({}, {}) → {} names an unknown category, unit or team",
                    rule.category, rule.unit, rule.team
                )));
            }
        }
        Ok(())
    }

    #[cfg(test)]
    fn demo_text() -> String {
        DEMO_ORGANISATION.to_owned()
    }

    pub fn demo() -> Self {
        Self::parse(DEMO_ORGANISATION).expect("the shipped demo organisation file is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_organisation_has_the_district_its_town_and_eleven_communes() {
        let org = Organisation::demo();
        assert_eq!(org.units.iter().filter(|u| u.kind == "district").count(), 1);
        assert_eq!(org.units.iter().filter(|u| u.kind == "town").count(), 1);
        assert_eq!(org.units.iter().filter(|u| u.kind == "commune").count(), 11);
        assert!(org.units.iter().any(|u| u.name_vi == "Xã Bà Điểm"));
        assert_eq!(
            org.teams
                .iter()
                .filter(|t| t.default)
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>(),
            ["hocmon-inspectorate"]
        );
        assert_eq!(org.rules.len(), 1);
    }

    #[test]
    fn a_rule_naming_an_unknown_team_is_refused() {
        let text = Organisation::demo_text().replace("team = \"hocmon-inspectorate\"", "team = \"nobody\"");
        assert!(matches!(Organisation::parse(&text), Err(OrgError::Invalid(_))));
    }

    #[test]
    fn a_unit_with_an_unknown_parent_is_refused() {
        let text = "[organisation]\nname_vi = \"a\"\nname_en = \"a\"\n[[units]]\nid = \"x\"\nkind = \"commune\"\n\
                    name_vi = \"X\"\nname_en = \"X\"\nparent = \"nowhere\"\n";
        assert!(matches!(Organisation::parse(text), Err(OrgError::UnknownParent { .. })));
    }
}
