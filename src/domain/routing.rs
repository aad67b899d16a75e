//! Routing: which team handles a report, and which inspector in it (DESIGN.md, "Routing").
//!
//! Rules map (category, unit) to a team, `*` matching anything; the most specific rule wins (exact
//! category and unit, then exact unit, then exact category, then `*`/`*`). A report about a team's own unit
//! goes to that team's parent, so no one investigates their own office. Within the team, the active
//! inspector with the fewest open cases is assigned, never one whose home unit is the reported unit.

use super::ids::{TeamId, UnitId, UserId};

/// A routing rule as stored. Category and unit are patterns: a name, or `*` for any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub category: String,
    pub unit: String,
    pub team: TeamId,
}

/// A team as routing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamNode {
    pub id: TeamId,
    pub unit: Option<UnitId>,
    pub parent: Option<TeamId>,
}

fn specificity(rule: &Rule, category: &str, unit: &str) -> Option<u8> {
    let category_match = rule.category == category;
    let unit_match = rule.unit == unit;
    match (category_match || rule.category == "*", unit_match || rule.unit == "*") {
        (true, true) => Some(u8::from(unit_match) * 2 + u8::from(category_match)),
        _ => None,
    }
}

/// The team that handles a report of `category` about `unit`, if any rule matches.
pub fn route(rules: &[Rule], teams: &[TeamNode], category: &str, unit: &str) -> Option<TeamId> {
    let rule = rules
        .iter()
        .filter_map(|r| specificity(r, category, unit).map(|s| (s, r)))
        .max_by_key(|(s, _)| *s)?
        .1;
    let mut team = teams.iter().find(|t| t.id == rule.team)?;
    // Climb while the team would be investigating its own unit; stop at the top (or a cycle's length).
    for _ in 0..teams.len() {
        if team.unit.as_deref() != Some(unit) {
            break;
        }
        match team.parent.as_ref().and_then(|p| teams.iter().find(|t| t.id == *p)) {
            Some(parent) => team = parent,
            None => break,
        }
    }
    Some(team.id.clone())
}

/// An inspector who could take the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub home_unit: Option<UnitId>,
    pub open_cases: i64,
}

/// The inspector with the fewest open cases whose home unit is not `unit` (ties: the lowest id, so the
/// choice is deterministic).
pub fn choose_assignee<'a>(candidates: &'a [Candidate], unit: &str) -> Option<&'a Candidate> {
    candidates
        .iter()
        .filter(|c| c.home_unit.as_deref() != Some(unit))
        .min_by(|a, b| a.open_cases.cmp(&b.open_cases).then_with(|| a.user_id.cmp(&b.user_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(category: &str, unit: &str, team: &str) -> Rule {
        Rule {
            category: category.into(),
            unit: unit.into(),
            team: team.into(),
        }
    }

    fn teams() -> Vec<TeamNode> {
        vec![
            TeamNode {
                id: "city".into(),
                unit: None,
                parent: None,
            },
            TeamNode {
                id: "district".into(),
                unit: Some("hoc-mon".into()),
                parent: Some("city".into()),
            },
            TeamNode {
                id: "land".into(),
                unit: None,
                parent: Some("district".into()),
            },
        ]
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let rules = vec![
            rule("*", "*", "district"),
            rule("bribe-taking", "*", "land"),
            rule("*", "ba-diem", "city"),
        ];
        assert_eq!(
            route(&rules, &teams(), "forgery", "tan-xuan").as_deref(),
            Some("district")
        );
        assert_eq!(
            route(&rules, &teams(), "bribe-taking", "tan-xuan").as_deref(),
            Some("land")
        );
        assert_eq!(
            route(&rules, &teams(), "bribe-taking", "ba-diem").as_deref(),
            Some("city")
        );
        assert_eq!(route(&[], &teams(), "forgery", "tan-xuan"), None);
    }

    #[test]
    fn a_report_about_a_teams_own_unit_goes_to_its_parent() {
        let rules = vec![rule("*", "*", "district")];
        assert_eq!(route(&rules, &teams(), "forgery", "hoc-mon").as_deref(), Some("city"));
    }

    #[test]
    fn the_least_loaded_inspector_from_another_unit_is_chosen() {
        let candidates = vec![
            Candidate {
                user_id: "a".into(),
                home_unit: Some("ba-diem".into()),
                open_cases: 0,
            },
            Candidate {
                user_id: "b".into(),
                home_unit: None,
                open_cases: 3,
            },
            Candidate {
                user_id: "c".into(),
                home_unit: Some("tan-xuan".into()),
                open_cases: 2,
            },
        ];
        assert_eq!(
            choose_assignee(&candidates, "tan-hiep").map(|c| c.user_id.as_str()),
            Some("a")
        );
        assert_eq!(
            choose_assignee(&candidates, "ba-diem").map(|c| c.user_id.as_str()),
            Some("c")
        );
        assert_eq!(choose_assignee(&candidates[..1], "ba-diem"), None);
    }
}
