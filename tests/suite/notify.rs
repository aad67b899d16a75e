//! Staff notifications (issue 13) through a real SMTP server (aiosmtpd, started here): the profile page,
//! the mail each event sends (recipient and subject), no report content in any mail, the daily digest at
//! its hour and once a day, and two notifiers (as two instances on one database) mailing each event once.
//! The outage and restart test, against the real binary, is in `tests/reliability/notify.rs`.

use std::time::Duration;

use minhbach::app::notify::{Notifier, Outage};
use minhbach::app::Clock;
use rocket::http::Status;
use serde_json::json;

use crate::helpers::{csrf_on, form, report, Session, TestApp};
use crate::smtp::{self, Received, SmtpServer};

const NARRATIVE: &str = "CANARYNARRATIVE7731 Trưởng phòng địa chính nhận 50 triệu đồng để cấp sổ đỏ.";
const REPLY: &str = "CANARYREPLY5521 Tôi còn giữ biên lai chuyển tiền.";

async fn app_mailing_to(port: u16) -> TestApp {
    TestApp::spawn_with(|f| {
        f.merge(("smtp_host", "127.0.0.1"))
            .merge(("smtp_port", port))
            .merge(("smtp_starttls", false))
            .merge(("smtp_from", "Thanh tra huyện Hóc Môn <thanhtra@hocmon.example>"))
            .merge(("public_url", "https://thanhtra.hocmon.example"))
            // The rounds are run by hand here; the server's own task runs one at start, then sleeps.
            .merge(("notify_poll_seconds", 3600))
    })
    .await
}

fn notifier(app: &TestApp) -> Notifier {
    let settings = app.client.rocket().state::<minhbach::Settings>().expect("settings");
    minhbach::web::notifier(settings)
        .expect("valid settings")
        .expect("SMTP is set")
}

/// Sets a staff member's choices through their profile page, as they would; returns their session.
async fn choose(app: &TestApp, username: &str, email: &str, lang: &str, digest_hour: &str) -> Session {
    let session = app.sign_in(username).await;
    let (status, page) = app.get_page("/inspector/profile", &session).await;
    assert_eq!(status, Status::Ok, "{page}");
    let fields = [
        ("csrf", csrf_on(&page)),
        ("email", email.to_owned()),
        ("mail_lang", lang.to_owned()),
        ("on_assigned", "true".into()),
        ("on_reply", "true".into()),
        ("on_commendation", "true".into()),
        ("digest", "true".into()),
        ("digest_hour", digest_hour.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = app
        .post_page("/inspector/profile", Some(&session), form(&fields), &[])
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location.as_deref(), Some("/inspector/profile?done=saved"));
    let (_, page) = app.get_page("/inspector/profile?done=saved", &session).await;
    assert!(
        page.contains(&format!("value=\"{email}\"")),
        "the address is shown back"
    );
    session
}

/// Runs rounds until one queues and sends nothing more; returns what was queued and sent in all.
async fn settle(app: &TestApp, notifier: &Notifier, clock: Clock) -> (usize, usize) {
    let (mut queued, mut sent) = (0, 0);
    let mut outage = Outage::default();
    loop {
        let round = notifier.round(app.db(), clock, &mut outage).await.expect("a round");
        assert_eq!(round.failed, 0, "the mail server takes every mail");
        if round.queued + round.sent == 0 {
            return (queued, sent);
        }
        queued += round.queued;
        sent += round.sent;
    }
}

fn subjects_to(mails: &[Received], to: &str) -> Vec<String> {
    let mut subjects: Vec<String> = mails.iter().filter(|m| m.to == to).map(|m| m.subject.clone()).collect();
    subjects.sort();
    subjects
}

#[rocket::async_test]
async fn each_event_mails_its_staff_once_with_no_report_content_and_the_digest_comes_at_its_hour() {
    if !smtp::available() {
        crate::ci::skip("aiosmtpd is not installed (pip install aiosmtpd)");
        return;
    }
    let maildir = tempfile::tempdir().expect("a directory");
    let port = smtp::free_port();
    let _server = SmtpServer::start(port, maildir.path());
    let app = app_mailing_to(port).await;
    let first = notifier(&app);
    let now = Clock::now();
    // The first round starts reading the ledger at its head: what came before mails nobody.
    settle(&app, &first, now).await;

    app.add_user("tt.nhan", "inspector", None, None).await;
    app.add_user("td.nhan", "officer", None, None).await;
    app.add_user("gs.khong", "supervisor", None, None).await;
    let inspector = choose(&app, "tt.nhan", "thanhtra.nhan@hocmon.example", "vi", "23").await;
    choose(&app, "td.nhan", "thidua@hocmon.example", "en", "23").await;
    // The supervisor gives no address: else the team's overdue deadlines would bring them a digest too (a
    // third below, where two are counted).

    let mut body = report(NARRATIVE);
    body["accused"] = json!("Ông Lê Văn Canaryaccused");
    let (status, reply) = app.post_report(&body).await;
    assert_eq!(status, Status::Created, "{reply}");
    let code = reply["code"].as_str().expect("a code").to_owned();
    let id = app.report_id(&code).await;
    let (status, _) = app.post_report_message(&code, REPLY).await;
    assert_eq!(status, Status::Created);
    for to in ["accepted", "investigating", "substantiated"] {
        let (status, body) = app
            .post_transition(
                &inspector,
                &id,
                &json!({ "to": to, "reason": "Theo kết quả xác minh." }),
            )
            .await;
        assert_eq!(status, Status::Ok, "{to}: {body}");
    }

    // Two notifiers on one database, as two instances: every event is mailed once.
    let second = notifier(&app);
    let ((q1, s1), (q2, s2)) = tokio::join!(settle(&app, &first, now), settle(&app, &second, now));
    let mails = smtp::wait_for(maildir.path(), 3, Duration::from_secs(10));
    eprintln!(
        "figure: notifications queued {q1}+{q2}, sent {s1}+{s2}, received {}",
        mails.len()
    );
    assert_eq!((q1 + q2, s1 + s2, mails.len()), (3, 3, 3), "{mails:#?}");
    assert_eq!(
        subjects_to(&mails, "thanhtra.nhan@hocmon.example"),
        [
            "Minh Bạch: một vụ việc mới được giao cho bạn",
            "Minh Bạch: người tố cáo đã trả lời"
        ]
    );
    assert_eq!(
        subjects_to(&mails, "thidua@hocmon.example"),
        ["Minh Bạch: a commendation is waiting for you"]
    );
    assert!(mails
        .iter()
        .all(|m| m.body.contains("https://thanhtra.hocmon.example/inspector/sign-in")));
    let assigned = mails
        .iter()
        .find(|m| m.subject.contains("được giao"))
        .expect("the assignment mail");
    // Worded when the round ran, after the case was accepted: its next deadline is the notice to the reporter.
    assert!(
        assigned.body.contains("Thời hạn tiếp theo: Thụ lý, đến hết ngày"),
        "{}",
        assigned.body
    );

    // No mail carries the report: its narrative, the accused, the unit, the code, the reply, the id. (The
    // control: the inspector's own view of the case does carry the narrative, the accused and the reply.)
    let (_, case) = app.get_case(&inspector, &id).await;
    let shown = case.to_string();
    for canary in ["CANARYNARRATIVE7731", "Canaryaccused", "CANARYREPLY5521"] {
        assert!(shown.contains(canary), "{canary} in {shown}");
    }
    let canaries = [
        "CANARYNARRATIVE7731",
        "Canaryaccused",
        "Bà Điểm",
        "ba-diem",
        code.as_str(),
        &code.replace('-', ""),
        "CANARYREPLY5521",
        id.as_str(),
    ];
    for mail in &mails {
        let text = mail.all_text();
        for canary in canaries {
            assert!(!text.contains(canary), "a mail carries {canary:?}:\n{text}");
        }
        assert!(
            !crate::helpers::contains_code_shape(&text),
            "a mail carries a code:\n{text}"
        );
    }

    // The digest: at 23:00 Vietnam time, 40 days on, the case's notice to the reporter and the result
    // told to them are overdue for its inspector (no message ever told them); the officer's proposal too. Once a day: a second round queues nothing.
    let late = Clock::at(late_evening_days_ahead(now, 40));
    let (queued, sent) = settle(&app, &first, late).await;
    assert_eq!((queued, sent), (2, 2));
    let mails = smtp::wait_for(maildir.path(), 5, Duration::from_secs(10));
    let digest = mails
        .iter()
        .find(|m| m.subject.starts_with("Minh Bạch: thời hạn của bạn"))
        .expect("a digest");
    assert_eq!(digest.to, "thanhtra.nhan@hocmon.example");
    let lines: Vec<&str> = digest.body.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        lines,
        [
            "- Thụ lý: 0 đến hạn trong 2 ngày làm việc, 1 quá hạn.",
            "- Thông báo kết quả: 0 đến hạn trong 2 ngày làm việc, 1 quá hạn."
        ],
        "{}",
        digest.body
    );
    let officer = mails
        .iter()
        .find(|m| m.subject.starts_with("Minh Bạch: your deadlines"))
        .expect("a digest");
    assert!(
        officer
            .body
            .contains("- Commendation proposal: 0 due within 2 working days, 1 overdue."),
        "{}",
        officer.body
    );
    assert_eq!(settle(&app, &second, late).await, (0, 0), "one digest a day");
    for mail in &mails {
        assert!(!mail.all_text().contains("CANARYNARRATIVE7731"));
    }
}

/// 23:00 in Vietnam `days` days after `now` (so every digest hour has come).
fn late_evening_days_ahead(now: Clock, days: i64) -> i64 {
    let day = now.today() + time::Duration::days(days);
    minhbach::domain::calendar::midnight_millis(day) + 23 * 3600 * 1000
}

#[rocket::async_test]
async fn the_profile_page_refuses_a_bad_address_in_the_users_language_and_an_empty_one_turns_mail_off() {
    let app = TestApp::spawn().await;
    app.add_user("tt.hoso", "inspector", None, None).await;
    let session = app.sign_in("tt.hoso").await;
    let (status, page) = app.get_page("/inspector/profile", &session).await;
    assert_eq!(status, Status::Ok);
    assert!(
        page.contains("chưa cấu hình máy chủ thư"),
        "with no mail server the page says so"
    );
    let csrf = csrf_on(&page);
    let post = |email: &'static str, hour: &'static str| {
        form(&[
            ("csrf", &csrf),
            ("email", email),
            ("mail_lang", "vi"),
            ("digest", "true"),
            ("digest_hour", hour),
        ])
    };
    let (status, _, page) = app
        .post_page(
            "/inspector/profile",
            Some(&session),
            post("không phải địa chỉ", "7"),
            &[],
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Địa chỉ thư điện tử không hợp lệ"), "{page}");
    let (status, _, page) = app
        .post_page("/inspector/profile", Some(&session), post("a@b.example", "24"), &[])
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("Hãy chọn giờ từ 0 đến 23."), "{page}");
    assert_eq!(app.count("notify_choices").await, 0, "nothing refused is stored");
    let (status, _, _) = app
        .post_page("/inspector/profile", Some(&session), post("a@b.example", "6"), &[])
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(app.count("notify_choices").await, 1);
    let (status, _, _) = app
        .post_page("/inspector/profile", Some(&session), post("", "6"), &[])
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        app.count("notify_choices").await,
        0,
        "an empty address forgets the choices"
    );
    let wrong = form(&[("csrf", "forged"), ("email", "a@b.example")]);
    let (status, _, _) = app.post_page("/inspector/profile", Some(&session), wrong, &[]).await;
    assert_eq!(status, Status::Forbidden);
}
