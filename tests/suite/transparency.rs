//! The public transparency page's figures per quarter (issue 13): each chart holds the cells it claims
//! (counted again here in SQL over `minhbach demo` data), a cell of 1 to 4 cases reads "< 5" with no bar,
//! and the hidden number cannot be recovered from anything the figures publish: two databases that differ
//! only in it publish the same figures, byte for byte.

use minhbach::domain::calendar::{local_date, midnight_millis};
use minhbach::domain::figures::Quarter;
use minhbach::web::i18n::Lang;
use rocket::http::Status;

use crate::helpers::TestApp;
use crate::stats::{bars, svg_of, table_of, Bar};

/// The quarter label the page writes.
fn label(lang: Lang, q: Quarter) -> String {
    match lang {
        Lang::Vi => format!("Quý {}/{}", q.quarter, q.year),
        Lang::En => format!("Q{} {}", q.quarter, q.year),
    }
}

/// The figures the public page publishes: every figure section of the page (charts, tables, hints) and
/// every CSV. The checkpoint's ledger count and hash are left out: they count ledger entries of every kind
/// (`SECURITY.md` says what they reveal).
async fn published(app: &TestApp) -> Vec<String> {
    let page = app.get("/transparency").await.into_string().await.unwrap_or_default();
    let start = page.find("id=\"figure-").expect("figures on the page");
    let end = page.find("id=\"history\"").expect("the checkpoints' history");
    let mut out = vec![page[start..end].to_owned()];
    for id in ["on-time", "reports", "commendations", "decision-days"] {
        let response = app.get(&format!("/transparency/{id}.csv")).await;
        assert_eq!(response.status(), Status::Ok, "{id}.csv");
        out.push(response.into_string().await.unwrap_or_default());
    }
    out
}

/// A database with `earlier` reports received in the middle of the previous quarter and `current` today,
/// and tomorrow's checkpoint made over it.
async fn crafted(earlier: usize, current: usize) -> (TestApp, Quarter) {
    let app = TestApp::spawn().await;
    let quarter = Quarter::of(local_date(minhbach::store::now_millis())).previous();
    let middle = quarter.months()[1].first_day() + time::Duration::days(14);
    let at = midnight_millis(middle) + 10 * 3_600_000;
    for i in 0..earlier + current {
        let code = app.submit("Cán bộ phường nhận tiền để làm nhanh hồ sơ.").await;
        if i < earlier {
            sqlx::query("UPDATE reports SET received_at = $1 WHERE id = $2")
                .bind(at)
                .bind(app.report_id(&code).await)
                .execute(app.db().pool())
                .await
                .expect("moved to the previous quarter");
        }
    }
    assert!(app.publish_checkpoint(1).await);
    (app, quarter)
}

#[rocket::async_test]
async fn a_cell_of_one_to_four_reads_fewer_than_five_and_nothing_published_recovers_it() {
    let (three, quarter) = crafted(3, 6).await;
    let (four, _) = crafted(4, 6).await;
    let (five, _) = crafted(5, 6).await;
    let current = Quarter::of(local_date(minhbach::store::now_millis()));

    let page = three.get("/transparency").await.into_string().await.unwrap_or_default();
    let table = table_of(&page, "reports");
    let row = |q: Quarter| table.iter().find(|r| r[0] == label(Lang::Vi, q)).cloned();
    assert_eq!(
        row(quarter),
        Some(vec![label(Lang::Vi, quarter), "< 5".into(), "0".into()]),
        "{table:?}"
    );
    assert_eq!(
        row(current),
        Some(vec![label(Lang::Vi, current), "6".into(), "0".into()])
    );
    let drawn = bars(svg_of(&page, "reports"));
    let received = |category: String| Bar {
        series: "Tiếp nhận".into(),
        category,
        value: 6,
    };
    assert_eq!(
        drawn
            .iter()
            .filter(|b| b.series == "Tiếp nhận")
            .cloned()
            .collect::<Vec<_>>(),
        vec![received(label(Lang::Vi, current))],
        "no bar for the hidden quarter: {drawn:?}"
    );
    let on_time = table_of(&page, "on-time");
    assert!(
        on_time
            .iter()
            .any(|r| r[0] == label(Lang::Vi, quarter) && r[1] == "< 5"),
        "three triage deadlines missed in the quarter read < 5: {on_time:?}"
    );

    // 3 and 4 hidden reports publish the same figures; 5 is shown (the positive control).
    let (with_three, with_four, with_five) = (published(&three).await, published(&four).await, published(&five).await);
    assert_eq!(with_three, with_four, "the hidden number changed a published figure");
    assert_ne!(with_three, with_five);
    let page = five.get("/transparency").await.into_string().await.unwrap_or_default();
    assert!(table_of(&page, "reports").contains(&vec![label(Lang::Vi, quarter), "5".into(), "0".into()]));
    println!(
        "public figures: 3 and 4 reports in a quarter publish identical figures and CSV ({} bytes); 5 shows as 5",
        with_three.iter().map(String::len).sum::<usize>()
    );
}

/// Reports received per quarter, commendations decided and paid per quarter, counted in SQL.
async fn quarter_counts(app: &TestApp, quarters: &[Quarter]) -> Vec<[i64; 3]> {
    let mut out = Vec::new();
    for q in quarters {
        let next = match q.quarter {
            4 => Quarter {
                year: q.year + 1,
                quarter: 1,
            },
            n => Quarter {
                year: q.year,
                quarter: n + 1,
            },
        };
        let (from, to) = (
            midnight_millis(q.months()[0].first_day()),
            midnight_millis(next.months()[0].first_day()),
        );
        let count = |sql: &'static str| {
            let pool = app.db().pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(from)
                    .bind(to)
                    .fetch_one(&pool)
                    .await
                    .expect("a count")
            }
        };
        out.push([
            count("SELECT COUNT(*) FROM reports WHERE received_at >= $1 AND received_at < $2").await,
            count("SELECT COUNT(*) FROM commendations WHERE decided_at >= $1 AND decided_at < $2").await,
            count("SELECT COUNT(*) FROM commendations WHERE paid_at >= $1 AND paid_at < $2").await,
        ]);
    }
    out
}

/// Over demo data, in both languages: each count chart draws a bar for each cell of 5 or more with the SQL
/// count, none for 1 to 4, and the table says the same ("< 5" where hidden); the CSV is the table.
#[rocket::async_test]
async fn the_public_charts_over_demo_data_hold_the_published_cells() {
    let app = TestApp::spawn().await;
    let options = minhbach::demo::Options {
        reports: 120,
        seed: 11,
        leave_overdue: false,
    };
    minhbach::demo::fill(app.db(), app.secret(), &options, &mut |_, _| {})
        .await
        .expect("the demo fills an empty database");
    assert!(app.publish_checkpoint(1).await);
    let figures = minhbach::app::audit::transparency(app.db())
        .await
        .expect("published")
        .figures;
    let quarters = figures.quarters.clone();
    assert!(quarters.len() >= 2, "the demo spans quarters: {quarters:?}");
    let counts = quarter_counts(&app, &quarters).await;
    let (mut shown, mut hidden) = (0, 0);
    for lang in [Lang::Vi, Lang::En] {
        let page = app
            .get(&format!("/transparency{}", lang.query()))
            .await
            .into_string()
            .await
            .unwrap();
        for (id, series, key) in [
            ("reports", 0, "public-received"),
            ("commendations", 1, "public-decided"),
            ("commendations", 2, "public-paid"),
        ] {
            let name = lang.tr(key);
            let drawn: Vec<Bar> = bars(svg_of(&page, id))
                .into_iter()
                .filter(|b| b.series == name)
                .collect();
            let table = table_of(&page, id);
            let column = table[0].iter().position(|h| *h == name).expect("the series' column");
            for (q, count) in quarters.iter().zip(&counts) {
                let n = count[series];
                let bar = drawn.iter().find(|b| b.category == label(lang, *q));
                let cell = &table
                    .iter()
                    .find(|r| r[0] == label(lang, *q))
                    .expect("the quarter's row")[column];
                if (1..5).contains(&n) {
                    assert!(
                        bar.is_none() && cell == "< 5",
                        "{id} {q:?}: {n} drawn {bar:?}, cell {cell}"
                    );
                    hidden += 1;
                } else {
                    let value = bar.map_or(0, |b| b.value as i64);
                    assert_eq!((value, cell.clone()), (n, n.to_string()), "{id} {name} {q:?}");
                    shown += 1;
                }
            }
        }
        let csv = app.get(&format!("/transparency/reports.csv{}", lang.query())).await;
        assert_eq!(
            csv.content_type().map(|c| c.to_string()),
            Some("text/csv; charset=utf-8".into())
        );
        let csv = csv.into_string().await.unwrap();
        let rows: Vec<Vec<String>> = csv
            .trim_start_matches('\u{feff}')
            .lines()
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect();
        assert_eq!(rows, table_of(&page, "reports"), "the CSV is the table");
    }
    assert!(shown > 0, "some cells are shown");
    assert_eq!(app.get("/transparency/nothing.csv").await.status(), Status::NotFound);
    assert_eq!(app.get("/transparency/reports").await.status(), Status::NotFound);
    println!("public charts over demo data: {shown} cells drawn with their SQL counts, {hidden} hidden as < 5");
}
