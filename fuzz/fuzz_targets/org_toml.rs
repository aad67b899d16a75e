//! Fuzzes the organisation loader `domain::org::Organisation::parse` (an admin uploads this file; a bad
//! one must be an error) and, on what loads, the routing of `domain::routing`: `route` for every category
//! (and a category no rule names) against the first units, and `choose_assignee` among inspectors homed
//! in those units.
//!
//! Properties: whenever a rule matches, a team is found, and it is one of the file's teams; unless the
//! team chain has a cycle, the team found never sits in the reported unit while it has a parent (no one
//! investigates their own office); the inspector chosen is never homed in the reported unit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::domain::ids::UserId;
use minhbach::domain::org::Organisation;
use minhbach::domain::routing::{choose_assignee, route, Candidate, Rule, TeamNode};
use minhbach::domain::Category;

/// How many of the file's units are routed to (routing is linear in rules and teams: keep it cheap).
const UNITS_TRIED: usize = 8;

/// Whether following the parents from `start` ever comes back to a team already seen.
fn has_cycle(teams: &[TeamNode], start: &TeamNode) -> bool {
    let mut seen = vec![&start.id];
    let mut team = start;
    while let Some(parent) = team.parent.as_ref().and_then(|p| teams.iter().find(|t| t.id == *p)) {
        if seen.contains(&&parent.id) {
            return true;
        }
        seen.push(&parent.id);
        team = parent;
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(org) = Organisation::parse(text) else {
        return;
    };
    let rules: Vec<Rule> = org
        .rules
        .iter()
        .map(|r| Rule {
            category: r.category.clone(),
            unit: r.unit.clone(),
            team: r.team.clone(),
        })
        .collect();
    let teams: Vec<TeamNode> = org
        .teams
        .iter()
        .map(|t| TeamNode {
            id: t.id.clone(),
            unit: t.unit.clone(),
            parent: t.parent.clone(),
        })
        .collect();
    let units: Vec<&str> = org.units.iter().take(UNITS_TRIED).map(|u| u.id.as_str()).collect();
    let candidates: Vec<Candidate> = units
        .iter()
        .enumerate()
        .map(|(i, unit)| Candidate {
            user_id: UserId::from(format!("u{i}")),
            home_unit: Some((*unit).into()),
            open_cases: (i % 3) as i64,
        })
        .collect();

    let categories = Category::ALL.iter().map(|c| c.id()).chain(["not-a-category"]);
    for category in categories {
        for unit in &units {
            let matched = rules
                .iter()
                .any(|r| (r.category == category || r.category == "*") && (r.unit == *unit || r.unit == "*"));
            let found = route(&rules, &teams, category, unit);
            assert_eq!(found.is_some(), matched, "({category}, {unit})");
            if let Some(id) = found {
                let team = teams.iter().find(|t| t.id == id).expect("routed to a team of the file");
                if team.unit.as_deref() == Some(*unit) && !has_cycle(&teams, team) {
                    assert!(
                        team.parent.is_none(),
                        "({category}, {unit}) routed to {id}, which sits in that unit and has a parent"
                    );
                }
            }
        }
    }
    for unit in &units {
        if let Some(chosen) = choose_assignee(&candidates, unit) {
            assert_ne!(
                chosen.home_unit.as_deref(),
                Some(*unit),
                "inspector homed in the reported unit"
            );
        }
    }
});
