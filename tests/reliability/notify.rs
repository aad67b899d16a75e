//! Staff notifications against the real binary and a real SMTP server (aiosmtpd, from PyPI): with the mail
//! server down, requests still succeed and their mails wait in the outbox; the app is killed (`kill -9`)
//! and started again while the server is still down; once the server is back every mail arrives, none
//! twice and none lost; and each process logs the outage once, not once per mail.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::server::{submit, Deployment};
use crate::smtp::{self, SmtpServer};
use crate::{ci, figure, fresh_database};

const ADDRESS: &str = "thanhtra.truc@hocmon.example";
const OUTAGE_LINE: &str = "the mail server is failing";

/// Sets the inspector's address and choices on their profile page, as a browser would post it.
fn choose_mail(base: &str, cookie: &str) {
    let page = ureq::get(&format!("{base}/inspector/profile"))
        .set("Cookie", cookie)
        .call()
        .expect("the profile page")
        .into_string()
        .expect("its HTML");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token")
        .to_owned();
    let response = ureq::AgentBuilder::new()
        .redirects(0)
        .build()
        .post(&format!("{base}/inspector/profile"))
        .set("Cookie", cookie)
        .set("Origin", base)
        .send_form(&[
            ("csrf", csrf.as_str()),
            ("email", ADDRESS),
            ("mail_lang", "vi"),
            ("on_assigned", "true"),
        ])
        .expect("the choices are saved");
    assert_eq!(response.status(), 303);
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn outage_lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(OUTAGE_LINE))
        .count()
}

#[test]
fn mails_wait_out_a_mail_server_outage_and_an_app_restart_and_none_is_lost_or_sent_twice() {
    if !smtp::available() {
        ci::skip("aiosmtpd is not installed (pip install aiosmtpd)");
        return;
    }
    let dir = tempfile::tempdir().expect("a directory");
    let maildir = dir.path().join("maildir");
    let mut deployment = Deployment::new(&dir.path().join("data"), fresh_database());
    let port = smtp::free_port();
    for (k, v) in [
        ("MINHBACH_SMTP_HOST", "127.0.0.1".to_owned()),
        ("MINHBACH_SMTP_PORT", port.to_string()),
        ("MINHBACH_SMTP_STARTTLS", "false".into()),
        ("MINHBACH_SMTP_FROM", "Thanh tra <thanhtra@hocmon.example>".into()),
        ("MINHBACH_NOTIFY_POLL_SECONDS", "1".into()),
        ("MINHBACH_NOTIFY_RETRY_SECONDS", "1".into()),
    ] {
        deployment.env.push((k.to_owned(), v));
    }
    let mut inspector = deployment.add_staff("tt.truc", "inspector");
    let first_log = dir.path().join("first.log");
    let server = deployment.serve_logged(&first_log);
    let (cookie, _) = inspector.sign_in(&server.base).expect("the inspector signs in");
    choose_mail(&server.base, &cookie);
    wait_until("the notifier started", Duration::from_secs(30), || {
        deployment.number("SELECT COUNT(*) AS n FROM notify_cursor") == 1
    });

    // The mail server is down: every submission still succeeds at once, and its mail waits.
    for i in 0..3 {
        submit(&server.base, i).expect("a report is filed while mail is down");
    }
    wait_until("three mails wait and were tried", Duration::from_secs(30), || {
        deployment.number("SELECT COUNT(*) AS n FROM outbox") == 3
            && deployment.number("SELECT MIN(attempts) AS n FROM outbox") >= 1
    });
    server.kill();

    // Started again, the mail server still down: one more report, one more mail.
    let second_log = dir.path().join("second.log");
    let server = deployment.serve_logged(&second_log);
    submit(&server.base, 3).expect("a report is filed after the restart");
    wait_until("four mails wait and were tried", Duration::from_secs(30), || {
        deployment.number("SELECT COUNT(*) AS n FROM outbox") == 4
            && deployment.number("SELECT MIN(attempts) AS n FROM outbox") >= 1
    });
    let attempts = deployment.number("SELECT CAST(SUM(attempts) AS BIGINT) AS n FROM outbox");
    let logged = (outage_lines(&first_log), outage_lines(&second_log));

    let back = Instant::now();
    let _smtp = SmtpServer::start(port, &maildir);
    let mails = smtp::wait_for(&maildir, 4, Duration::from_secs(120));
    let delivered_after = back.elapsed().as_secs_f64();
    // A little longer: nothing more may arrive.
    std::thread::sleep(Duration::from_secs(3));
    let mails_later = smtp::received(&maildir);
    figure!(
        "notify outage: {} mails delivered {delivered_after:.1} s after the mail server came back, {} after \
         3 s more, {attempts} failed attempts while it was down, outage logged {}+{} times (two processes)",
        mails.len(),
        mails_later.len(),
        logged.0,
        logged.1
    );
    assert_eq!(mails_later.len(), 4, "every mail arrives once: {mails_later:#?}");
    assert!(mails_later.iter().all(|m| m.to == ADDRESS));
    assert!(mails_later
        .iter()
        .all(|m| m.subject == "Minh Bạch: một vụ việc mới được giao cho bạn"));
    assert_eq!(
        deployment.number("SELECT COUNT(*) AS n FROM outbox"),
        0,
        "the outbox is empty"
    );
    assert_eq!(
        logged,
        (1, 1),
        "each process logs the outage once, however many mails failed"
    );
    drop(server);
}
