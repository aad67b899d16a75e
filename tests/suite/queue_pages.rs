//! The case queue pages by cursor (issue 14): each page's links carry the row it ends or starts at, so a deep
//! page is read from the index position instead of skipping rows. Walking the team's queue forward and back
//! through the links must give every case once, in the order SQL gives them.

use rocket::http::Status;
use serde_json::Value;

use crate::helpers::{urlencode, Session, TestApp};
use crate::stats::{demo_sign_in, demo_supervisor};

/// The team's cases in queue order, read with SQL: the reference.
async fn team_cases_in_order(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT r.id FROM reports r JOIN users u ON u.team_id = r.team_id \
         WHERE u.username = 'giamsat.demo' ORDER BY r.received_at, r.id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

fn ids(body: &Value) -> Vec<String> {
    ids_in(body, "cases")
}

fn ids_in(body: &Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Follows `side` (`next` or `prev`) from `start` until it is `null`: the pages' ids and their numbers.
async fn walk(app: &TestApp, session: &Session, start: Value, side: &str) -> (Vec<Vec<String>>, Vec<i64>) {
    walk_queue(app, session, ("/api/v1/cases", "cases"), start, side).await
}

/// The same over the queue at `path`, whose rows are in `list`.
async fn walk_queue(
    app: &TestApp,
    session: &Session,
    (path, list): (&str, &str),
    start: Value,
    side: &str,
) -> (Vec<Vec<String>>, Vec<i64>) {
    let param = if side == "next" { "after" } else { "before" };
    let (mut pages, mut numbers, mut body) = (Vec::new(), Vec::new(), start);
    loop {
        pages.push(ids_in(&body, list));
        numbers.push(body["page"].as_i64().expect("a page number"));
        let Some(cursor) = body[side].as_str().map(str::to_owned) else {
            break;
        };
        let step = if side == "next" { 1 } else { -1 };
        let query = format!(
            "{path}?{param}={}&page={}",
            urlencode(&cursor),
            numbers[numbers.len() - 1] + step
        );
        let (status, next) = app.staff_get(&query, session).await;
        assert_eq!(status, Status::Ok, "{next}");
        body = next;
        assert!(pages.len() < 100, "the walk ends");
    }
    (pages, numbers)
}

#[rocket::async_test]
async fn the_queue_walked_by_its_links_gives_every_case_once_in_order_both_ways() {
    let app = TestApp::spawn().await;
    let session = demo_supervisor(&app).await;
    let expected = team_cases_in_order(&app).await;
    assert!(
        expected.len() > 100,
        "the control: three pages at least ({})",
        expected.len()
    );

    let (status, first) = app.get_cases(&session, "").await;
    assert_eq!(status, Status::Ok, "{first}");
    let pages_count = first["pages"].as_i64().expect("pages");
    assert!(first["prev"].is_null(), "nothing before the first page");
    let (forward, numbers) = walk(&app, &session, first.clone(), "next").await;
    assert_eq!(forward.concat(), expected, "forward: every case once, in order");
    assert!(forward.iter().all(|p| p.len() <= 50), "50 rows a page at most");
    assert_eq!(numbers, (1..=pages_count).collect::<Vec<_>>(), "each page numbered");

    // Back from the last page to the first.
    let (status, last) = app
        .get_cases(
            &session,
            &format!(
                "page={pages_count}&after={}",
                urlencode(first["next"].as_str().expect("a next"))
            ),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let mut tail = app.get_cases(&session, &format!("page={pages_count}")).await.1;
    assert_eq!(
        ids(&tail),
        forward[forward.len() - 1],
        "a page number alone skips to it"
    );
    assert_eq!(
        ids(&last),
        forward[1],
        "after the first page's last row: the second page"
    );
    tail["page"] = Value::from(pages_count);
    let (backward, numbers) = walk(&app, &session, tail, "prev").await;
    let mut backward = backward;
    backward.reverse();
    assert_eq!(backward.concat(), expected, "backward: every case once, in order");
    assert_eq!(numbers.last(), Some(&1), "back at page 1");

    // The page itself links the same way.
    let (status, html) = app.get_page("/inspector", &session).await;
    assert_eq!(status, Status::Ok);
    let pager = html.split("class=\"pager\"").nth(1).unwrap_or_default();
    let pager = pager
        .split("</p>")
        .next()
        .unwrap_or_default()
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    assert!(pager.contains("after="), "the next link carries a cursor: {pager}");
    assert!(html.contains(&format!("Trang 1 / {pages_count}")), "the page number");
}

#[rocket::async_test]
async fn a_damaged_page_link_is_refused_in_the_readers_language() {
    let app = TestApp::spawn().await;
    let session = demo_supervisor(&app).await;
    for query in [
        "after=abc",
        "before=12.",
        "after=1.%C3%A9",
        "after=99999999999999999999.ab",
    ] {
        let (status, body) = app.get_cases(&session, query).await;
        assert_eq!(status, Status::UnprocessableEntity, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid", "{query}: {body}");
        let field = if query.starts_with("after") { "after" } else { "before" };
        assert_eq!(
            body["error"]["fields"][field], "Liên kết trang này bị hỏng. Hãy mở lại hàng đợi từ trình đơn.",
            "{query}: {body}"
        );
    }
    let (status, html) = app.get_page("/inspector?after=abc", &session).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(html.contains("Liên kết trang này bị hỏng."), "{html}");
    // The control: a cursor of the server's own shape, past every row, is an empty last page.
    let (status, body) = app.get_cases(&session, "after=9999999999999.ffff").await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!((ids(&body).len(), body["next"].is_null()), (0, true));
}

const DAY: i64 = 86_400_000;

/// Commendations for the reports that have none, written with SQL as a database of an earlier version
/// holds them (not placed in the officer's queue): pending with and without a proposal, claimed and paid,
/// each with its clock entries on the report, so that their deadlines differ from their opening order.
async fn add_unplaced_commendations(app: &TestApp) {
    let pool = app.db().pool();
    let reports: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, received_at FROM reports WHERE id NOT IN (SELECT report_id FROM commendations) ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(reports.len() > 50, "reports without a commendation: {}", reports.len());
    for (i, (id, received)) in reports.iter().enumerate() {
        let i = i as i64;
        let opened = received + (i % 9 + 1) * DAY;
        let proposed = (i % 4 != 0).then_some(opened + (i % 13) * DAY);
        let status = ["pending", "pending", "claimed", "paid"][(i % 4) as usize];
        sqlx::query(
            "INSERT INTO commendations (report_id, status, scheme, currency, conclusion, opened_at, \
             key_for_reporter, updated_at, proposed_at) \
             VALUES ($1, $2, 'vn_ttlt_01_2015', 'VND', 'substantiated', $3, $4, $3, $5)",
        )
        .bind(id)
        .bind(status)
        .bind(opened)
        .bind(vec![0u8; 16])
        .bind(proposed)
        .execute(pool)
        .await
        .unwrap();
        let mut clock = format!("{opened}:o::0;");
        if let Some(at) = proposed {
            clock.push_str(&format!("{at}:p::1;"));
        }
        sqlx::query("UPDATE reports SET clock = clock || $1 WHERE id = $2")
            .bind(clock)
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE commendations SET queue_rank = NULL, queue_due = NULL")
        .execute(pool)
        .await
        .unwrap();
}

/// The officer's queue as it was sorted in memory before it kept its order, read with SQL and ordered
/// here: those waiting for an officer first, by their current deadline (none first), then by opening.
async fn officer_queue_in_order(app: &TestApp) -> Vec<String> {
    use minhbach::domain::commendation::{current_deadline, State};
    let rows: Vec<(String, String, Option<i64>, i64, i64, String)> = sqlx::query_as(
        "SELECT c.report_id, c.status, c.proposed_at, c.opened_at, r.received_at, r.clock \
         FROM commendations c JOIN reports r ON r.id = c.report_id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let now = minhbach::store::now_millis();
    let mut keyed: Vec<_> = rows
        .into_iter()
        .map(|(id, status, proposed, opened, received, clock)| {
            let state = State::parse(&status).expect("a state");
            let deadlines = minhbach::domain::clock::deadlines_of_clock(received, &clock, now);
            let due = current_deadline(state, proposed.is_some(), &deadlines).map(|d| d.due);
            (!state.awaits_officer(), due, opened, id)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, _, id)| id).collect()
}

const OFFICER_QUEUE: (&str, &str) = ("/api/v1/commendations", "commendations");

#[rocket::async_test]
async fn the_officer_queue_walked_by_its_links_is_the_order_it_had_in_memory_and_follows_each_step() {
    let app = TestApp::spawn().await;
    let officer = demo_sign_in(&app, "thiduakt.demo").await;
    add_unplaced_commendations(&app).await;
    let expected = officer_queue_in_order(&app).await;
    assert!(expected.len() > 100, "three pages at least ({})", expected.len());

    // The control: unplaced, the walk does not give the queue's order (rows without a place are left off
    // the pages read from a key).
    let first = app.staff_get(OFFICER_QUEUE.0, &officer).await.1;
    let (unplaced, _) = walk_queue(&app, &officer, OFFICER_QUEUE, first, "next").await;
    assert_ne!(unplaced.concat(), expected, "the control: not placed, not in order");

    let placed = minhbach::store::commendations::place_unplaced(app.db().pool())
        .await
        .unwrap();
    assert_eq!(placed, expected.len(), "every commendation placed once");
    let (status, first) = app.staff_get(OFFICER_QUEUE.0, &officer).await;
    assert_eq!(status, Status::Ok, "{first}");
    let (forward, numbers) = walk_queue(&app, &officer, OFFICER_QUEUE, first.clone(), "next").await;
    assert_eq!(forward.concat(), expected, "forward: every commendation once, in order");
    assert_eq!(numbers, (1..=first["pages"].as_i64().unwrap()).collect::<Vec<_>>());
    let last = app
        .staff_get(&format!("{}?page={}", OFFICER_QUEUE.0, numbers.len()), &officer)
        .await
        .1;
    let (backward, _) = walk_queue(&app, &officer, OFFICER_QUEUE, last, "prev").await;
    assert_eq!(
        backward.into_iter().rev().collect::<Vec<_>>().concat(),
        expected,
        "backward"
    );

    // A real step moves its commendation: the demo's first pending one (the rows added above have no key
    // grants) gets its proposal recorded (the decision's deadline follows) or, if it has one, its decision
    // (it waits for the officer no more); the queue follows in the step's own transaction.
    let (pending, proposed, form): (String, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT c.report_id, c.proposed_amount, c.proposed_form FROM commendations c WHERE c.status = 'pending' \
         AND EXISTS (SELECT 1 FROM commendation_grants g WHERE g.report_id = c.report_id) ORDER BY c.report_id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("the demo leaves a pending commendation");
    let (status, answer) = match proposed {
        None => {
            let body = serde_json::json!({ "recovered": 0, "form": "ministry_certificate", "evidence": "KL 9/KL-TTr" });
            app.post_proposal(&officer, &pending, &body).await
        }
        Some(amount) => {
            let body = serde_json::json!({ "form": form.unwrap_or_else(|| "money".into()), "amount": amount });
            app.post_decision(&officer, &pending, &body).await
        }
    };
    assert_eq!(status, Status::Ok, "{answer}");
    let moved = officer_queue_in_order(&app).await;
    assert_ne!(moved, expected, "the control: the proposal changed the order");
    let first = app.staff_get(OFFICER_QUEUE.0, &officer).await.1;
    let (after_step, _) = walk_queue(&app, &officer, OFFICER_QUEUE, first, "next").await;
    assert_eq!(after_step.concat(), moved, "the queue after the step");

    // The page links the same way, and a damaged link is refused.
    let (status, html) = app.get_page("/officer", &officer).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.replace("&#x3D;", "=").contains("after="),
        "the next link carries a cursor"
    );
    let (status, body) = app
        .staff_get(&format!("{}?after=1.2.ab", OFFICER_QUEUE.0), &officer)
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(
        body["error"]["fields"]["after"],
        "Liên kết trang này bị hỏng. Hãy mở lại hàng đợi từ trình đơn."
    );
}
