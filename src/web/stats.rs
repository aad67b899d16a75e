//! The supervisor's statistics page (`/inspector/stats`): each figure as an SVG chart drawn here
//! (`charts.rs`) with the same numbers in a table beside it, and each table as CSV
//! (`/inspector/stats/<figure>.csv`). Supervisors only: the figures are their team's.

use rocket::{get, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

use super::charts::{Chart, Scale, Series};
use super::figures::{figure, Csv, FigurePage, Table, SCORE_KEYS, TARGET_PER_MILLE};
use super::i18n::Lang;
use super::inspector::staff_context;
use super::pages;
use super::session::Staff;
use crate::app::stats::{team_stats, TeamStats};
use crate::app::{self, Clock};
use crate::domain::stats::AGE_GROUPS;
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![get_stats, get_stats_csv]
}

const PAGE: FigurePage = FigurePage {
    keys: "stats",
    csv: "/inspector/stats/",
};

#[get("/stats")]
async fn get_stats(staff: Staff, lang: Lang, db: &State<Db>) -> app::Result<Template> {
    let stats = team_stats(db, &staff, Clock::now()).await?;
    let tables = Tables::of(&stats, lang);
    let context = json!({
        "staff": staff_context(&staff, lang),
        "cases": stats.cases,
        "on_time": totals(&stats, lang),
        "figures": [
            figure(&PAGE, "on-time", lang, tables.on_time_chart(lang), &tables.on_time),
            figure(&PAGE, "open", lang, tables.open_chart(lang), &tables.open),
            figure(&PAGE, "workload", lang, tables.workload_chart(lang), &tables.workload),
            figure(&PAGE, "decisions", lang, tables.decisions_chart(lang), &tables.decisions),
            figure(&PAGE, "ratings", lang, tables.ratings_chart(lang), &tables.ratings),
        ],
    });
    Ok(pages::render("inspector/stats", lang, "/inspector/stats", context))
}

/// One figure's table as CSV: `/inspector/stats/on-time.csv`, `open.csv`, `workload.csv`, `decisions.csv`.
#[get("/stats/<figure>")]
async fn get_stats_csv(staff: Staff, lang: Lang, db: &State<Db>, figure: &str) -> app::Result<Csv> {
    let id = figure.strip_suffix(".csv").ok_or(app::Error::NotFound)?;
    if !FIGURES.contains(&id) {
        return Err(app::Error::NotFound);
    }
    let stats = team_stats(db, &staff, Clock::now()).await?;
    let tables = Tables::of(&stats, lang);
    let table = match id {
        "on-time" => &tables.on_time,
        "open" => &tables.open,
        "workload" => &tables.workload,
        "ratings" => &tables.ratings,
        _ => &tables.decisions,
    };
    Ok(Csv::of(id, table))
}

/// The figures of the page, by the id their section and CSV file are named after.
const FIGURES: [&str; 5] = ["on-time", "open", "workload", "decisions", "ratings"];

/// The totals per stage over every deadline of the team, as before the charts.
fn totals(stats: &TeamStats, lang: Lang) -> Vec<Value> {
    stats
        .on_time
        .stages
        .iter()
        .map(|(stage, t, _)| {
            json!({
                "stage": lang.tr(&stage.message_key()),
                "met": t.met,
                "missed": t.missed,
                "rate": t.per_mille().map(|p| pages::per_mille(lang, p)),
            })
        })
        .collect()
}

/// Every figure's table, and the charts drawn from the same numbers.
struct Tables<'a> {
    stats: &'a TeamStats,
    months: Vec<String>,
    on_time: Table,
    open: Table,
    workload: Table,
    decisions: Table,
    ratings: Table,
}

impl<'a> Tables<'a> {
    fn of(stats: &'a TeamStats, lang: Lang) -> Self {
        let months: Vec<String> = stats.on_time.months.iter().map(|m| m.label()).collect();
        let dash = || "—".to_owned();
        let on_time = Table {
            head: std::iter::once(lang.tr("stats-month"))
                .chain((stats.on_time.stages.iter()).map(|(s, _, _)| lang.tr(&format!("stage-short-{}", s.as_str()))))
                .collect(),
            rows: months
                .iter()
                .enumerate()
                .map(|(m, label)| {
                    std::iter::once(label.clone())
                        .chain(stats.on_time.stages.iter().map(|(_, _, monthly)| {
                            let t = monthly[m];
                            t.per_mille().map_or_else(dash, |p| {
                                format!("{} ({}/{})", pages::per_mille(lang, p), t.met, t.met + t.missed)
                            })
                        }))
                        .collect()
                })
                .collect(),
        };
        let open = Table {
            head: std::iter::once(lang.tr("stats-status"))
                .chain(AGE_GROUPS.iter().map(|g| age_label(lang, *g)))
                .chain(std::iter::once(lang.tr("stats-total")))
                .collect(),
            rows: stats
                .open_by_age
                .iter()
                .map(|(status, groups)| {
                    std::iter::once(pages::status_name(lang, status.as_str()))
                        .chain(groups.iter().map(u64::to_string))
                        .chain(std::iter::once(groups.iter().sum::<u64>().to_string()))
                        .collect()
                })
                .collect(),
        };
        let workload = Table {
            head: vec![lang.tr("stats-inspector"), lang.tr("stats-open-cases")],
            rows: stats
                .workload
                .iter()
                .map(|(name, n)| vec![inspector_label(lang, name.as_deref()), n.to_string()])
                .collect(),
        };
        let decisions = Table {
            head: vec![
                lang.tr("stats-month"),
                lang.tr("stats-decided"),
                lang.tr("stats-median-days"),
            ],
            rows: months
                .iter()
                .zip(&stats.decisions)
                .map(|(label, d)| {
                    vec![
                        label.clone(),
                        d.decided.to_string(),
                        d.median_tenths.map_or_else(dash, |t| pages::tenths(lang, t)),
                    ]
                })
                .collect(),
        };
        Tables {
            stats,
            ratings: ratings_table(stats, &months, lang),
            months,
            on_time,
            open,
            workload,
            decisions,
        }
    }

    fn on_time_chart(&self, lang: Lang) -> Chart {
        Chart {
            title: lang.tr("stats-on-time"),
            categories: self.months.clone(),
            series: self
                .stats
                .on_time
                .stages
                .iter()
                .map(|(stage, _, monthly)| Series {
                    name: lang.tr(&format!("stage-short-{}", stage.as_str())),
                    values: monthly.iter().map(|t| t.per_mille()).collect(),
                })
                .collect(),
            scale: Scale::PerMille,
            target: Some((TARGET_PER_MILLE, lang.tr("stats-target"))),
        }
    }

    fn open_chart(&self, lang: Lang) -> Chart {
        Chart {
            title: lang.tr("stats-open"),
            categories: AGE_GROUPS.iter().map(|g| age_label(lang, *g)).collect(),
            series: self
                .stats
                .open_by_age
                .iter()
                .map(|(status, groups)| Series {
                    name: pages::status_name(lang, status.as_str()),
                    values: groups.iter().map(|n| Some(*n)).collect(),
                })
                .collect(),
            scale: Scale::Count,
            target: None,
        }
    }

    fn workload_chart(&self, lang: Lang) -> Chart {
        Chart {
            title: lang.tr("stats-workload"),
            categories: self
                .stats
                .workload
                .iter()
                .map(|(name, _)| inspector_label(lang, name.as_deref()))
                .collect(),
            series: vec![Series {
                name: lang.tr("stats-open-cases"),
                values: self.stats.workload.iter().map(|(_, n)| Some(*n)).collect(),
            }],
            scale: Scale::Count,
            target: None,
        }
    }

    fn decisions_chart(&self, lang: Lang) -> Chart {
        Chart {
            title: lang.tr("stats-decisions"),
            categories: self.months.clone(),
            series: vec![Series {
                name: lang.tr("stats-median-days"),
                values: self.stats.decisions.iter().map(|d| d.median_tenths).collect(),
            }],
            scale: Scale::Tenths,
            target: None,
        }
    }
}

impl Tables<'_> {
    fn ratings_chart(&self, lang: Lang) -> Chart {
        Chart {
            title: lang.tr("stats-ratings"),
            categories: self.months.clone(),
            series: (SCORE_KEYS.iter().enumerate())
                .map(|(n, key)| Series {
                    name: lang.tr(key),
                    values: self.stats.ratings.iter().map(|r| Some(r[n])).collect(),
                })
                .collect(),
            scale: Scale::Count,
            target: None,
        }
    }
}

/// The ratings per month, by score.
fn ratings_table(stats: &TeamStats, months: &[String], lang: Lang) -> Table {
    Table {
        head: std::iter::once(lang.tr("stats-month"))
            .chain(SCORE_KEYS.iter().map(|k| lang.tr(k)))
            .collect(),
        rows: (months.iter().zip(&stats.ratings))
            .map(|(label, r)| {
                std::iter::once(label.clone())
                    .chain(r.iter().map(u64::to_string))
                    .collect()
            })
            .collect(),
    }
}

fn age_label(lang: Lang, (first, last): (u32, Option<u32>)) -> String {
    match last {
        Some(last) => lang.tr_with("stats-age", &[("first", first.into()), ("last", last.into())]),
        None => lang.tr_with("stats-age-more", &[("first", first.into())]),
    }
}

fn inspector_label(lang: Lang, name: Option<&str>) -> String {
    name.map_or_else(|| lang.tr("stats-unassigned"), str::to_owned)
}
