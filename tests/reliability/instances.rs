//! Several instances of the real binary on one PostgreSQL (issue 14), each with its own data directory and
//! the server secret copied to it, as on separate machines, behind a real load balancer (nginx, round
//! robin, no sticky sessions): a session made on one works on the others; wrong sign-ins spread over the
//! instances throttle the account as one; the background work runs on one at a time under a lease, and
//! each overdue case is escalated once; after `kill -9` of the instance holding the lease another takes it
//! within a stated time; submissions and then transitions through the balancer at once leave one chain
//! that `audit verify` accepts; instances started together on a database without an admin print one
//! setup code, accepted once.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::{Executor, Row};

use crate::balancer::{self, Balancer};
use crate::server::{submit, Deployment, Server, StaffAccount};
use crate::{ci, figure, fresh_database};

/// Seconds between background rounds here; the lease lasts three.
const ROUND_SECONDS: u64 = 1;

fn lease_holder(deployment: &Deployment) -> Option<String> {
    tokio::runtime::Runtime::new().expect("a runtime").block_on(async {
        let mut conn = deployment.connect().await.expect("the database opens");
        conn.fetch_optional("SELECT holder FROM leases WHERE name = 'background'")
            .await
            .expect("the query runs")
            .map(|r| r.try_get::<String, _>("holder").expect("a holder"))
    })
}

/// The overdue resolutions not escalated yet: what the background work must escalate, each once.
fn overdue_unescalated(url: &str) -> usize {
    tokio::runtime::Runtime::new().expect("a runtime").block_on(async {
        let db = minhbach::store::Db::connect(url).await.expect("the database");
        let now = minhbach::store::now_millis();
        let cases = minhbach::store::cases::list_resolving_unescalated(db.pool())
            .await
            .expect("cases");
        let overdue = cases
            .iter()
            .filter(|c| {
                minhbach::domain::clock::deadlines_of_clock(c.received_at, &c.clock, now)
                    .iter()
                    .any(|d| {
                        d.stage == minhbach::domain::Stage::Resolution
                            && d.state == minhbach::domain::calendar::DeadlineState::Overdue
                    })
            })
            .count();
        db.close().await;
        overdue
    })
}

fn copy_secret(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a data directory");
    std::fs::copy(from.join("secret.key"), to.join("secret.key")).expect("the secret copied");
}

/// What is needed here: PostgreSQL (`TEST_DATABASE_URL`) and nginx; `None` (having said why) without them.
fn prerequisites() -> Option<(String, std::path::PathBuf)> {
    let Some(url) = fresh_database() else {
        eprintln!("skipped on SQLite: several instances share a PostgreSQL (TEST_DATABASE_URL)");
        return None;
    };
    let Some(nginx) = balancer::nginx() else {
        ci::skip("nginx is not installed (Debian: apt-get install nginx-light)");
        return None;
    };
    Some((url, nginx))
}

/// An answer's status and the instance that gave it (the balancer's `X-Upstream`).
fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(_) => return (0, String::new()),
    };
    (
        response.status(),
        response.header("X-Upstream").unwrap_or_default().to_owned(),
    )
}

/// The `n` reports received last, newest first.
fn newest_received(deployment: &Deployment, n: usize) -> Vec<String> {
    tokio::runtime::Runtime::new().expect("a runtime").block_on(async {
        let mut conn = deployment.connect().await.expect("the database opens");
        sqlx::query_scalar("SELECT id FROM reports WHERE status = 'received' ORDER BY received_at DESC LIMIT $1")
            .bind(n as i64)
            .fetch_all(&mut conn)
            .await
            .expect("the query runs")
    })
}

/// Accepts every case of `ids` through the balancer, three clients at once: how many moved (`200`) and the
/// instances that answered.
fn accept_at_once(base: &str, cookie: &str, ids: &[String]) -> (usize, std::collections::BTreeSet<String>) {
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(ids.len().div_ceil(3).max(1))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| {
                            answer(
                                ureq::post(&format!("{base}/api/v1/cases/{id}/transitions"))
                                    .set("Cookie", cookie)
                                    .send_json(
                                        serde_json::json!({ "to": "accepted", "reason": "Đủ điều kiện thụ lý" }),
                                    ),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a client")).collect()
    });
    let moved = answers.iter().filter(|(status, _)| *status == 200).count();
    // After a failed try nginx names both upstreams ("dead, alive"): the one that answered is the last.
    let answered = answers.iter().filter_map(|(_, upstream)| upstream.rsplit(", ").next());
    (moved, answered.map(str::to_owned).collect())
}

/// `n` wrong sign-ins (right password, wrong one-time code) for `account` through the balancer, one after
/// another: the statuses seen and the instances that answered.
fn wrong_sign_ins(base: &str, account: &StaffAccount, n: usize) -> (Vec<u16>, std::collections::BTreeSet<String>) {
    let mut upstreams = std::collections::BTreeSet::new();
    let statuses = (0..n)
        .map(|_| {
            let body = serde_json::json!({
                "username": account.username,
                "password": crate::server::STAFF_PASSWORD,
                "totp": account.wrong_code(),
            });
            let (status, upstream) = answer(ureq::post(&format!("{base}/api/v1/session")).send_json(body));
            upstreams.insert(upstream);
            status
        })
        .collect();
    (statuses, upstreams)
}

#[test]
fn three_instances_share_sessions_escalate_each_case_once_and_hand_the_work_on_when_one_is_killed() {
    let Some((url, nginx)) = prerequisites() else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let deployments: Vec<Deployment> = ["a", "b", "c"]
        .iter()
        .map(|name| {
            let mut d = Deployment::new(&dir.path().join(name), Some(url.clone()));
            d.env
                .push(("MINHBACH_BACKGROUND_SECONDS".into(), ROUND_SECONDS.to_string()));
            d
        })
        .collect();
    // Demo data (back-dated over eight months) holds overdue resolutions, left for the servers to escalate.
    let out = deployments[0].run(&["demo", "--reports", "240", "--seed", "2026", "--leave-overdue"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected = overdue_unescalated(&url);
    let before = deployments[0].number("SELECT COUNT(*) AS n FROM ledger WHERE kind = 'escalation'");
    for d in &deployments[1..] {
        copy_secret(&deployments[0].data_dir, &d.data_dir);
    }
    let mut account = deployments[0].add_staff("gs.nhieu", "supervisor");
    let servers: Vec<Server> = deployments.iter().map(Deployment::serve).collect();
    let backends: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let lb = Balancer::start(&nginx, &dir.path().join("nginx"), &backends);

    // A session made through the balancer works on every instance, directly and through the balancer.
    let (cookie, _) = account.sign_in(&lb.base).expect("the supervisor signs in");
    for server in &servers {
        let (status, _) = answer(
            ureq::get(&format!("{}/api/v1/cases", server.base))
                .set("Cookie", &cookie)
                .call(),
        );
        assert_eq!(status, 200, "the session works on {}", server.base);
    }
    let through: Vec<(u16, String)> = (0..6)
        .map(|_| {
            answer(
                ureq::get(&format!("{}/api/v1/cases", lb.base))
                    .set("Cookie", &cookie)
                    .call(),
            )
        })
        .collect();
    let upstreams: std::collections::BTreeSet<&String> = through.iter().map(|(_, u)| u).collect();
    assert!(through.iter().all(|(s, _)| *s == 200), "{through:?}");
    assert_eq!(upstreams.len(), 3, "round robin over the three: {through:?}");

    // 20 wrong sign-ins spread over the instances spend one account bucket (5 at once, one per 12 s).
    let started = Instant::now();
    let (statuses, upstreams) = wrong_sign_ins(&lb.base, &account, 20);
    let allowed = 5 + (started.elapsed().as_secs() / 12) as usize;
    let rejected = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    // The step the first sign-in spent is accepted once; the member's next code comes with the next step.
    while Some(crate::server::totp_step_now()) <= account.last_step {
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, fresh_ms) = account
        .sign_in(&lb.base)
        .expect("with a fresh code the member still signs in");
    figure!(
        "instances: 20 wrong sign-ins over {} instances behind nginx: {rejected} checked (401), {throttled} \
         throttled (429): one bucket; the member then signed in through the balancer ({fresh_ms:.0} ms)",
        upstreams.len()
    );
    assert_eq!(upstreams.len(), 3, "the attempts went to every instance");
    assert_eq!((rejected + throttled, rejected <= allowed), (20, true), "{statuses:?}");
    assert!(
        throttled >= 20 - allowed,
        "throttled as one account, not per instance: {statuses:?}"
    );

    // Every overdue case escalated once, however many instances run the sweep.
    let deadline = Instant::now() + Duration::from_secs(60);
    let escalations = || deployments[0].number("SELECT COUNT(*) AS n FROM ledger WHERE kind = 'escalation'");
    while (escalations() - before) < expected as i64 {
        assert!(Instant::now() < deadline, "escalations did not come");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3 * ROUND_SECONDS));
    let twice = deployments[0].number(
        "SELECT COUNT(*) AS n FROM (SELECT report_id FROM ledger WHERE kind = 'escalation' \
         GROUP BY report_id HAVING COUNT(*) > 1) AS t",
    );
    let written = escalations() - before;
    assert!(
        expected > 0,
        "the control: the demo left overdue resolutions to escalate"
    );
    assert_eq!(
        (written, twice),
        (expected as i64, 0),
        "each overdue case escalated once"
    );

    // The instance holding the lease is killed; another takes the work once the lease runs out.
    let holder = lease_holder(&deployments[0]).expect("a holder");
    let pid: u32 = holder.split('-').next().and_then(|p| p.parse().ok()).expect("a pid");
    let index = servers
        .iter()
        .position(|s| s.pid() == pid)
        .expect("one of ours holds it");
    let mut servers: Vec<Option<Server>> = servers.into_iter().map(Some).collect();
    servers[index].take().expect("the holder").kill();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(30);
    let next = loop {
        match lease_holder(&deployments[0]) {
            Some(h) if h != holder => break h,
            _ => assert!(Instant::now() < deadline, "no instance took the lease"),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let taken = killed.elapsed().as_secs_f64();
    let next_pid: u32 = next.split('-').next().and_then(|p| p.parse().ok()).expect("a pid");
    assert!(
        servers.iter().flatten().any(|s| s.pid() == next_pid),
        "a survivor holds it"
    );

    // Submissions through the balancer at once (two clients, the survivors behind it): one chain.
    let filed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let base = &lb.base;
                scope.spawn(move || (0..15).filter(|i| submit(base, k * 100 + i).is_ok()).count())
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a client")).sum()
    });
    // The supervisor (in the default team, which these reports reach) accepts them at once through the
    // balancer, three clients: transitions written by different instances, on one chain.
    let filed_ids = newest_received(&deployments[0], filed);
    let (moved, upstreams) = accept_at_once(&lb.base, &cookie, &filed_ids);
    let verify = deployments[1].run(&["audit", "verify"]);
    figure!(
        "instances: {expected} overdue cases escalated by 3 instances, {written} escalations written, {twice} \
         twice; lease taken {taken:.1} s after kill -9 of its holder (rounds {ROUND_SECONDS} s, lease 3 rounds); \
         {filed}/30 reports filed at once through the balancer after the kill, then {moved}/{} accepted at once \
         through it by {} instances; audit verify {}",
        filed_ids.len(),
        upstreams.len(),
        if verify.status.success() { "passes" } else { "FAILS" }
    );
    assert_eq!(
        (moved, upstreams.len()),
        (filed_ids.len(), 2),
        "every transition, on both survivors"
    );
    assert!(
        taken <= (4 * ROUND_SECONDS + 2) as f64,
        "the lease moved in {taken:.1} s"
    );
    assert_eq!(filed, 30);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

/// The setup code each instance printed at start (`XXXX-XXXX-XXXX-XXXX-XXXX` after the prompt).
fn printed_code(out: &Path) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let code = text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 24 && l.matches('-').count() == 4)
            .map(str::to_owned);
        if code.is_some() || Instant::now() > deadline {
            return code;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn instances_started_together_without_an_admin_print_one_setup_code_and_accept_it_once() {
    let Some((url, nginx)) = prerequisites() else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let deployments: Vec<Deployment> = ["a", "b", "c"]
        .iter()
        .map(|name| Deployment::new(&dir.path().join(name), Some(url.clone())))
        .collect();
    // The operator makes the secret once (the first run makes it) and copies it to the other machines.
    let out = deployments[0].run(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for d in &deployments[1..] {
        copy_secret(&deployments[0].data_dir, &d.data_dir);
    }
    let outs: Vec<_> = (0..3).map(|i| dir.path().join(format!("out-{i}.txt"))).collect();
    let servers: Vec<Server> = std::thread::scope(|scope| {
        let started: Vec<_> = deployments
            .iter()
            .zip(&outs)
            .map(|(d, out)| scope.spawn(move || d.serve_printing(out)))
            .collect();
        started.into_iter().map(|h| h.join().expect("an instance")).collect()
    });
    let codes: Vec<Option<String>> = outs.iter().map(|o| printed_code(o)).collect();
    let backends: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let lb = Balancer::start(&nginx, &dir.path().join("nginx"), &backends);
    let code = codes[0].clone().expect("the first instance printed a setup code");

    // Three people type the code at once, through the balancer (so on different instances).
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..3)
            .map(|i| {
                let (base, code) = (&lb.base, &code);
                scope.spawn(move || {
                    let form = [
                        ("code", code.as_str()),
                        ("username", &format!("quan.tri{i}")),
                        ("password", crate::server::STAFF_PASSWORD),
                    ];
                    answer(
                        ureq::post(&format!("{base}/admin/setup"))
                            .set("Origin", base)
                            .send_form(&form),
                    )
                })
            })
            .collect();
        posts.into_iter().map(|h| h.join().expect("a post")).collect()
    });
    let created = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers.iter().filter(|(s, _)| *s == 403).count();
    let admins = deployments[0].number("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'");
    let (setup_page, _) = answer(ureq::get(&format!("{}/admin/setup", lb.base)).call());
    figure!(
        "instances: 3 started together printed {} distinct setup code(s); typed at once on 3 instances: {created} \
         accepted, {refused} refused; {admins} admin; the setup page then answers {setup_page}",
        codes.iter().flatten().collect::<std::collections::BTreeSet<_>>().len()
    );
    assert!(codes.iter().all(|c| c.as_ref() == Some(&code)), "one code: {codes:?}");
    assert_eq!((created, refused, admins), (1, 2, 1), "accepted once: {answers:?}");
    assert_eq!(setup_page, 404, "closed once an admin exists");
}
