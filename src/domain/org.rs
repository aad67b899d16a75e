//! The organisation: its name and administrative units, read from a TOML file.

use serde::Deserialize;

/// The demo organisation shipped by default: Hóc Môn district and its 2021 units.
pub const DEMO_ORGANISATION: &str = include_str!("../../org/hoc-mon.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Unit {
    pub id: String,
    pub kind: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(default)]
    pub parent: Option<String>,
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

#[derive(Debug, Clone, Deserialize)]
pub struct Organisation {
    pub organisation: Names,
    pub units: Vec<Unit>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("organisation file: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("organisation file: unit {0:?} appears twice")]
    DuplicateUnit(String),
    #[error("organisation file: unit {unit:?} names an unknown parent {parent:?}")]
    UnknownParent { unit: String, parent: String },
}

impl Organisation {
    pub fn parse(text: &str) -> Result<Self, OrgError> {
        let org: Organisation = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for unit in &org.units {
            if !seen.insert(unit.id.as_str()) {
                return Err(OrgError::DuplicateUnit(unit.id.clone()));
            }
        }
        for unit in &org.units {
            if let Some(parent) = &unit.parent {
                if !seen.contains(parent.as_str()) {
                    return Err(OrgError::UnknownParent {
                        unit: unit.id.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        Ok(org)
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
    }

    #[test]
    fn a_unit_with_an_unknown_parent_is_refused() {
        let text = "[organisation]\nname_vi = \"a\"\nname_en = \"a\"\n[[units]]\nid = \"x\"\nkind = \"commune\"\n\
                    name_vi = \"X\"\nname_en = \"X\"\nparent = \"nowhere\"\n";
        assert!(matches!(Organisation::parse(text), Err(OrgError::UnknownParent { .. })));
    }
}
