//! The route inventory (SECURITY-TESTS.md rows 5–8), read from the mounted routes: a route this file does
//! not know fails the tests until someone says who may use it. Over it:
//! - row 5, the authorization matrix: every staff route × 5 roles (admin, supervisor, inspector, officer,
//!   signed out) × own/foreign object (routes that name one), each answer allowed or denied as the spec below
//!   says, and no denied answer showing the case's text;
//! - row 6, the CSRF sweep: every state-changing route × 4 forgeries, no change to the database, and the
//!   same request made properly is not refused (the control);
//! - row 7, every GET route changes nothing (the session's last-seen time is the one exception), and no
//!   route carries a code, token or password in its path or query;
//! - row 8, every answer of all of the above, plus 404, 429, 500 and the stylesheet: exact security headers.
//!
//! The database is compared through every table's row count, the ledger head, and the columns requests
//! may change (statuses, assignees, activity, one-time steps, sessions' revocation, grants' holders).

use std::collections::{BTreeMap, BTreeSet};

use rocket::http::{ContentType, Header, Method, Status};
use serde_json::json;
use sqlx::Row;

use crate::helpers::{bribe_case, file, form, two_teams, Session, TestApp};

/// What a route's object is, where its path names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    None,
    Case,
    Commendation,
    User,
}

/// Who a route is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Audience {
    /// Anyone, signed in or not: public pages, the catalogue.
    Public,
    /// A reporter with a code or reply token (no staff session).
    Reporter,
    /// Signing in, and the first admin's setup (with the setup code).
    SignIn,
    /// Any signed-in staff member: signing out.
    SignOut,
    /// Staff of these roles; with an object, only on their own.
    Staff(&'static [&'static str], Object),
    /// Routes of the test build only (a forced panic).
    TestHook,
}

const READERS: &[&str] = &["supervisor", "inspector"];
const SUPERVISOR: &[&str] = &["supervisor"];
const OFFICER: &[&str] = &["officer"];
const ADMIN: &[&str] = &["admin"];
const EVERY_ROLE: &[&str] = &["admin", "supervisor", "inspector", "officer"];
const ROLES: [&str; 5] = ["admin", "supervisor", "inspector", "officer", "none"];

/// The spec: who each route is for. `None` for a route it does not know.
fn audience(method: Method, path: &str) -> Option<Audience> {
    use Audience::*;
    use Object::*;
    let staff = |roles, object| Some(Staff(roles, object));
    match (method, path) {
        (
            Method::Get,
            "/" | "/transparency" | "/transparency/<figure>" | "/static/style.css" | "/report" | "/report/status",
        ) => Some(Public),
        (Method::Get, "/inspector/sign-in" | "/api/v1/categories" | "/api/v1/units" | "/api/v1/openapi.json") => {
            Some(Public)
        }
        (Method::Get, "/admin/setup") | (Method::Post, "/admin/setup" | "/inspector/sign-in" | "/api/v1/session") => {
            Some(SignIn)
        }
        (Method::Post, "/report" | "/report/status" | "/report/messages" | "/report/claim" | "/report/rating") => {
            Some(Reporter)
        }
        (Method::Post, p) if p.starts_with("/api/v1/reports") => Some(Reporter),
        (Method::Post, "/inspector/sign-out") | (Method::Delete, "/api/v1/session") => Some(SignOut),
        (_, p) if p.contains("/test-hooks/") => Some(TestHook),
        // The inspectors' queue, case and statistics.
        (Method::Get, "/inspector" | "/api/v1/cases") => staff(READERS, None),
        (Method::Get, "/inspector/stats" | "/inspector/stats/<figure>" | "/api/v1/stats/on-time") => {
            staff(SUPERVISOR, None)
        }
        (Method::Get, "/inspector/cases/<id>" | "/api/v1/cases/<id>") => staff(READERS, Case),
        // An evidence file of the case (a download, and a ledger entry).
        (
            Method::Get,
            "/inspector/cases/<id>/attachments/<attachment>" | "/api/v1/cases/<id>/attachments/<attachment>",
        ) => staff(READERS, Case),
        (Method::Post, p) if p.starts_with("/inspector/cases/<id>/") || p.starts_with("/api/v1/cases/<id>/") => {
            // Reassigning, extending a deadline and a legal hold are the supervisor's (`casework::reassign`,
            // `extend`, `retention::set_hold`).
            if p.ends_with("/assignment") || p.ends_with("/extensions") || p.ends_with("/hold") {
                staff(SUPERVISOR, Case)
            } else {
                staff(READERS, Case)
            }
        }
        // Each staff member's own profile: their email address and notifications.
        (Method::Get | Method::Post, "/inspector/profile") => staff(EVERY_ROLE, None),
        // The officers' queue and files.
        (Method::Get, "/officer" | "/api/v1/commendations") => staff(OFFICER, None),
        (_, p) if p.starts_with("/officer/commendations/<id>") || p.starts_with("/api/v1/commendations/<id>") => {
            staff(OFFICER, Commendation)
        }
        // The admin's pages.
        (Method::Post, "/admin/users/<username>/disable") => staff(ADMIN, User),
        (_, p) if p == "/admin" || p.starts_with("/admin/") => staff(ADMIN, None),
        _ => Option::None,
    }
}

/// A mounted route: method and path pattern (the query part left out).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mounted {
    method: String,
    path: String,
    query: Option<String>,
}

impl Mounted {
    fn method(&self) -> Method {
        self.method.parse().expect("a method")
    }
}

fn mounted(app: &TestApp) -> Vec<(Mounted, Audience)> {
    let mut routes: Vec<Mounted> = app
        .client
        .rocket()
        .routes()
        .map(|r| Mounted {
            method: r.method.as_str().to_owned(),
            // `/` mounted routes end in `/`; the spec writes them without it (but the root).
            path: match r.uri.path().trim_end_matches('/') {
                "" => "/".to_owned(),
                p => p.to_owned(),
            },
            query: r.uri.query().map(|q| q.to_owned()),
        })
        .collect();
    routes.sort();
    routes.dedup_by(|a, b| a.method == b.method && a.path == b.path);
    let unknown: Vec<String> = routes
        .iter()
        .filter(|r| audience(r.method(), &r.path).is_none())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        unknown.is_empty(),
        "routes the spec does not know (say who may use them): {unknown:?}"
    );
    routes
        .into_iter()
        .map(|r| {
            let a = audience(r.method(), &r.path).unwrap_or(Audience::TestHook);
            (r, a)
        })
        .collect()
}

/// One answer, kept for the header check (row 8).
struct Answer {
    label: String,
    status: Status,
    location: Option<String>,
    headers: Vec<(String, String)>,
    body: String,
}

/// A request to send.
struct Request<'a> {
    method: Method,
    path: String,
    session: Option<&'a Session>,
    content_type: Option<ContentType>,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
}

impl<'a> Request<'a> {
    fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            session: None,
            content_type: None,
            body: String::new(),
            headers: Vec::new(),
        }
    }
}

async fn send(app: &TestApp, request: Request<'_>) -> Answer {
    let mut local = app.client.req(request.method, request.path.clone());
    if let Some(session) = request.session {
        local = local.cookie(session.0.clone());
    }
    if let Some(content_type) = request.content_type {
        local = local.header(content_type);
    }
    for (name, value) in &request.headers {
        local = local.header(Header::new(*name, *value));
    }
    let response = local.body(request.body).dispatch().await;
    let headers = response
        .headers()
        .iter()
        .map(|h| (h.name().as_str().to_owned(), h.value().to_owned()))
        .collect();
    Answer {
        label: format!("{} {}", request.method, request.path),
        status: response.status(),
        location: response.headers().get_one("Location").map(str::to_owned),
        headers,
        body: response.into_string().await.unwrap_or_default(),
    }
}

/// Whether an answer turned the caller away: not signed in, forbidden, not found (an object the caller may
/// not see is not found), sent to the sign-in page, or a page sent elsewhere instead of shown.
fn denied(method: Method, answer: &Answer) -> bool {
    matches!(answer.status.code, 401 | 403 | 404)
        || answer
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/inspector/sign-in"))
        || (method == Method::Get && answer.status == Status::SeeOther)
}

/// The body a state-changing staff route is sent with: valid enough to pass the access checks, and where it
/// can be, refused by the lifecycle (so that allowed cells change as little as possible).
fn staff_fields(path: &str) -> Vec<(&'static str, &'static str)> {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last {
        "transitions" => vec![("to", "closed"), ("reason", "Kiểm tra quyền truy cập.")],
        "messages" => vec![("body", "Xin bổ sung chứng cứ.")],
        "assignment" => vec![("assignee", "inspector")],
        "extensions" => vec![("type", "complex"), ("reason", "Vụ việc phức tạp.")],
        "hold" => vec![("hold", "place"), ("reason", "Cơ quan điều tra đề nghị giữ hồ sơ.")],
        "proposal" => vec![("form", "no-such-form")],
        "decision" => vec![("form", "no-such-form")],
        "payment" => vec![("reference", "")],
        "units" => vec![("id", ""), ("name_vi", ""), ("name_en", "")],
        "teams" => vec![("id", ""), ("name_vi", ""), ("name_en", "")],
        "rules" => vec![("category", "no-such-category"), ("unit", "*"), ("team", "")],
        "delete" => vec![("category", "no-such-category"), ("unit", "*")],
        "users" => vec![("username", "x"), ("role", "inspector"), ("password", "short")],
        _ => vec![],
    }
}

/// A request for a staff route, by form (pages, with the CSRF token) or JSON (the API).
fn staff_request<'a>(route: &Mounted, path: String, session: Option<&'a Session>, csrf: Option<&str>) -> Request<'a> {
    let method = route.method();
    let mut request = Request::new(method, path.clone());
    request.session = session;
    if method == Method::Post {
        let fields = staff_fields(&route.path);
        if route.path.starts_with("/api/") {
            let body: serde_json::Map<String, serde_json::Value> =
                fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
            request.content_type = Some(ContentType::JSON);
            request.body = serde_json::Value::Object(body).to_string();
        } else {
            let mut all = vec![("csrf", csrf.unwrap_or_default())];
            all.extend(fields);
            request.content_type = Some(ContentType::Form);
            request.body = form(&all);
        }
    }
    request
}

/// The database as requests can change it. Every table's row count, the ledger head, and the columns a
/// request may change; the sessions' last-seen time is left out (the one thing a GET may write).
async fn snapshot(app: &TestApp) -> BTreeMap<String, String> {
    let pool = app.db().pool();
    let tables = app.table_names().await;
    assert!(tables.len() >= 10, "the schema's tables: {tables:?}");
    let mut out = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count")
            .get("n");
        out.insert(format!("rows of {table}"), n.to_string());
    }
    for (name, query) in [
        ("ledger head", "SELECT entries || ':' || hash AS v FROM ledger_head"),
        (
            "reports",
            "SELECT id || ':' || status || ':' || COALESCE(assignee_id, '') || ':' || team_id || ':' || clock AS v \
             FROM reports ORDER BY id",
        ),
        (
            "users",
            "SELECT id || ':' || role || ':' || active || ':' || totp_last_step AS v FROM users ORDER BY id",
        ),
        (
            "commendations",
            "SELECT report_id || ':' || status AS v FROM commendations ORDER BY report_id",
        ),
        ("sessions", "SELECT id || ':' || revoked AS v FROM sessions ORDER BY id"),
        (
            "key grants",
            "SELECT report_id || ':' || holder AS v FROM key_grants ORDER BY report_id, holder",
        ),
        (
            "commendation grants",
            "SELECT report_id || ':' || purpose || ':' || holder AS v FROM commendation_grants \
             ORDER BY report_id, purpose, holder",
        ),
    ] {
        let rows: Vec<String> = sqlx::query(query)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .iter()
            .map(|r| r.get::<String, _>("v"))
            .collect();
        out.insert(name.to_owned(), rows.join("\n"));
    }
    out
}

/// What changed between two snapshots, by name.
fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// A deployment with a user of every role, own and foreign cases and commendations.
struct World {
    app: TestApp,
    /// role → (session, CSRF token); none for "none".
    sessions: BTreeMap<&'static str, (Session, String)>,
    own_case: String,
    foreign_case: String,
    own_commendation: String,
    foreign_commendation: String,
    /// case id → the id of its evidence file.
    attachments: BTreeMap<String, String>,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        two_teams(&app).await;
        for (name, role) in [
            ("admin", "admin"),
            ("supervisor", "supervisor"),
            ("inspector", "inspector"),
        ] {
            app.add_user(name, role, None, None).await;
        }
        app.add_user("land.inspector", "inspector", Some("land-team"), None)
            .await;
        app.add_user("victim", "inspector", Some("land-team"), None).await;
        let mut sessions = BTreeMap::new();
        for role in ["admin", "supervisor", "inspector"] {
            sessions.insert(role, app.sign_in_with_csrf(role).await);
        }
        let inspector = sessions["inspector"].0.clone();
        // A commendation opened while no officer existed: nobody passes it on before the officer's
        // requests (every holder signed in already), so it stays foreign to them.
        let (_, foreign_commendation) = app.concluded(&inspector, "substantiated").await;
        app.add_user("officer", "officer", None, None).await;
        sessions.insert("officer", app.sign_in_with_csrf("officer").await);
        let (_, own_commendation) = app.concluded(&inspector, "substantiated").await;
        let (own_code, own_case) = bribe_case(&app).await;
        let (foreign_code, foreign_case) =
            file(&app, "forgery", "tan-xuan", "Giả mạo hồ sơ đất đai để hưởng lợi riêng.").await;
        // An evidence file on each case, for the download route.
        for code in [&own_code, &foreign_code] {
            let parts = [
                crate::helpers::Part::Text("code", code),
                crate::helpers::Part::File("file", "bien-ban.txt", "Biên bản làm việc.".as_bytes()),
            ];
            let (status, body) = app.post_multipart("/api/v1/reports/attachments", &parts).await;
            assert_eq!(status, Status::Created, "{body}");
        }
        let mut attachments = BTreeMap::new();
        for case in [&own_case, &foreign_case] {
            let id: String = sqlx::query_scalar("SELECT id FROM attachments WHERE report_id = $1")
                .bind(case)
                .fetch_one(app.db().pool())
                .await
                .expect("the case's file");
            attachments.insert(case.clone(), id);
        }
        // Paths without a case keep `<attachment>` as it is (none has one).
        for none in [&own_commendation, &foreign_commendation, &String::new()] {
            attachments.insert(none.clone(), "<attachment>".into());
        }
        Self {
            app,
            sessions,
            attachments,
            own_case,
            foreign_case,
            own_commendation,
            foreign_commendation,
        }
    }

    /// The route's path with its object filled in.
    fn path(&self, route: &Mounted, object: Object, own: bool) -> String {
        let id = match (object, own) {
            (Object::Case, true) => &self.own_case,
            (Object::Case, false) => &self.foreign_case,
            (Object::Commendation, true) => &self.own_commendation,
            (Object::Commendation, false) => &self.foreign_commendation,
            _ => "",
        };
        route
            .path
            .replace("<id>", id)
            .replace("<username>", "victim")
            .replace("<figure>", "on-time.csv")
            .replace("<attachment>", &self.attachments[id])
    }

    fn session(&self, role: &str) -> (Option<&Session>, Option<&str>) {
        match self.sessions.get(role) {
            Some((session, csrf)) => (Some(session), Some(csrf.as_str())),
            None => (None, None),
        }
    }
}

const SECRET_WORDS: [&str; 3] = ["Cán bộ địa chính", "Giả mạo hồ sơ", "sổ đỏ"];

/// Rows 5 and 7: every staff route × 5 roles × own/foreign; every GET of them changes nothing.
#[rocket::async_test]
async fn every_staff_route_answers_each_role_as_the_spec_says() {
    let world = World::new().await;
    let app = &world.app;
    let routes = mounted(app);
    let staff: Vec<_> = routes
        .iter()
        .filter_map(|(r, a)| match a {
            Audience::Staff(roles, object) => Some((r, *roles, *object)),
            _ => None,
        })
        .collect();
    let (mut cells, mut wrong, mut gets, mut writes) = (0, Vec::new(), 0, Vec::new());
    for (route, roles, object) in &staff {
        let ownerships: &[bool] = if *object == Object::None || *object == Object::User {
            &[true]
        } else {
            &[true, false]
        };
        for role in ROLES {
            for &own in ownerships {
                let (session, csrf) = world.session(role);
                let path = world.path(route, *object, own);
                let before = if route.method() == Method::Get {
                    Some(snapshot(app).await)
                } else {
                    None
                };
                let answer = send(app, staff_request(route, path, session, csrf)).await;
                let expected = roles.contains(&role) && own;
                let got = !denied(route.method(), &answer);
                cells += 1;
                if got != expected {
                    wrong.push(format!(
                        "{} {} as {role} ({}): {} {:?}, expected {}",
                        route.method,
                        route.path,
                        if own { "own" } else { "foreign" },
                        answer.status,
                        answer.location,
                        if expected { "allowed" } else { "denied" }
                    ));
                }
                if !got && SECRET_WORDS.iter().any(|w| answer.body.contains(w)) {
                    wrong.push(format!("{} as {role}: denied, but shows the case's text", answer.label));
                }
                if let Some(before) = before {
                    gets += 1;
                    let mut diff = changed(&before, &snapshot(app).await);
                    // A download is a ledger entry by design (who, which file), and the one GET that writes.
                    if expected && route.path.ends_with("/attachments/<attachment>") {
                        let ledger = ["ledger head".to_owned(), "rows of ledger".to_owned()];
                        assert_eq!(diff, ledger, "{}: a download writes its ledger entry", answer.label);
                        diff.clear();
                    }
                    if !diff.is_empty() {
                        writes.push(format!("{} as {role}: {diff:?}", answer.label));
                    }
                }
            }
        }
    }
    let with_object = staff
        .iter()
        .filter(|(_, _, o)| matches!(o, Object::Case | Object::Commendation))
        .count();
    println!(
        "row 5: {} staff routes ({with_object} with an own/foreign object) × {} roles: {cells} cells, {} wrong",
        staff.len(),
        ROLES.len(),
        wrong.len()
    );
    println!("row 7: {gets} staff GETs, {} changed the database", writes.len());
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(writes.is_empty(), "{writes:#?}");
    assert_eq!(cells, ROLES.len() * (staff.len() + with_object));
}

/// The body of a state-changing request made properly, one that changes something where it can: a message,
/// a move from `received`, a new unit, team or user, a report, a sign-in.
fn changing_fields(path: &str) -> Vec<(&'static str, &'static str)> {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last {
        "transitions" => vec![("to", "info_requested"), ("reason", "Cần thêm chứng cứ.")],
        "units" => vec![
            ("id", "xa-moi"),
            ("name_vi", "Xã Mới"),
            ("name_en", "New commune"),
            ("kind", "commune"),
        ],
        "teams" => vec![("id", "to-moi"), ("name_vi", "Tổ mới"), ("name_en", "New team")],
        "users" => vec![
            ("username", "nguoi.moi"),
            ("role", "inspector"),
            ("password", "mật khẩu đủ dài 2026"),
        ],
        _ => staff_fields(path),
    }
}

/// A forgery of a state-changing request, and what it is.
struct Forgery {
    what: &'static str,
    /// The CSRF field's value (pages with a token).
    csrf: Option<String>,
    content_type: ContentType,
    headers: Vec<(&'static str, &'static str)>,
}

const EVIL: (&str, &str) = ("Origin", "https://evil.example");
const NULL_ORIGIN: (&str, &str) = ("Origin", "null");
const CROSS_SITE: (&str, &str) = ("Sec-Fetch-Site", "cross-site");
const SAME_SITE: (&str, &str) = ("Sec-Fetch-Site", "same-site");

fn forgeries(api: bool, csrf: Option<(&str, &str)>) -> Vec<Forgery> {
    let f = |what, csrf: Option<&str>, content_type, headers: &[(&'static str, &'static str)]| Forgery {
        what,
        csrf: csrf.map(str::to_owned),
        content_type,
        headers: headers.to_vec(),
    };
    match (api, csrf) {
        // A staff form: its token missing, wrong, another session's; the right one from another site.
        (false, Some((own, other))) => vec![
            f("no token", None, ContentType::Form, &[]),
            f("bad token", Some("forged"), ContentType::Form, &[]),
            f("another session's token", Some(other), ContentType::Form, &[]),
            f("cross-origin with the token", Some(own), ContentType::Form, &[EVIL]),
        ],
        // An anonymous form (reporter, sign-in): what other sites' pages send.
        (false, None) => vec![
            f("cross-origin", None, ContentType::Form, &[EVIL]),
            f(
                "Origin: null (sandboxed frame)",
                None,
                ContentType::Form,
                &[NULL_ORIGIN],
            ),
            f("Sec-Fetch-Site: cross-site", None, ContentType::Form, &[CROSS_SITE]),
            f("Sec-Fetch-Site: same-site", None, ContentType::Form, &[SAME_SITE]),
        ],
        // JSON: what a form of another site can send (text/plain, a form), and JSON from another origin.
        (true, _) => vec![
            f("text/plain body", None, ContentType::Plain, &[]),
            f("form-encoded body", None, ContentType::Form, &[]),
            f("cross-origin JSON", None, ContentType::JSON, &[EVIL]),
            f(
                "Sec-Fetch-Site: cross-site JSON",
                None,
                ContentType::JSON,
                &[CROSS_SITE],
            ),
        ],
    }
}

/// What is wrong with an answer's security headers: each expected one must be there once, with exactly
/// its value (`Referrer-Policy: same-origin` rather than the table's `no-referrer`: with `no-referrer`
/// browsers send `Origin: null` on the site's own forms, see `web::headers`), and no `Server` header.
fn header_problems(answer: &Answer) -> Vec<String> {
    let expected = [
        (
            "content-security-policy",
            minhbach::web::headers::CONTENT_SECURITY_POLICY,
        ),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    let mut problems = Vec::new();
    for (name, value) in expected {
        let got: Vec<&str> = answer
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if got != [value] {
            problems.push(format!("{} ({}): {name} = {got:?}", answer.label, answer.status));
        }
    }
    if answer.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("server")) {
        problems.push(format!("{}: a Server header", answer.label));
    }
    problems
}

/// Row 6: every state-changing route × 4 forgeries, no change to the database; then the request made
/// properly, which the forgery checks let through (the control: its answer is not 403 or 415, and it
/// changes the database where its body can). Row 7's other half: public GETs change nothing, and no route
/// takes a secret in its path or query. Row 8: every answer here and of the cases below carries the exact
/// security headers.
#[rocket::async_test]
async fn forged_requests_change_nothing_and_every_answer_carries_the_headers() {
    let world = World::new().await;
    let app = &world.app;
    let routes = mounted(app);
    let mut answers: Vec<Answer> = Vec::new();
    // The reporter's code and reply token, and sign-in users, for the controls.
    let (code, filed) = file(
        app,
        "bribe-taking",
        "ba-diem",
        "Cán bộ thu tiền ngoài quy định khi cấp phép.",
    )
    .await;
    // Rejected (its result, told at once), so that the rating's controls can be stored.
    sqlx::query("UPDATE reports SET status = 'rejected' WHERE id = $1")
        .bind(&filed)
        .execute(app.db().pool())
        .await
        .expect("rejected");
    let status_page = send(app, {
        let mut r = Request::new(Method::Post, "/report/status".into());
        r.content_type = Some(ContentType::Form);
        r.body = form(&[("code", &code)]);
        r
    })
    .await;
    let token = crate::helpers::token_on(&status_page.body);
    for name in ["form.signin", "api.signin"] {
        app.add_user(name, "inspector", Some("land-team"), None).await;
    }
    // Sessions to sign out with, one per way of signing out.
    let leaving_form = app.sign_in_with_csrf("form.signin").await;
    app.add_user("api.leaver", "inspector", Some("land-team"), None).await;
    let leaving_api = app.sign_in_with_csrf("api.leaver").await;

    let (mut forged, mut wrong, mut controls_changed, mut controls) = (0, Vec::new(), 0, 0);
    let changing: Vec<_> = routes
        .iter()
        .filter(|(r, a)| r.method() != Method::Get && !matches!(a, Audience::TestHook))
        .collect();
    for (route, audience) in &changing {
        let api = route.path.starts_with("/api/");
        // Who sends it properly, with which object, token and body.
        let (session, csrf, other_csrf, object) = match audience {
            Audience::Staff(roles, object) => {
                let role = roles[0];
                let other = if role == "admin" { "inspector" } else { "admin" };
                let (s, c) = &world.sessions[role];
                (
                    Some(s.clone()),
                    Some(c.clone()),
                    Some(world.sessions[other].1.clone()),
                    *object,
                )
            }
            Audience::SignOut if api => (
                Some(leaving_api.0.clone()),
                Some(leaving_api.1.clone()),
                None,
                Object::None,
            ),
            Audience::SignOut => (
                Some(leaving_form.0.clone()),
                Some(leaving_form.1.clone()),
                Some(world.sessions["admin"].1.clone()),
                Object::None,
            ),
            _ => (None, None, None, Object::None),
        };
        let path = world.path(route, object, true);
        let fields: Vec<(String, String)> = match (audience, route.path.as_str()) {
            (Audience::Staff(..), p) => changing_fields(p)
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            (_, "/report" | "/api/v1/reports") => [
                ("category", "bribe-taking"),
                ("unit", "ba-diem"),
                ("narrative", "Cán bộ thu tiền ngoài quy định khi cấp phép xây dựng."),
            ]
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
            (_, "/report/status" | "/api/v1/reports/status") => vec![("code".into(), code.clone())],
            (_, "/report/messages") => vec![("token".into(), token.clone()), ("body".into(), "Tôi bổ sung.".into())],
            (_, "/api/v1/reports/messages") => {
                vec![("code".into(), code.clone()), ("body".into(), "Tôi bổ sung.".into())]
            }
            (_, "/report/claim") => vec![("token".into(), token.clone()), ("answer".into(), "decline".into())],
            (_, "/api/v1/reports/claim") => vec![("code".into(), code.clone())],
            (_, "/report/rating") => vec![("token".into(), token.clone()), ("score".into(), "5".into())],
            (_, "/api/v1/reports/rating") => vec![("code".into(), code.clone()), ("score".into(), "5".into())],
            (_, "/inspector/sign-in") => vec![
                ("username".into(), "form.signin".into()),
                ("password".into(), crate::helpers::PASSWORD.into()),
                ("totp".into(), app.totp("form.signin", 0).await),
            ],
            (_, "/api/v1/session") if route.method() == Method::Post => vec![
                ("username".into(), "api.signin".into()),
                ("password".into(), crate::helpers::PASSWORD.into()),
                ("totp".into(), app.totp("api.signin", 0).await),
            ],
            (_, "/admin/setup") => vec![("code".into(), "0000-0000".into())],
            _ => vec![],
        };
        let body_of = |csrf: Option<&str>, content_type: &ContentType| -> String {
            let mut all: Vec<(&str, &str)> = Vec::new();
            if let Some(c) = csrf {
                all.push(("csrf", c));
            }
            all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            if *content_type == ContentType::Form {
                form(&all)
            } else {
                let map: serde_json::Map<_, _> = all.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
                serde_json::Value::Object(map).to_string()
            }
        };
        let staff_form = !api && matches!(audience, Audience::Staff(..) | Audience::SignOut);
        let tokens = match (&csrf, &other_csrf) {
            (Some(own), Some(other)) if staff_form => Some((own.as_str(), other.as_str())),
            _ => None,
        };
        // A DELETE has no body: what tells a forged one is where it comes from.
        for forgery in forgeries(api && route.method() != Method::Delete, tokens) {
            let before = snapshot(app).await;
            let mut request = Request::new(route.method(), path.clone());
            request.session = session.as_ref();
            request.body = body_of(forgery.csrf.as_deref(), &forgery.content_type);
            request.content_type = Some(forgery.content_type.clone());
            request.headers = forgery.headers.clone();
            let answer = send(app, request).await;
            let diff = changed(&before, &snapshot(app).await);
            forged += 1;
            if !diff.is_empty() || answer.status.code < 400 {
                wrong.push(format!(
                    "{} {} with {}: {} changed {diff:?}",
                    route.method, route.path, forgery.what, answer.status
                ));
            }
            answers.push(answer);
        }
        // The control: the same request made properly.
        let before = snapshot(app).await;
        let mut request = Request::new(route.method(), path.clone());
        request.session = session.as_ref();
        let content_type = if api { ContentType::JSON } else { ContentType::Form };
        request.body = body_of(csrf.as_deref().filter(|_| staff_form), &content_type);
        request.content_type = Some(content_type);
        if route.path == "/api/v1/reports/attachments" {
            // Files come as multipart/form-data only.
            let parts = [
                crate::helpers::Part::Text("code", &code),
                crate::helpers::Part::File("file", "them.txt", "Bổ sung chứng cứ.".as_bytes()),
            ];
            request.body = String::from_utf8(crate::helpers::multipart(&parts)).expect("a text body");
            request.content_type = Some(crate::helpers::multipart_type());
        }
        let answer = send(app, request).await;
        controls += 1;
        if matches!(answer.status.code, 403 | 415) {
            wrong.push(format!(
                "{} {} made properly: {} (the control)",
                route.method, route.path, answer.status
            ));
        }
        controls_changed += usize::from(!changed(&before, &snapshot(app).await).is_empty());
        answers.push(answer);
    }
    println!(
        "row 6: {} state-changing routes × 4 forgeries = {forged} forged requests, {} wrong; \
         controls made properly: {controls}, {controls_changed} of them changed the database",
        changing.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(forged, 4 * changing.len());
    assert!(controls_changed >= changing.len() / 2, "the database diff sees changes");

    // Row 7: public GETs change nothing; no route takes a secret in its path or query.
    let (mut public_gets, mut writes) = (0, Vec::new());
    for (route, _) in routes
        .iter()
        .filter(|(r, a)| r.method() == Method::Get && matches!(a, Audience::Public | Audience::SignIn))
    {
        let before = snapshot(app).await;
        let path = route.path.replace("<figure>", "on-time.csv");
        answers.push(send(app, Request::new(Method::Get, path)).await);
        public_gets += 1;
        let diff = changed(&before, &snapshot(app).await);
        if !diff.is_empty() {
            writes.push(format!("GET {}: {diff:?}", route.path));
        }
    }
    let secret_names = ["code", "token", "csrf", "password", "totp", "secret", "key"];
    let in_urls: Vec<String> = routes
        .iter()
        .filter(|(r, _)| {
            let params = format!("{}?{}", r.path, r.query.as_deref().unwrap_or_default());
            secret_names
                .iter()
                .any(|s| params.contains(&format!("<{s}>")) || params.contains(&format!("{s}=")))
        })
        .map(|(r, _)| format!("{} {}", r.method, r.path))
        .collect();
    let gets = routes.iter().filter(|(r, _)| r.method() == Method::Get).count();
    println!(
        "row 7: {public_gets} public GETs changed the database {} times (staff GETs: the matrix test); \
         {} routes, {gets} of them GET: {} with a secret in the path or query",
        writes.len(),
        routes.len(),
        in_urls.len()
    );
    assert!(writes.is_empty(), "{writes:#?}");
    assert!(in_urls.is_empty(), "{in_urls:?}");

    // Row 8: the answers above plus those no route gives: not found (page and API), a panic (page and API),
    // the sign-in throttle, the stylesheet.
    for path in [
        "/no-such-page",
        "/api/v1/no-such-call",
        "/test-hooks/panic",
        "/api/v1/test-hooks/panic",
        "/static/style.css",
    ] {
        answers.push(send(app, Request::new(Method::Get, path.into())).await);
    }
    for _ in 0..8 {
        let mut r = Request::new(Method::Post, "/api/v1/session".into());
        r.content_type = Some(ContentType::JSON);
        r.body = json!({ "username": "victim", "password": "wrong password!!", "totp": "000000" }).to_string();
        answers.push(send(app, r).await);
    }
    let (mut bad, mut right) = (Vec::new(), 0);
    for answer in &answers {
        let problems = header_problems(answer);
        right += usize::from(problems.is_empty());
        bad.extend(problems);
    }
    // The control: an answer without them is caught.
    let bare = Answer {
        label: "a bare answer".into(),
        status: Status::Ok,
        location: None,
        headers: vec![
            ("Server".into(), "Rocket".into()),
            ("Cache-Control".into(), "max-age=60".into()),
        ],
        body: String::new(),
    };
    assert_eq!(header_problems(&bare).len(), 7, "{:?}", header_problems(&bare));
    let statuses: BTreeSet<u16> = answers.iter().map(|a| a.status.code).collect();
    println!(
        "row 8: {}/{} answers carry the exact CSP, no-store, nosniff, DENY, same-origin referrers and opener \
         policy; statuses {statuses:?}",
        right,
        answers.len()
    );
    assert!(bad.is_empty(), "{bad:#?}");
    for status in [200, 201, 204, 303, 401, 403, 404, 409, 415, 422, 429, 500] {
        assert!(
            statuses.contains(&status),
            "no {status} answer was checked: {statuses:?}"
        );
    }
}

/// The OpenAPI document served at `/api/v1/openapi.json` names exactly the mounted API routes (method,
/// path, and each query parameter), so it cannot drift from the code. Schemathesis runs over it in the
/// reliability suite (row 18).
#[rocket::async_test]
async fn the_openapi_document_matches_the_mounted_api_routes() {
    let app = TestApp::spawn().await;
    let response = app.client.get("/api/v1/openapi.json").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let doc: serde_json::Value = serde_json::from_str(&response.into_string().await.unwrap_or_default()).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let mut query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(item["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            query.sort();
            documented.insert((method.to_uppercase(), path.clone(), query));
        }
    }
    let mounted: BTreeSet<(String, String, Vec<String>)> = mounted(&app)
        .into_iter()
        .filter(|(r, a)| r.path.starts_with("/api/v1") && *a != Audience::TestHook)
        .map(|(r, _)| {
            let path = r.path.replace('<', "{").replace('>', "}");
            let mut query: Vec<String> = r
                .query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .filter(|q| !q.is_empty())
                .map(|q| q.trim_matches(['<', '>']).to_owned())
                .collect();
            query.sort();
            (r.method.clone(), path, query)
        })
        .collect();
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    println!(
        "OpenAPI 3.1: {} operations documented, {} API routes mounted; {} undocumented, {} documented but not \
         mounted",
        documented.len(),
        mounted.len(),
        undocumented.len(),
        unmounted.len()
    );
    assert!(
        undocumented.is_empty() && unmounted.is_empty(),
        "undocumented {undocumented:#?}\nnot mounted {unmounted:#?}"
    );
}
