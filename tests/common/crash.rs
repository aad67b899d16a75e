//! The crash loop (`../shared/SECURITY-TESTS.md` row 1): clients submit reports and messages to the real
//! server, which is killed with SIGKILL at random moments and started again; after every kill the SQLite
//! file must pass `PRAGMA integrity_check`, and at the end every code acknowledged before a kill must open
//! its report with every acknowledged message, and `audit verify` must pass. Shared by the reliability
//! suite (a short run) and `cargo bench --bench crash` (the full one).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::server::{report_body, Deployment};

/// One acknowledged report: its code and how many of its messages were acknowledged.
#[derive(Debug, Clone)]
struct Acked {
    code: String,
    messages: usize,
}

#[derive(Debug, Default)]
pub struct CrashLoop {
    pub kills: usize,
    pub integrity_ok: usize,
    pub reports: usize,
    pub messages: usize,
    /// Acknowledged reports whose code no longer opens, or with fewer messages than acknowledged.
    pub lost: Vec<String>,
    /// A code never submitted, checked among the others: the check must call it lost.
    pub control_caught: bool,
    pub audit_ok: bool,
    pub audit_said: String,
}

fn post(base: &str, path: &str, body: serde_json::Value) -> Option<serde_json::Value> {
    let response = ureq::post(&format!("{base}{path}"))
        .timeout(Duration::from_secs(30))
        .send_json(body)
        .ok()?;
    (response.status() == 201 || response.status() == 200)
        .then(|| response.into_json().ok())
        .flatten()
}

fn integrity_ok(deployment: &Deployment) -> bool {
    use sqlx::{Executor, Row};
    tokio::runtime::Runtime::new().expect("a runtime").block_on(async {
        let Some(mut conn) = deployment.connect().await else {
            return false;
        };
        // PostgreSQL has no file to check: it must answer, with its ledger whole (audit verify, at the end).
        if deployment.database_url.is_some() {
            return true;
        }
        let check = conn.fetch_one("PRAGMA integrity_check").await;
        check.ok().and_then(|r| r.try_get::<String, _>(0).ok()).as_deref() == Some("ok")
    })
}

/// `kills` rounds of `clients` clients working until a kill at a random moment in `window`.
pub fn crash_loop(deployment: &Deployment, kills: usize, clients: usize, window: (u64, u64), seed: u64) -> CrashLoop {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let mut result = CrashLoop::default();
    for _ in 0..kills {
        let server = deployment.serve();
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (base, acked, next, stop) = (server.base.clone(), acked.clone(), next.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(reply) = post(&base, "/api/v1/reports", report_body(i)) else {
                            continue;
                        };
                        let Some(code) = reply["code"].as_str().map(str::to_owned) else {
                            continue;
                        };
                        let index = {
                            let mut all = acked.lock().unwrap();
                            all.push(Acked {
                                code: code.clone(),
                                messages: 0,
                            });
                            all.len() - 1
                        };
                        let message = serde_json::json!({ "code": code, "body": format!("Bổ sung số {i}.") });
                        if post(&base, "/api/v1/reports/messages", message).is_some() {
                            acked.lock().unwrap()[index].messages += 1;
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.gen_range(window.0..=window.1)));
        server.kill();
        result.kills += 1;
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().for_each(|w| w.join().expect("a client"));
        if integrity_ok(deployment) {
            result.integrity_ok += 1;
        }
    }
    let acked = acked.lock().unwrap().clone();
    result.reports = acked.len();
    result.messages = acked.iter().map(|a| a.messages).sum();
    let server = deployment.serve();
    let lost = Arc::new(Mutex::new(Vec::new()));
    let control = minhbach::crypto::RetrievalCode::generate().grouped().to_string();
    let mut queue = acked;
    queue.insert(
        queue.len() / 2,
        Acked {
            code: control.clone(),
            messages: 0,
        },
    );
    let queue = Arc::new(Mutex::new(queue));
    let checkers: Vec<_> = (0..4)
        .map(|_| {
            let (base, queue, lost) = (server.base.clone(), queue.clone(), lost.clone());
            std::thread::spawn(move || loop {
                let Some(one) = queue.lock().unwrap().pop() else { return };
                let status = post(&base, "/api/v1/reports/status", serde_json::json!({ "code": one.code }));
                let reporter_messages = status
                    .as_ref()
                    .and_then(|s| s["messages"].as_array())
                    .map(|m| m.iter().filter(|m| m["from"] == "reporter").count());
                if reporter_messages.is_none_or(|n| n < one.messages) {
                    lost.lock().unwrap().push(one.code);
                }
            })
        })
        .collect();
    checkers.into_iter().for_each(|c| c.join().expect("a checker"));
    server.kill();
    let mut all_lost = std::mem::take(&mut *lost.lock().unwrap());
    result.control_caught = all_lost.contains(&control);
    all_lost.retain(|code| *code != control);
    result.lost = all_lost;
    let audit = deployment.run(&["audit", "verify"]);
    result.audit_ok = audit.status.success();
    result.audit_said = format!(
        "{}{}",
        String::from_utf8_lossy(&audit.stdout).trim(),
        String::from_utf8_lossy(&audit.stderr).trim()
    );
    result
}
