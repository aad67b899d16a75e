//! Several instances of the real binary on one PostgreSQL (issue 14), each with its own data directory and
//! the server secret copied to it, as on separate machines: a session made on one works on the others; the
//! background work runs on one at a time under a lease, and each overdue case is escalated once; after
//! `kill -9` of the instance holding the lease another takes it within a stated time; submissions through
//! every instance at once leave one chain that `audit verify` accepts.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::{Executor, Row};

use crate::server::{submit, Deployment, Server};
use crate::{figure, fresh_database};

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

#[test]
fn three_instances_share_sessions_escalate_each_case_once_and_hand_the_work_on_when_one_is_killed() {
    let Some(url) = fresh_database() else {
        return eprintln!("skipped on SQLite: several instances share a PostgreSQL (TEST_DATABASE_URL)");
    };
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

    // A session made on one instance works on the others.
    let (cookie, _) = account.sign_in(&servers[0].base).expect("the supervisor signs in");
    for server in &servers {
        let status = ureq::get(&format!("{}/api/v1/cases", server.base))
            .set("Cookie", &cookie)
            .call()
            .map_or_else(
                |e| if let ureq::Error::Status(s, _) = e { s } else { 0 },
                |r| r.status(),
            );
        assert_eq!(status, 200, "the session works on {}", server.base);
    }

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

    // Submissions through the two survivors at once: one chain.
    let bases: Vec<String> = servers.iter().flatten().map(|s| s.base.clone()).collect();
    let filed: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = bases
            .iter()
            .enumerate()
            .map(|(k, base)| scope.spawn(move || (0..15).filter(|i| submit(base, k * 100 + i).is_ok()).count()))
            .collect();
        handles.into_iter().map(|h| h.join().expect("a client")).sum()
    });
    let verify = deployments[1].run(&["audit", "verify"]);
    figure!(
        "instances: {expected} overdue cases escalated by 3 instances, {written} escalations written, {twice} \
         twice; lease taken {taken:.1} s after kill -9 of its holder (rounds {ROUND_SECONDS} s, lease 3 rounds); \
         {filed}/30 reports filed through 2 instances at once, audit verify {}",
        if verify.status.success() { "passes" } else { "FAILS" }
    );
    assert!(
        taken <= (4 * ROUND_SECONDS + 2) as f64,
        "the lease moved in {taken:.1} s"
    );
    assert_eq!(filed, 30);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}
