//! The supervisor's statistics page over `minhbach demo` data: each SVG chart, read back as XML, holds the
//! figures it claims (counted again here from the database), the table beside it the same numbers, in both
//! languages; no script, no inline style, nothing loaded from elsewhere; each table as CSV.

use std::collections::BTreeMap;

use minhbach::domain::stats::{Month, OPEN};
use minhbach::web::i18n::Lang;
use rocket::http::Status;

use crate::helpers::{Session, TestApp};

/// One bar of a chart: its series, category and value, as the SVG says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Bar {
    pub series: String,
    pub category: String,
    pub value: u64,
}

/// The `<svg>` of the figure `id` on the page.
pub(crate) fn svg_of<'a>(page: &'a str, id: &str) -> &'a str {
    let section = page
        .find(&format!("id=\"figure-{id}\""))
        .unwrap_or_else(|| panic!("figure {id} on the page"));
    let start = section + page[section..].find("<svg").expect("an svg");
    let end = start + page[start..].find("</svg>").expect("its end") + "</svg>".len();
    &page[start..end]
}

/// The bars of a chart, read as XML; fails on anything that could run or load: a script, an event
/// attribute, a `style` attribute, a link.
pub(crate) fn bars(svg: &str) -> Vec<Bar> {
    let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    let mut out = Vec::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !["script", "foreignObject", "a", "image", "use", "style"].contains(&name),
            "<{name}> in {svg}"
        );
        for attribute in node.attributes() {
            let a = attribute.name();
            assert!(!a.starts_with("on") && a != "style" && a != "href", "{a} in {svg}");
        }
        if name == "rect" && node.attribute("class").is_some_and(|c| c.starts_with("bar ")) {
            out.push(Bar {
                series: node.attribute("data-series").expect("series").to_owned(),
                category: node.attribute("data-category").expect("category").to_owned(),
                value: node.attribute("data-value").expect("value").parse().expect("a number"),
            });
        }
    }
    out.sort();
    out
}

/// The cells of the table of figure `id`: its header row, then each row.
pub(crate) fn table_of(page: &str, id: &str) -> Vec<Vec<String>> {
    let section = page.find(&format!("id=\"figure-{id}\"")).expect("figure");
    let start = section + page[section..].find("<table").expect("a table");
    let end = start + page[start..].find("</table>").expect("its end") + "</table>".len();
    let document = roxmltree::Document::parse(&page[start..end]).expect("the table is well-formed");
    document
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .map(|row| {
            row.children()
                .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
                .map(|c| c.text().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

pub(crate) async fn demo_supervisor(app: &TestApp) -> Session {
    demo_sign_in(app, "giamsat.demo").await
}

/// Fills the demo (120 reports) and signs in as one of its accounts.
pub(crate) async fn demo_sign_in(app: &TestApp, username: &str) -> Session {
    let options = minhbach::demo::Options {
        reports: 120,
        seed: 11,
        leave_overdue: false,
    };
    let summary = minhbach::demo::fill(app.db(), app.secret(), &options, &mut |_, _| {})
        .await
        .expect("the demo fills an empty database");
    let totp = app.totp(username, 0).await;
    let (status, session) = app.try_sign_in(username, &summary.password, &totp).await;
    assert_eq!(status, Status::NoContent);
    session.expect("a session")
}

/// The open cases of the supervisor's team per status and per assignee, counted in SQL.
async fn open_counts(app: &TestApp) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let pool = app.db().pool();
    let team: String = sqlx::query_scalar("SELECT team_id FROM users WHERE username = 'giamsat.demo'")
        .fetch_one(pool)
        .await
        .unwrap();
    let open: Vec<String> = OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT r.status, u.username FROM reports r LEFT JOIN users u ON u.id = r.assignee_id \
         WHERE r.team_id = $1 AND r.status IN ({})",
        open.join(", ")
    ))
    .bind(&team)
    .fetch_all(pool)
    .await
    .unwrap();
    let (mut by_status, mut by_assignee) = (BTreeMap::new(), BTreeMap::new());
    for (status, assignee) in rows {
        *by_status.entry(status).or_insert(0) += 1;
        *by_assignee.entry(assignee.unwrap_or_default()).or_insert(0) += 1;
    }
    (by_status, by_assignee)
}

/// The on-time figures per stage and month, computed here from the team's clocks.
async fn monthly_expected(app: &TestApp, lang: Lang) -> Vec<Bar> {
    let pool = app.db().pool();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT r.received_at, r.clock FROM reports r JOIN users u ON u.team_id = r.team_id \
         WHERE u.username = 'giamsat.demo'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let cases: Vec<(i64, &str)> = rows.iter().map(|(at, clock)| (*at, clock.as_str())).collect();
    let now = minhbach::app::Clock::now().millis();
    let months = Month::last(12, now);
    let (_, figures) = minhbach::domain::clock::monthly_on_time_of(&cases, now, months.clone());
    let mut out = Vec::new();
    for (stage, _, monthly) in figures.stages {
        for (month, t) in months.iter().zip(monthly) {
            if let Some(value) = t.per_mille() {
                out.push(Bar {
                    series: lang.tr(&format!("stage-short-{}", stage.as_str())),
                    category: month.label(),
                    value,
                });
            }
        }
    }
    out.sort();
    out
}

#[rocket::async_test]
async fn the_supervisors_charts_hold_the_figures_they_claim_in_both_languages() {
    let app = TestApp::spawn().await;
    let session = demo_supervisor(&app).await;
    let (by_status, assignees) = open_counts(&app).await;
    for (lang, query) in [(Lang::Vi, ""), (Lang::En, "?lang=en")] {
        let (status, page) = app.get_page(&format!("/inspector/stats{query}"), &session).await;
        assert_eq!(status, Status::Ok, "{page}");
        assert!(!page.contains("<script"), "no script on the page");

        // On time per stage and month: every bar is a figure counted again here, and every figure has its bar.
        let on_time = bars(svg_of(&page, "on-time"));
        assert!(
            on_time.len() >= 12,
            "the demo's eight months give bars in several months: {on_time:?}"
        );
        assert_eq!(on_time, monthly_expected(&app, lang).await, "{lang:?}");
        let svg = svg_of(&page, "on-time");
        assert!(
            svg.contains("<line class=\"target\"") && svg.contains("data-value=\"990\"/>"),
            "the 99 % line"
        );
        let table = table_of(&page, "on-time");
        assert_eq!(table.len(), 1 + 12, "a header and twelve months");
        for bar in &on_time {
            let row = table
                .iter()
                .find(|r| r[0] == bar.category)
                .expect("the bar's month in the table");
            let column = table[0].iter().position(|h| *h == bar.series).unwrap_or(0);
            assert!(
                column > 0,
                "the bar's stage {} in the table's head {:?}",
                bar.series,
                table[0]
            );
            let shown = minhbach_per_mille(lang, bar.value);
            assert!(row[column].starts_with(&shown), "{} in {:?}", shown, row);
        }

        // Open cases by age and stage: the bars add up to the open cases of each status.
        let open = bars(svg_of(&page, "open"));
        let mut per_status: BTreeMap<String, u64> = BTreeMap::new();
        for bar in &open {
            *per_status.entry(bar.series.clone()).or_insert(0) += bar.value;
        }
        for status in OPEN {
            let name = lang.tr(&status.message_key());
            let counted = by_status.get(status.as_str()).copied().unwrap_or(0);
            assert_eq!(per_status.get(&name).copied().unwrap_or(0), counted, "{name}");
        }
        assert!(by_status.values().sum::<u64>() > 0, "the demo has open cases");

        // Workload: one bar per assignee with open cases, as counted in SQL.
        let workload = bars(svg_of(&page, "workload"));
        let by_assignee: BTreeMap<String, u64> = assignees
            .clone()
            .into_iter()
            .map(|(name, n)| {
                (
                    if name.is_empty() {
                        lang.tr("stats-unassigned")
                    } else {
                        name
                    },
                    n,
                )
            })
            .collect();
        for (assignee, n) in &by_assignee {
            let bar = workload
                .iter()
                .find(|b| &b.category == assignee)
                .expect("a bar per assignee");
            assert_eq!(bar.value, *n, "{assignee}");
        }
        assert!(workload
            .iter()
            .all(|b| by_assignee.contains_key(&b.category) || b.value == 0));

        // Decision times: a bar per month with decisions.
        let decisions = bars(svg_of(&page, "decisions"));
        let table = table_of(&page, "decisions");
        let decided: u64 = table[1..].iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
        assert!(decided > 0, "the demo decides commendations: {table:?}");
        assert_eq!(decisions.len(), table[1..].iter().filter(|r| r[1] != "0").count());
    }
}

/// A share as the page writes it.
fn minhbach_per_mille(lang: Lang, value: u64) -> String {
    match lang {
        Lang::Vi => format!("{},{}\u{a0}%", value / 10, value % 10),
        Lang::En => format!("{}.{}%", value / 10, value % 10),
    }
}

#[rocket::async_test]
async fn each_table_downloads_as_csv_for_the_supervisor_only() {
    let app = TestApp::spawn().await;
    let session = demo_supervisor(&app).await;
    let (_, page) = app.get_page("/inspector/stats", &session).await;
    for id in ["on-time", "open", "workload", "decisions"] {
        let response = app
            .client
            .get(format!("/inspector/stats/{id}.csv"))
            .cookie(session.0.clone())
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "{id}");
        assert_eq!(
            response.content_type().map(|t| t.to_string()).as_deref(),
            Some("text/csv; charset=utf-8")
        );
        let disposition = response.headers().get_one("Content-Disposition").map(str::to_owned);
        assert_eq!(disposition, Some(format!("attachment; filename=\"{id}.csv\"")));
        let body = response.into_string().await.unwrap();
        let body = body.strip_prefix('\u{feff}').expect("a byte-order mark");
        let lines: Vec<&str> = body.split_terminator("\r\n").collect();
        let table = table_of(&page, id);
        assert_eq!(lines.len(), table.len(), "{id}: one line per row of the page's table");
        assert!(lines[0].starts_with(&table[0][0]), "{id}: {}", lines[0]);
    }
    let (status, _) = app.get_page("/inspector/stats/ledger.csv", &session).await;
    assert_eq!(status, Status::NotFound);
    let (status, _) = app.get_page("/inspector/stats/on-time", &session).await;
    assert_eq!(status, Status::NotFound);
    // An inspector has no team figures.
    app.add_user("inspector", "inspector", None, None).await;
    let session = app.sign_in("inspector").await;
    assert_eq!(
        app.get_page("/inspector/stats/on-time.csv", &session).await.0,
        Status::Forbidden
    );
}

/// Every team's on-time figures computed here from all its cases' clocks, as of `now`, for `months`
/// (stages with nothing met or missed left out: the cells hold none).
async fn from_clocks(app: &TestApp, team: &str, now: i64, months: &[Month]) -> minhbach::domain::stats::MonthlyOnTime {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT received_at, clock FROM reports WHERE team_id = $1")
        .bind(team)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let cases: Vec<(i64, &str)> = rows.iter().map(|(at, clock)| (*at, clock.as_str())).collect();
    let (_, mut figures) = minhbach::domain::clock::monthly_on_time_of(&cases, now, months.to_vec());
    figures.stages.retain(|(_, total, _)| total.met + total.missed > 0);
    figures
}

async fn from_cells(app: &TestApp, team: &str, months: &[Month]) -> minhbach::domain::stats::MonthlyOnTime {
    let team = minhbach::domain::ids::TeamId::from(team);
    let cells = minhbach::store::on_time::team_cells(app.db().pool(), &team)
        .await
        .unwrap();
    minhbach::app::stats::monthly_from_cells(&cells, months.to_vec())
}

#[rocket::async_test]
async fn the_kept_on_time_cells_equal_the_figures_from_every_clock_as_days_pass_and_under_a_recount() {
    use minhbach::app::Clock;
    let app = TestApp::spawn().await;
    demo_supervisor(&app).await;
    let pool = app.db().pool();
    let team: String = sqlx::query_scalar("SELECT team_id FROM users WHERE username = 'giamsat.demo'")
        .fetch_one(pool)
        .await
        .unwrap();
    let now = Clock::now().millis();
    let months = Month::last(12, now);
    let expected = from_clocks(&app, &team, now, &months).await;
    // A control that the comparison compares something: the demo's history met and missed deadlines.
    let decided: u64 = expected.stages.iter().map(|(_, t, _)| t.met + t.missed).sum();
    assert!(decided > 100, "{decided} deadlines decided in the demo");
    assert_eq!(
        from_cells(&app, &team, &months).await,
        expected,
        "right after the events"
    );

    // Forty days on with no event: deadlines that ran out are missed once the background task counts the
    // reports whose day came, and only those.
    let later = now + 40 * 86_400_000;
    let due = minhbach::store::on_time::due_count(pool, later).await.unwrap();
    let counted = minhbach::app::stats::recount(app.db(), Clock::at(later)).await.unwrap();
    assert!(due > 0 && counted as i64 == due, "{counted} counted of {due} due");
    let months_later = Month::last(12, later);
    let expected_later = from_clocks(&app, &team, later, &months_later).await;
    assert_ne!(expected_later, expected, "the control: forty days change the figures");
    assert_eq!(
        from_cells(&app, &team, &months_later).await,
        expected_later,
        "forty days on"
    );
    assert_eq!(
        minhbach::app::stats::recount(app.db(), Clock::at(later)).await.unwrap(),
        0,
        "nothing twice"
    );

    // Under another policy everything is counted again, to the same figures.
    sqlx::query("UPDATE on_time_policy SET policy = 'another'")
        .execute(pool)
        .await
        .unwrap();
    let fingerprint = minhbach::store::on_time::policy_fingerprint(minhbach::domain::policy::Policy::active());
    assert!(minhbach::store::on_time::reset_if_policy_changed(pool, &fingerprint)
        .await
        .unwrap());
    assert!(
        from_cells(&app, &team, &months_later).await.stages.is_empty(),
        "emptied"
    );
    minhbach::app::stats::recount(app.db(), Clock::at(later)).await.unwrap();
    assert_eq!(
        from_cells(&app, &team, &months_later).await,
        expected_later,
        "counted again"
    );
}
