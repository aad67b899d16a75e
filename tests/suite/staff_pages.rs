//! Staff pages: the first admin's setup, sign-in, the queue and the case page, and CSRF on every form.

use rocket::http::{ContentType, Header, Status};
use serde_json::json;
use sqlx::Row;

use crate::helpers::{csrf_on, form, report, Headers, Session, TestApp, PASSWORD};

#[rocket::async_test]
async fn the_first_admin_is_created_once_with_the_one_time_setup_code() {
    let app = TestApp::spawn().await;
    let code = app
        .client
        .rocket()
        .state::<minhbach::app::sign_in::SetupCode>()
        .and_then(|c| c.current())
        .expect("a setup code");
    assert_eq!(app.get("/admin/setup").await.status(), Status::Ok);
    let body = |code: &str| form(&[("code", code), ("username", "quan.tri"), ("password", PASSWORD)]);
    let (status, _, _) = app
        .post_page("/admin/setup", None, body("AAAA-AAAA-AAAA-AAAA-AAAA"), &[])
        .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _, _) = app
        .post_page("/admin/setup", None, body(&code), &[("Origin", "https://evil.example")])
        .await;
    assert_eq!(status, Status::Forbidden, "a cross-site post is refused");
    let short = form(&[("code", &code), ("username", "quan.tri"), ("password", "ngắn quá")]);
    let (status, _, page) = app.post_page("/admin/setup", None, short, &[]).await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("Mật khẩu phải có ít nhất 12 ký tự."),
        "in the reader's language: {page}"
    );
    let (status, _, done) = app
        .post_page("/admin/setup", None, body(&code.to_lowercase()), &[])
        .await;
    assert_eq!(status, Status::Ok);
    assert!(done.contains("otpauth://totp/Minh%20Bach:quan.tri"), "{done}");
    assert_eq!(
        app.get("/admin/setup").await.status(),
        Status::NotFound,
        "closed once an admin exists"
    );
    let (status, _, _) = app.post_page("/admin/setup", None, body(&code), &[]).await;
    assert_eq!(status, Status::Forbidden, "the code works once");
    assert_eq!(minhbach::store::users::count_admins(app.db().pool()).await.unwrap(), 1);

    let session = app.sign_in("quan.tri").await;
    let (status, admin_page) = app.get_page("/admin", &session).await;
    assert_eq!(status, Status::Ok);
    assert!(admin_page.contains("quan.tri") && admin_page.contains("hocmon-inspectorate"));
}

#[rocket::async_test]
async fn an_inspector_works_a_case_through_the_pages() {
    let app = TestApp::spawn().await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, reply) = app.post_report(&report("Cán bộ thu <b>phí</b> trái quy định.")).await;
    let code = reply["code"].as_str().unwrap().to_owned();
    let case = app.report_id(&code).await;
    assert_eq!(
        app.get("/inspector").await.status(),
        Status::SeeOther,
        "signed out: to the sign-in page"
    );

    let (session, location) = app.sign_in_page("inspector").await;
    assert_eq!(location.as_deref(), Some("/inspector"));
    let (status, queue) = app.get_page("/inspector", &session).await;
    assert_eq!(status, Status::Ok);
    assert!(queue.contains(&format!("/inspector/cases/{case}")) && queue.contains("Xã Bà Điểm"));
    let (status, case_page) = app.get_page(&format!("/inspector/cases/{case}"), &session).await;
    assert_eq!(status, Status::Ok);
    assert!(
        case_page.contains("Cán bộ thu &lt;b&gt;phí&lt;/b&gt; trái quy định."),
        "decrypted and escaped"
    );
    let csrf = csrf_on(&case_page);

    let path = format!("/inspector/cases/{case}/transitions");
    let (status, location, _) = app
        .post_page(
            &path,
            Some(&session),
            form(&[("csrf", &csrf), ("to", "accepted"), ("reason", "Đủ điều kiện.")]),
            &[],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            Status::SeeOther,
            Some(format!("/inspector/cases/{case}?done=transition").as_str())
        )
    );
    let (status, _, page_text) = app
        .post_page(
            &path,
            Some(&session),
            form(&[("csrf", &csrf), ("to", "closed"), ("reason", "Nhảy cóc.")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::Conflict);
    assert!(page_text.contains("quy trình không cho phép"));
    let (status, _, _) = app
        .post_page(
            &format!("/inspector/cases/{case}/messages"),
            Some(&session),
            form(&[("csrf", &csrf), ("body", "Xin gửi thêm biên lai.")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::SeeOther);
    let (_, view) = app.post_report_status(&code).await;
    assert_eq!(view["status"], "accepted");
    assert_eq!(view["messages"][0]["body"], "Xin gửi thêm biên lai.");
}

/// What the database says about a case, to compare before and after an attack.
async fn snapshot(app: &TestApp, case: &str) -> String {
    let row = sqlx::query("SELECT status, assignee_id FROM reports WHERE id = $1")
        .bind(case)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let status: String = row.get("status");
    let assignee: Option<String> = row.get("assignee_id");
    let live: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE revoked = 0")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("n");
    format!(
        "{status} {assignee:?} ledger={} messages={} sessions={live}",
        app.count("ledger").await,
        app.count("messages").await
    )
}

#[rocket::async_test]
async fn every_staff_form_without_its_csrf_token_changes_nothing() {
    let app = TestApp::spawn().await;
    app.add_user("supervisor", "supervisor", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    app.add_user("second", "inspector", None, None).await;
    let (_, reply) = app
        .post_report(&json!(report("Cán bộ địa chính nhận tiền để cấp sổ đỏ.")))
        .await;
    let case = app.report_id(reply["code"].as_str().unwrap()).await;
    let (victim, _) = app.sign_in_page("supervisor").await;
    let (other, _) = app.sign_in_page("inspector").await;
    let (_, victim_page) = app.get_page(&format!("/inspector/cases/{case}"), &victim).await;
    let (_, other_page) = app.get_page("/inspector", &other).await;
    let (victim_csrf, other_csrf) = (csrf_on(&victim_page), csrf_on(&other_page));
    assert_ne!(victim_csrf, other_csrf);

    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/inspector/cases/{case}/transitions"),
            vec![("to", "accepted"), ("reason", "CSRF")],
        ),
        (format!("/inspector/cases/{case}/messages"), vec![("body", "CSRF")]),
        (
            format!("/inspector/cases/{case}/assignment"),
            vec![("assignee", "second")],
        ),
        ("/inspector/sign-out".to_owned(), vec![]),
    ];
    let before = snapshot(&app, &case).await;
    let mut attempts = 0;
    for (path, fields) in &forms {
        let variants: Vec<(Option<&str>, &[Headers])> = vec![
            (None, &[]),
            (Some("0000"), &[]),
            (Some(other_csrf.as_str()), &[]),
            (
                Some(victim_csrf.as_str()),
                &[("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site")],
            ),
        ];
        for (token, headers) in variants {
            let mut all = fields.clone();
            if let Some(token) = token {
                all.push(("csrf", token));
            }
            let (status, _, _) = app.post_page(path, Some(&victim), form(&all), headers).await;
            assert!(status.code >= 400, "{path} with {token:?} {headers:?}: {status}");
            assert_eq!(
                snapshot(&app, &case).await,
                before,
                "{path} with {token:?} {headers:?} changed something"
            );
            attempts += 1;
        }
    }
    println!(
        "{} POST forms × 4 variants = {attempts} forged requests: 0 state changes",
        forms.len()
    );
    // And the genuine token works, so the check is what stopped them.
    let (status, _, _) = app
        .post_page(
            &format!("/inspector/cases/{case}/messages"),
            Some(&victim),
            form(&[("csrf", &victim_csrf), ("body", "Thật")]),
            &[],
        )
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_ne!(snapshot(&app, &case).await, before);
}

#[rocket::async_test]
async fn admins_manage_accounts_teams_and_rules_in_pages_and_forged_forms_change_nothing() {
    let app = TestApp::spawn().await;
    app.add_user("admin", "admin", None, None).await;
    let (admin, _) = app.sign_in_page("admin").await;
    let (_, admin_page) = app.get_page("/admin", &admin).await;
    let csrf = csrf_on(&admin_page);
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/admin/users",
            vec![("username", "moi.nguoi"), ("role", "inspector"), ("password", PASSWORD)],
        ),
        (
            "/admin/teams",
            vec![
                ("id", "to-dat-dai"),
                ("name_vi", "Tổ đất đai"),
                ("parent", "hocmon-inspectorate"),
            ],
        ),
        (
            "/admin/rules",
            vec![("category", "forgery"), ("unit", "*"), ("team", "hocmon-inspectorate")],
        ),
        ("/admin/rules/delete", vec![("category", "*"), ("unit", "*")]),
        ("/admin/users/admin/disable", vec![]),
        (
            "/admin/units",
            vec![("id", "phuong-moi"), ("kind", "ward"), ("name_vi", "Phường Mới")],
        ),
    ];
    let state = || async {
        let users = app.count("users").await;
        let teams = app.count("teams").await;
        let rules = app.count("routing_rules").await;
        (users, teams, rules, app.count("ledger").await)
    };
    let before = state().await;
    for (path, fields) in &forms {
        for (token, headers) in [
            (None, &[][..]),
            (Some("0000"), &[][..]),
            (Some(csrf.as_str()), &[("Origin", "https://evil.example")][..]),
        ] {
            let mut all = fields.clone();
            if let Some(token) = token {
                all.push(("csrf", token));
            }
            let (status, _, _) = app.post_page(path, Some(&admin), form(&all), headers).await;
            assert!(status.code >= 400, "{path} {token:?}: {status}");
        }
    }
    assert_eq!(state().await, before, "forged admin forms changed nothing");

    let (status, _, created) = app
        .post_page(
            "/admin/users",
            Some(&admin),
            form(&[
                ("csrf", &csrf),
                ("username", "moi.nguoi"),
                ("role", "inspector"),
                ("password", PASSWORD),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert!(created.contains("otpauth://totp/Minh%20Bach:moi.nguoi"));
    let (status, _, _) = app
        .post_page(
            "/admin/teams",
            Some(&admin),
            form(&[
                ("csrf", &csrf),
                ("id", "to-dat-dai"),
                ("name_vi", "Tổ đất đai"),
                ("parent", "hocmon-inspectorate"),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (status, _, _) = app
        .post_page(
            "/admin/rules",
            Some(&admin),
            form(&[
                ("csrf", &csrf),
                ("category", "forgery"),
                ("unit", "*"),
                ("team", "to-dat-dai"),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (status, _, _) = app
        .post_page(
            "/admin/units",
            Some(&admin),
            form(&[
                ("csrf", &csrf),
                ("id", "phuong-moi"),
                ("kind", "ward"),
                ("name_vi", "Phường Mới"),
                ("parent", "hoc-mon"),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(app.count("units").await, 14, "the new unit is there");
    let (status, _, refused) = app
        .post_page(
            "/admin/rules",
            Some(&admin),
            form(&[
                ("csrf", &csrf),
                ("category", "forgery"),
                ("unit", "atlantis"),
                ("team", "to-dat-dai"),
            ]),
            &[],
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity, "{refused}");
    let (status, _, _) = app
        .post_page(
            "/admin/users/admin/disable",
            Some(&admin),
            form(&[("csrf", &csrf)]),
            &[],
        )
        .await;
    assert_eq!(
        status,
        Status::UnprocessableEntity,
        "an admin cannot lock themselves out"
    );
    let (users, teams, rules, _) = state().await;
    assert_eq!((users, teams, rules), (before.0 + 1, before.1 + 1, before.2 + 1));
    // The new rule routes forgery to the new team.
    let mut body = report("Giả mạo chữ ký trên hồ sơ đất.");
    body["category"] = serde_json::json!("forgery");
    let (_, reply) = app.post_report(&body).await;
    let case = app.report_id(reply["code"].as_str().unwrap()).await;
    let team: Option<String> = sqlx::query("SELECT team_id FROM reports WHERE id = $1")
        .bind(&case)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
        .get("team_id");
    assert_eq!(team.as_deref(), Some("to-dat-dai"));
}

/// What the admin is refused is said on the page in the admin's language, never in the command line's
/// English words.
#[rocket::async_test]
async fn an_admins_refused_account_is_explained_in_the_admins_language() {
    let app = TestApp::spawn().await;
    app.add_user("admin", "admin", None, None).await;
    let (admin, _) = app.sign_in_page("admin").await;
    let (_, admin_page) = app.get_page("/admin", &admin).await;
    let csrf = csrf_on(&admin_page);
    let users = app.count("users").await;
    let user = |username, password, role, team| {
        vec![
            ("username", username),
            ("password", password),
            ("role", role),
            ("team", team),
        ]
    };
    let cases = [
        (
            user("admin", PASSWORD, "inspector", ""),
            "Đã có tài khoản với tên đăng nhập này.",
            "An account with this username already exists.",
            "already exists",
        ),
        (
            user("moi.nguoi", "ngắn quá", "inspector", ""),
            "Mật khẩu phải có ít nhất 12 ký tự.",
            "A password has at least 12 characters.",
            "at least 12",
        ),
        (
            user("Lan Nguyen", PASSWORD, "inspector", ""),
            "Tên đăng nhập chỉ gồm chữ thường",
            "A username uses lowercase letters",
            "uses lowercase",
        ),
        (
            user("ab", PASSWORD, "inspector", ""),
            "Tên đăng nhập phải dài từ 3 đến 32 ký tự.",
            "A username has 3 to 32 characters.",
            "3 to 32",
        ),
        (
            user("moi.nguoi", PASSWORD, "mayor", ""),
            "Vai trò không có trong danh sách.",
            "This role is not in the list.",
            "unknown role",
        ),
        (
            user("moi.nguoi", PASSWORD, "inspector", "to-ma"),
            "Tổ công tác không có trong danh sách.",
            "This team is not in the list.",
            "unknown team",
        ),
    ];
    for (mut fields, vi, en, cli_words) in cases {
        fields.push(("csrf", csrf.as_str()));
        let username = fields[0].1;
        let (status, _, page) = app.post_page("/admin/users", Some(&admin), form(&fields), &[]).await;
        assert_eq!(status, Status::UnprocessableEntity, "{username}");
        assert!(page.contains(vi), "{username}: {page}");
        assert!(
            !page.contains(cli_words),
            "{username}: the command line's words on a Vietnamese page"
        );
        let (status, _, page) = app
            .post_page(
                "/admin/users",
                Some(&admin),
                form(&fields),
                &[("Accept-Language", "en")],
            )
            .await;
        assert_eq!(status, Status::UnprocessableEntity, "{username}");
        assert!(page.contains(en), "{username}: {page}");
    }
    let (status, _, page) = app
        .post_page(
            "/admin/users/nobody/disable",
            Some(&admin),
            form(&[("csrf", &csrf)]),
            &[],
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("Không tìm thấy tài khoản có tên đăng nhập này."),
        "{page}"
    );
    // Positive control: the same form with a free name and a long password adds the account.
    let fields = [
        ("csrf", csrf.as_str()),
        ("username", "moi.nguoi"),
        ("role", "inspector"),
        ("password", PASSWORD),
    ];
    let (status, _, _) = app.post_page("/admin/users", Some(&admin), form(&fields), &[]).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        app.count("users").await,
        users + 1,
        "only the accepted account was added"
    );
    let (status, _, page) = app
        .post_page(
            "/admin/users/admin/disable",
            Some(&admin),
            form(&[("csrf", &csrf)]),
            &[],
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Bạn không thể tự khóa tài khoản của mình."), "{page}");
}

#[rocket::async_test]
async fn admins_see_accounts_and_rules_but_no_case() {
    let app = TestApp::spawn().await;
    app.add_user("admin", "admin", None, None).await;
    app.add_user("inspector", "inspector", None, None).await;
    let (_, reply) = app.post_report(&report("CANARY-ADMIN cán bộ nhận tiền.")).await;
    let case = app.report_id(reply["code"].as_str().unwrap()).await;
    let (admin, location) = app.sign_in_page("admin").await;
    assert_eq!(location.as_deref(), Some("/admin"));
    let (status, admin_page) = app.get_page("/admin", &admin).await;
    assert_eq!(status, Status::Ok);
    assert!(admin_page.contains("inspector") && !admin_page.contains("CANARY-ADMIN"));
    assert_eq!(
        app.get_page(&format!("/inspector/cases/{case}"), &admin).await.0,
        Status::NotFound
    );
    let (inspector, _) = app.sign_in_page("inspector").await;
    assert_eq!(app.get_page("/admin", &inspector).await.0, Status::Forbidden);
}

/// The confirmation a page shows after a successful action.
const SUCCESS: &str = "<p class=\"success-note\" role=\"status\">";

/// A form posted from a staff page, and what the page says after it.
struct Action<'a> {
    /// The form's address under the page's.
    path: &'a str,
    /// The action the page is sent back with (`?done=`).
    done: &'a str,
    english: bool,
    fields: Vec<(&'a str, &'a str)>,
    confirmation: &'a str,
}

/// Posts `action` from the page at `url`, checks that it comes back to the page with the action and the
/// language in the address, and that the page shows the confirmation once; returns the page.
async fn confirmed(app: &TestApp, session: &Session, url: &str, action: Action<'_>) -> String {
    let query = if action.english { "?lang=en" } else { "" };
    let path = format!("{url}/{}{query}", action.path);
    let (status, location, body) = app.post_page(&path, Some(session), form(&action.fields), &[]).await;
    assert_eq!(status, Status::SeeOther, "{path}: {body}");
    let and = if action.english { "&lang=en" } else { "" };
    assert_eq!(location, Some(format!("{url}?done={}{and}", action.done)), "{path}");
    let (status, shown) = app.get_page(&format!("{url}?done={}{and}", action.done), session).await;
    assert_eq!(status, Status::Ok, "{path}");
    assert!(
        shown.contains(&format!("{SUCCESS}{}</p>", action.confirmation)),
        "{path}: {shown}"
    );
    assert_eq!(shown.matches(SUCCESS).count(), 1, "{path}");
    shown
}

/// Issue 8: a successful case action said nothing; the case page now confirms each one, in the staff
/// member's language, and ignores a `done` it does not know.
#[rocket::async_test]
async fn each_case_action_is_confirmed_on_the_case_page() {
    let app = TestApp::spawn().await;
    app.add_user("truong.doan", "supervisor", None, None).await;
    app.add_user("thanhtra.binh", "inspector", None, None).await;
    let code = app.submit("Cán bộ địa chính nhận tiền để cấp sổ đỏ.").await;
    let case = app.report_id(&code).await;
    // Joins after the report, so the case is thanhtra.binh's; the supervisor gives it to them later.
    app.add_user("thanhtra.chi", "inspector", None, None).await;
    let (inspector, _) = app.sign_in_page("thanhtra.binh").await;
    let (supervisor, _) = app.sign_in_page("truong.doan").await;
    let url = format!("/inspector/cases/{case}");
    let (_, plain) = app.get_page(&url, &inspector).await;
    assert!(!plain.contains(SUCCESS), "no confirmation before any action");
    let inspector_csrf = csrf_on(&plain);
    let supervisor_csrf = csrf_on(&app.get_page(&url, &supervisor).await.1);

    let transition = Action {
        path: "transitions",
        done: "transition",
        english: false,
        fields: vec![
            ("csrf", &inspector_csrf),
            ("to", "accepted"),
            ("reason", "Đủ điều kiện."),
        ],
        confirmation: "Đã chuyển tình trạng vụ việc.",
    };
    confirmed(&app, &inspector, &url, transition).await;
    let message = Action {
        path: "messages",
        done: "message",
        english: true,
        fields: vec![("csrf", &inspector_csrf), ("body", "Xin gửi thêm biên lai.")],
        confirmation: "The message was sent to the reporter.",
    };
    let shown = confirmed(&app, &inspector, &url, message).await;
    assert!(shown.contains("lang=\"en\""), "the page is in English");
    assert!(
        shown.contains(&format!("href=\"{url}?lang&#x3D;vi\"")),
        "the language switch stays on the case"
    );
    let extension = Action {
        path: "extensions",
        done: "extension",
        english: false,
        fields: vec![
            ("csrf", &supervisor_csrf),
            ("type", "complex"),
            ("reason", "Nhiều đơn vị liên quan."),
        ],
        confirmation: "Đã gia hạn thời hạn giải quyết.",
    };
    confirmed(&app, &supervisor, &url, extension).await;
    let assignment = Action {
        path: "assignment",
        done: "assignment",
        english: false,
        fields: vec![("csrf", &supervisor_csrf), ("assignee", "thanhtra.chi")],
        confirmation: "Đã giao lại vụ việc.",
    };
    confirmed(&app, &supervisor, &url, assignment).await;
    let (_, unknown) = app.get_page(&format!("{url}?done=deleted"), &supervisor).await;
    assert!(!unknown.contains(SUCCESS), "an unknown action is ignored");
}

/// Issue 8: the proposal, decision and payment of a commendation are confirmed on the officer's file.
#[rocket::async_test]
async fn each_commendation_step_is_confirmed_on_the_officer_file() {
    let app = TestApp::spawn().await;
    app.add_user("thanhtra.binh", "inspector", None, None).await;
    app.add_user("thi.dua", "officer", None, None).await;
    let inspector = app.sign_in("thanhtra.binh").await;
    let (code, id) = app.concluded(&inspector, "substantiated").await;
    let (officer, _) = app.sign_in_page("thi.dua").await;
    let url = format!("/officer/commendations/{id}");
    let (status, plain) = app.get_page(&url, &officer).await;
    assert_eq!(status, Status::Ok);
    assert!(!plain.contains(SUCCESS));
    assert!(
        plain.contains("thi.dua (Cán bộ thi đua – khen thưởng)"),
        "the role by its name"
    );
    let csrf = csrf_on(&plain);
    let proposal = Action {
        path: "proposal",
        done: "proposal",
        english: false,
        fields: vec![
            ("csrf", &csrf),
            ("recovered", "0"),
            ("form", "ministry_certificate"),
            ("evidence", "KL 9/KL-TTr"),
        ],
        confirmation: "Đã ghi nhận tài sản thu hồi và mức thưởng đề xuất.",
    };
    confirmed(&app, &officer, &url, proposal).await;
    let decision = Action {
        path: "decision",
        done: "decision",
        english: true,
        fields: vec![
            ("csrf", &csrf),
            ("form", "ministry_certificate"),
            ("amount", "46800000"),
        ],
        confirmation: "The commendation decision was recorded.",
    };
    confirmed(&app, &officer, &url, decision).await;
    let (status, _) = app.post_claim(&code, json!({ "accept": true })).await;
    assert_eq!(status, Status::Ok);
    let (_, file) = app.get_page(&url, &officer).await;
    let seen = file
        .split("name=\"claim_seen\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the claim the officer read")
        .replace("&#x3D;", "=");
    let payment = Action {
        path: "payment",
        done: "payment",
        english: false,
        fields: vec![
            ("csrf", &csrf),
            ("amount", "46800000"),
            ("reference", "UNC 12"),
            ("claim_seen", &seen),
        ],
        confirmation: "Đã ghi nhận việc chi trả.",
    };
    confirmed(&app, &officer, &url, payment).await;
    let (_, unknown) = app.get_page(&format!("{url}?done=transition"), &officer).await;
    assert!(!unknown.contains(SUCCESS), "a case action is not a file action");
}

/// Issue 8: the admin page named roles and unit kinds by their ids and labelled a unit's names as a
/// team's; the staff header showed the role id.
#[rocket::async_test]
async fn the_admin_page_names_roles_and_unit_kinds_in_the_readers_language() {
    let app = TestApp::spawn().await;
    app.add_user("quan.tri", "admin", None, None).await;
    app.add_user("truong.doan", "supervisor", None, None).await;
    app.add_user("thanhtra.binh", "inspector", None, None).await;
    app.add_user("thi.dua", "officer", None, None).await;
    let (admin, _) = app.sign_in_page("quan.tri").await;
    let (status, vi) = app.get_page("/admin", &admin).await;
    assert_eq!(status, Status::Ok);
    for name in [
        "<td>Quản trị viên</td>",
        "<td>Trưởng đoàn / lãnh đạo thanh tra</td>",
        "<td>Thanh tra viên</td>",
        "<td>Cán bộ thi đua – khen thưởng</td>",
        "<option value=\"inspector\">Thanh tra viên</option>",
        "<option value=\"officer\">Cán bộ thi đua – khen thưởng</option>",
        "<option value=\"district\">Huyện</option>",
        "<option value=\"town\">Thị trấn</option>",
        "<option value=\"commune\">Xã</option>",
        "<option value=\"ward\">Phường</option>",
        "<label for=\"unit-vi\">Tên đơn vị (tiếng Việt)</label>",
        "<label for=\"unit-en\">Tên đơn vị (tiếng Anh)</label>",
        "quan.tri (Quản trị viên)",
    ] {
        assert!(vi.contains(name), "{name} is missing");
    }
    for id in [
        "admin",
        "supervisor",
        "inspector",
        "officer",
        "district",
        "town",
        "commune",
        "ward",
    ] {
        assert!(!vi.contains(&format!(">{id}<")), "the id {id} is shown");
    }
    assert!(!vi.contains("(admin)"), "the header shows the role's name");
    let (_, en) = app.get_page("/admin?lang=en", &admin).await;
    assert!(en.contains("<td>Inspector</td>") && en.contains("<option value=\"ward\">Ward</option>"));
    assert!(en.contains("Unit name (Vietnamese)") && en.contains("quan.tri (Administrator)"));

    let (inspector, _) = app.sign_in_page("thanhtra.binh").await;
    let (_, queue) = app.get_page("/inspector", &inspector).await;
    assert!(queue.contains("thanhtra.binh (Thanh tra viên)") && !queue.contains("(inspector)"));
}

/// Each admin action comes back to the admin page with its confirmation.
#[rocket::async_test]
async fn each_admin_action_is_confirmed() {
    let app = TestApp::spawn().await;
    app.add_user("quan.tri", "admin", None, None).await;
    app.add_user("cu.thanhtra", "inspector", None, None).await;
    let (admin, _) = app.sign_in_page("quan.tri").await;
    let csrf = csrf_on(&app.get_page("/admin", &admin).await.1);
    let actions: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/admin/users",
            vec![("username", "moi.nguoi"), ("role", "inspector"), ("password", PASSWORD)],
        ),
        ("/admin/users/cu.thanhtra/disable", vec![]),
        ("/admin/teams", vec![("id", "to-dat-dai"), ("name_vi", "Tổ đất đai")]),
        (
            "/admin/rules",
            vec![("category", "forgery"), ("unit", "*"), ("team", "to-dat-dai")],
        ),
        ("/admin/rules/delete", vec![("category", "forgery"), ("unit", "*")]),
        (
            "/admin/units",
            vec![("id", "phuong-moi"), ("kind", "ward"), ("name_vi", "Phường Mới")],
        ),
    ];
    for (path, mut fields) in actions {
        fields.push(("csrf", &csrf));
        let (status, _, shown) = app.post_page(path, Some(&admin), form(&fields), &[]).await;
        assert_eq!(status, Status::Ok, "{path}: {shown}");
        assert!(shown.contains(&format!("{SUCCESS}Đã lưu.</p>")), "{path}");
    }
}

/// What Chromium and Firefox send with a sign-in form of this site, and what a sandboxed frame of another
/// site sends: the first signs in, the others are refused with a page that says what happened, in the
/// reader's language (the browser suite drives the same through real browsers).
#[rocket::async_test]
async fn sign_in_forms_posted_as_browsers_post_them() {
    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    let sign_in = |code: String| form(&[("username", "lan.nguyen"), ("password", PASSWORD), ("totp", &code)]);
    let host = ("Host", "127.0.0.1:8000");
    let refusals: [(&str, &[Headers]); 4] = [
        ("vi", &[host, ("Origin", "null"), ("Sec-Fetch-Site", "cross-site")]),
        ("en", &[host, ("Origin", "null")]),
        (
            "vi",
            &[
                host,
                ("Origin", "http://localhost:8000"),
                ("Sec-Fetch-Site", "same-site"),
            ],
        ),
        ("en", &[host, ("Origin", "http://127.0.0.1:9000")]),
    ];
    for (lang, headers) in refusals {
        let path = if lang == "en" {
            "/inspector/sign-in?lang=en"
        } else {
            "/inspector/sign-in"
        };
        let (status, _, body) = app
            .post_page(path, None, sign_in(app.totp("lan.nguyen", 0).await), headers)
            .await;
        assert_eq!(status, Status::Forbidden, "{headers:?}");
        let said = if lang == "en" {
            "This form was sent from another site or has expired"
        } else {
            "Biểu mẫu này được gửi từ một trang web khác hoặc đã hết hạn"
        };
        assert!(body.contains(said), "{lang}: {body}");
        assert!(!body.contains("Không đọc được dữ liệu"), "not the unreadable-data page");
    }
    let count = || async {
        sqlx::query("SELECT COUNT(*) AS n FROM sessions")
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    assert_eq!(count().await, 0, "no refused post signed anyone in");
    let browser: &[Headers] = &[
        host,
        ("Origin", "http://127.0.0.1:8000"),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    let (status, location, _) = app
        .post_page(
            "/inspector/sign-in",
            None,
            sign_in(app.totp("lan.nguyen", 0).await),
            browser,
        )
        .await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/inspector")));
    assert_eq!(count().await, 1);

    // The API says the same in JSON.
    let response = app
        .client
        .post("/api/v1/session")
        .header(ContentType::JSON)
        .header(Header::new("Host", "127.0.0.1:8000"))
        .header(Header::new("Origin", "null"))
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .body(json!({ "username": "lan.nguyen", "password": PASSWORD, "totp": "000000" }).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Forbidden);
    let body: serde_json::Value = serde_json::from_str(&response.into_string().await.unwrap_or_default()).unwrap();
    assert_eq!(body["error"]["code"], "cross_site", "{body}");
}
