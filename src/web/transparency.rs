//! The public transparency page (`/transparency`): the ledger's daily checkpoints (so anyone can note one
//! and later detect a rewritten history) and the figures counted with the latest, per quarter — on-time
//! per stage, reports received and concluded, commendations decided and paid, and the days from a
//! conclusion to its commendation decision — each as a chart with its table, and each table as CSV
//! (`/transparency/<figure>.csv`). Aggregates only, changing once a day; a cell of 1 to 4 cases reads
//! "< 5" (`domain::figures`), and the chart draws no bar for it.

use rocket::{get, routes, Route, State};
use rocket_dyn_templates::Template;
use serde_json::json;

use super::charts::{Chart, Scale, Series};
use super::figures::{figure, Csv, FigurePage, Table, SCORE_KEYS, TARGET_PER_MILLE};
use super::i18n::Lang;
use super::pages;
use crate::app::{self, audit};
use crate::domain::deadlines::OnTime;
use crate::domain::figures::{Cell, PublicFigures, Quarter};
use crate::store::Db;

pub fn routes() -> Vec<Route> {
    routes![get_transparency, get_transparency_csv]
}

const PAGE: FigurePage = FigurePage {
    keys: "public",
    csv: "/transparency/",
};

/// The figures of the page, by the id their section and CSV file are named after.
const FIGURES: [&str; 5] = ["on-time", "reports", "commendations", "decision-days", "ratings"];

#[get("/transparency")]
async fn get_transparency(lang: Lang, db: &State<Db>) -> app::Result<Template> {
    let published = audit::transparency(db).await?;
    let Some(latest) = published.checkpoints.first() else {
        return Ok(pages::render("public/transparency", lang, "/transparency", json!({})));
    };
    let history: Vec<_> = (published.checkpoints.iter())
        .map(|c| json!({ "day": pages::date(lang, c.day), "entries": c.entries, "hash": c.hash }))
        .collect();
    let figures = Figures::of(&published.figures, lang);
    let shown: Vec<_> = match published.figures.quarters.is_empty() {
        true => Vec::new(),
        false => FIGURES
            .iter()
            .map(|id| figure(&PAGE, id, lang, figures.chart(id), figures.table(id)))
            .collect(),
    };
    let context = json!({
        "checkpoint": true,
        "day": pages::date(lang, latest.day),
        "entries": latest.entries,
        "hash": latest.hash,
        "history": history,
        "figures": shown,
    });
    Ok(pages::render("public/transparency", lang, "/transparency", context))
}

/// One figure's table as CSV: `/transparency/on-time.csv`, `reports.csv`, `commendations.csv`,
/// `decision-days.csv` — the published cells, "< 5" included, never the hidden numbers.
#[get("/transparency/<figure>")]
async fn get_transparency_csv(lang: Lang, db: &State<Db>, figure: &str) -> app::Result<Csv> {
    let id = figure.strip_suffix(".csv").ok_or(app::Error::NotFound)?;
    if !FIGURES.contains(&id) {
        return Err(app::Error::NotFound);
    }
    let published = audit::transparency(db).await?;
    // No figures yet (no checkpoint, or one made before they were per quarter): as the page says, none.
    if published.figures.quarters.is_empty() {
        return Err(app::Error::NotFound);
    }
    let figures = Figures::of(&published.figures, lang);
    Ok(Csv::of(id, figures.table(id)))
}

/// The tables of the page, and the charts drawn from the same published cells.
struct Figures<'a> {
    figures: &'a PublicFigures,
    lang: Lang,
    quarters: Vec<String>,
    on_time: Table,
    reports: Table,
    commendations: Table,
    decision_days: Table,
    ratings: Table,
}

impl<'a> Figures<'a> {
    fn of(figures: &'a PublicFigures, lang: Lang) -> Self {
        let quarters: Vec<String> = figures.quarters.iter().map(|q| quarter_label(lang, *q)).collect();
        let fewer = lang.tr("figure-fewer");
        let count = |n: u64| Cell::of(n).count().map_or_else(|| fewer.clone(), |n| n.to_string());
        let rows = |columns: &[&[u64]]| -> Vec<Vec<String>> {
            (quarters.iter().enumerate())
                .map(|(q, label)| {
                    std::iter::once(label.clone())
                        .chain(columns.iter().map(|c| count(c.get(q).copied().unwrap_or(0))))
                        .collect()
                })
                .collect()
        };
        let head = |keys: &[&str]| -> Vec<String> {
            std::iter::once(lang.tr("public-quarter"))
                .chain(keys.iter().map(|k| lang.tr(k)))
                .collect()
        };
        let on_time = Table {
            head: std::iter::once(lang.tr("public-quarter"))
                .chain((figures.on_time.iter()).map(|s| lang.tr(&format!("stage-short-{}", s.stage))))
                .collect(),
            rows: (quarters.iter().enumerate())
                .map(|(q, label)| {
                    std::iter::once(label.clone())
                        .chain(figures.on_time.iter().map(|s| on_time_cell(lang, s.on_time(q), &fewer)))
                        .collect()
                })
                .collect(),
        };
        let reports = Table {
            head: head(&["public-received", "public-concluded"]),
            rows: rows(&[&figures.received, &figures.concluded]),
        };
        let commendations = Table {
            head: head(&["public-decided", "public-paid"]),
            rows: rows(&[&figures.decided, &figures.paid]),
        };
        let decision_days = Table {
            head: head(&["public-decided", "public-median-days"]),
            rows: (quarters.iter().enumerate())
                .map(|(q, label)| {
                    let decided = figures.decided.get(q).copied().unwrap_or(0);
                    let median = match (
                        Cell::of(decided),
                        figures.decision_median_tenths.get(q).copied().flatten(),
                    ) {
                        (Cell::Fewer, _) => fewer.clone(),
                        (Cell::Count(_), Some(t)) => pages::tenths(lang, t),
                        (Cell::Count(_), None) => "—".to_owned(),
                    };
                    vec![label.clone(), count(decided), median]
                })
                .collect(),
        };
        let by_score = by_score(figures);
        let columns: Vec<&[u64]> = by_score.iter().map(Vec::as_slice).collect();
        let ratings = Table {
            head: head(&SCORE_KEYS),
            rows: rows(&columns),
        };
        Figures {
            figures,
            lang,
            quarters,
            ratings,
            on_time,
            reports,
            commendations,
            decision_days,
        }
    }

    fn table(&self, id: &str) -> &Table {
        match id {
            "on-time" => &self.on_time,
            "reports" => &self.reports,
            "commendations" => &self.commendations,
            "ratings" => &self.ratings,
            _ => &self.decision_days,
        }
    }

    fn chart(&self, id: &str) -> Chart {
        let f = self.figures;
        let series = |keys: &[&str], columns: &[&Vec<u64>]| -> Vec<Series> {
            keys.iter()
                .zip(columns)
                .map(|(key, column)| Series {
                    name: self.lang.tr(key),
                    values: column.iter().map(|n| Cell::of(*n).count()).collect(),
                })
                .collect()
        };
        let (series, scale, target) = match id {
            "on-time" => {
                let stages = f.on_time.iter().map(|s| Series {
                    name: self.lang.tr(&format!("stage-short-{}", s.stage)),
                    values: (0..f.quarters.len()).map(|q| shown_rate(s.on_time(q))).collect(),
                });
                let target = (TARGET_PER_MILLE, self.lang.tr("stats-target"));
                (stages.collect(), Scale::PerMille, Some(target))
            }
            "reports" => (
                series(&["public-received", "public-concluded"], &[&f.received, &f.concluded]),
                Scale::Count,
                None,
            ),
            "commendations" => (
                series(&["public-decided", "public-paid"], &[&f.decided, &f.paid]),
                Scale::Count,
                None,
            ),
            "ratings" => {
                let by_score = by_score(f);
                let columns: Vec<&Vec<u64>> = by_score.iter().collect();
                (series(&SCORE_KEYS, &columns), Scale::Count, None)
            }
            _ => {
                let medians = (f.decided.iter().zip(&f.decision_median_tenths))
                    .map(|(decided, median)| median.filter(|_| Cell::of(*decided).count().is_some()));
                let days = Series {
                    name: self.lang.tr("public-median-days"),
                    values: medians.collect(),
                };
                (vec![days], Scale::Tenths, None)
            }
        };
        Chart {
            title: self.lang.tr(&format!("public-{id}")),
            categories: self.quarters.clone(),
            series,
            scale,
            target,
        }
    }
}

/// The ratings per score (five columns), each with one count per quarter.
fn by_score(figures: &PublicFigures) -> Vec<Vec<u64>> {
    (0..SCORE_KEYS.len())
        .map(|n| figures.ratings.iter().map(|q| q[n]).collect())
        .collect()
}

/// A stage's on-time rate in a quarter, when at least [`SMALLEST_SHOWN`] of its deadlines were met or
/// missed there.
///
/// [`SMALLEST_SHOWN`]: crate::domain::figures::SMALLEST_SHOWN
fn shown_rate(t: OnTime) -> Option<u64> {
    Cell::of(t.met + t.missed).count().and(t.per_mille())
}

/// A stage's on-time cell: "97,5 % (39/40)", "< 5" for 1 to 4 deadlines, "—" for none.
fn on_time_cell(lang: Lang, t: OnTime, fewer: &str) -> String {
    match (Cell::of(t.met + t.missed), shown_rate(t)) {
        (Cell::Fewer, _) => fewer.to_owned(),
        (_, Some(rate)) => format!("{} ({}/{})", pages::per_mille(lang, rate), t.met, t.met + t.missed),
        (_, None) => "—".to_owned(),
    }
}

/// "Quý 3/2026", "Q3 2026" (the year passed as text, so that it is never written with a digit separator).
fn quarter_label(lang: Lang, q: Quarter) -> String {
    lang.tr_with(
        "public-quarter-label",
        &[("quarter", q.quarter.into()), ("year", q.year.to_string().into())],
    )
}
