//! A supervisor's statistics of their team: on-time per stage per month over the last 12 months, open cases
//! by age and by stage, workload per inspector, and commendation decision times. Supervisors only: the
//! figures are their team's.

use crate::domain::staff::Role;
use crate::domain::stats::{self, DecisionTimes, Month, MonthlyOnTime, AGE_GROUPS, OPEN};
use crate::domain::Status;
use crate::store::{self, Db};

use super::{Actor, Clock, Error, Result};

/// How many months the monthly figures cover, the current one last.
pub const MONTHS: usize = 12;

pub struct TeamStats {
    /// How many cases the team has (every status).
    pub cases: usize,
    pub on_time: MonthlyOnTime,
    /// Open cases per age group, per open status.
    pub open_by_age: Vec<(Status, [u64; AGE_GROUPS.len()])>,
    /// Open cases per inspector: each active inspector of the team (none counts too), then any other
    /// assignee, by username; `None` for cases with no one assigned.
    pub workload: Vec<(Option<String>, u64)>,
    /// Commendation decisions per month of `on_time.months`.
    pub decisions: Vec<DecisionTimes>,
    /// Reporters' ratings per month of `on_time.months`, by score (1 to 5).
    pub ratings: Vec<[u64; 5]>,
}

pub async fn team_stats(db: &Db, actor: &Actor, clock: Clock) -> Result<TeamStats> {
    let team = match (actor.user.role, &actor.user.team_id) {
        (Role::Supervisor, Some(team)) => team,
        _ => return Err(Error::Forbidden),
    };
    let now = clock.millis();
    let months = Month::last(MONTHS, now);
    let pool = db.pool();
    let since = crate::domain::calendar::midnight_millis(months[0].first_day());
    // The on-time figures are the team's cells, kept as events and days change them (store::on_time): a few
    // rows per stage and month, however long the team's history.
    let tally = async {
        let cells = store::on_time::team_cells(pool, team).await?;
        let cases = store::stats::case_count(pool, team).await?;
        Ok::<_, Error>((cases, monthly_from_cells(&cells, months.clone())))
    };
    let reads = async {
        let open_statuses: Vec<&str> = OPEN.iter().map(|s| s.as_str()).collect();
        let thresholds = stats::age_thresholds(now);
        let open = store::stats::open_cases(pool, team, &open_statuses, &thresholds).await?;
        let decided = store::stats::decisions(pool, team, since).await?;
        let inspectors = store::users::team_inspectors(pool, team).await?;
        let rated = store::ratings::of_team(pool, team, since).await?;
        Ok::<_, Error>((open, decided, inspectors, rated))
    };
    let ((cases, on_time), (open, decided, inspectors, rated)) = tokio::try_join!(tally, reads)?;
    let ages: Vec<(Status, usize, u64)> = open
        .iter()
        .filter_map(|c| Some((Status::parse(&c.status)?, c.age_group, c.count as u64)))
        .collect();
    Ok(TeamStats {
        cases,
        on_time,
        open_by_age: stats::open_by_age(&ages),
        workload: workload(inspectors, &open),
        decisions: stats::decision_times(&decided, &months),
        ratings: stats::by_score(&rated, &months),
    })
}

/// The monthly figures from a team's cells: every cell in its stage's total, each in its month when it is
/// one of `months`, and a month still to come (a deadline met ahead of its day) in the last, the current
/// one, until then. Stages in the policy's order.
pub fn monthly_from_cells(cells: &[store::on_time::Cell], months: Vec<Month>) -> MonthlyOnTime {
    let last = months.last().copied();
    let mut stages: Vec<_> = Vec::new();
    for stage in crate::domain::Stage::ALL {
        let of_stage: Vec<_> = cells.iter().filter(|c| c.stage == stage).collect();
        if of_stage.is_empty() {
            continue;
        }
        let mut total = crate::domain::deadlines::OnTime::default();
        let mut monthly = vec![crate::domain::deadlines::OnTime::default(); months.len()];
        for cell in of_stage {
            total.met += cell.met;
            total.missed += cell.missed;
            let month = last.map_or(cell.month, |last| cell.month.min(last));
            if let Ok(i) = months.binary_search(&month) {
                monthly[i].met += cell.met;
                monthly[i].missed += cell.missed;
            }
        }
        stages.push((stage, total, monthly));
    }
    MonthlyOnTime { months, stages }
}

/// Counts again the reports whose on-time contribution changed with the passing of time (a deadline that
/// passed with no event), in batches; returns how many were counted.
pub async fn recount(db: &Db, clock: Clock) -> Result<usize> {
    const BATCH: i64 = 500;
    let mut total = 0;
    loop {
        let (read, counted) = store::on_time::recount_due(db.pool(), clock.millis(), BATCH).await?;
        total += counted;
        if read < BATCH as usize || counted == 0 {
            return Ok(total);
        }
    }
}

/// Open cases per assignee: the team's inspectors first (by username, with none counted), then others.
fn workload(inspectors: Vec<String>, open: &[store::stats::OpenCases]) -> Vec<(Option<String>, u64)> {
    let mut out: Vec<(Option<String>, u64)> = inspectors.into_iter().map(|name| (Some(name), 0)).collect();
    for group in open {
        let count = group.count as u64;
        match out.iter_mut().find(|(name, _)| *name == group.assignee) {
            Some((_, n)) => *n += count,
            None => out.push((group.assignee.clone(), count)),
        }
    }
    out
}
