//! End-to-end HTTP benchmark of the reporter's journey on the real release binary.
//!
//! `cargo bench --bench http` starts `minhbach serve` on a free loopback port with a fresh data directory
//! (SQLite), then measures with 2 concurrent clients: report submission (`POST /api/v1/reports`) and status
//! lookup (`POST /api/v1/reports/status`), both including the Argon2id key derivation. It prints the median,
//! p99 and throughput of each, the Argon2id parameters in use, and the server's resident memory when idle
//! before and after the load, and its peak.
//!
//! Knobs: `BENCH_REQUESTS` (per client and phase, default 200), `BENCH_CLIENTS` (default 2),
//! `BENCH_DATABASE_URL` (a `postgres://…` database to use instead of SQLite), `BENCH_IDLE_SECS` (how long
//! the server rests before "idle after load" is read, default 15: tokio retires idle blocking threads, where
//! Argon2id ran, after 10 s, and the allocator then returns their memory).

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use server::memory_kib;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `minhbach serve` on a fresh data directory (SQLite, or `BENCH_DATABASE_URL`), started as the tests start it;
/// the directory lives as long as the returned guard.
fn start_server() -> (server::Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = std::env::var("BENCH_DATABASE_URL").ok();
    let deployment = server::Deployment::new(&dir.path().join("data"), database_url);
    (deployment.serve(), dir)
}

fn report_body(i: usize) -> serde_json::Value {
    json!({
        "category": "bribe-taking",
        "unit": "ba-diem",
        "narrative": format!("Benchmark report {i}: cán bộ địa chính nhận tiền để đẩy nhanh hồ sơ cấp giấy chứng nhận."),
        "accused": "Ông Nguyễn Văn A",
        "incident_date": "2026-10-01",
        "amount_vnd": 15_000_000,
    })
}

struct Phase {
    name: &'static str,
    latencies_ms: Vec<f64>,
    wall: Duration,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_ms.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    fn print(&self) {
        println!(
            "{:<18} {:>6} requests  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  {:>6.1} req/s",
            self.name,
            self.latencies_ms.len(),
            self.percentile(50.0),
            self.percentile(99.0),
            self.percentile(100.0),
            self.latencies_ms.len() as f64 / self.wall.as_secs_f64()
        );
    }
}

/// Runs `per_client` requests on each of `clients` threads; `request(client, i)` returns whether it succeeded.
fn run_phase<F>(name: &'static str, clients: usize, per_client: usize, request: F) -> Phase
where
    F: Fn(&ureq::Agent, usize, usize) -> bool + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|client| {
            let request = Arc::clone(&request);
            thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
                (0..per_client)
                    .map(|i| {
                        let t = Instant::now();
                        assert!(request(&agent, client, i), "{name} request failed");
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    let latencies_ms = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client thread"))
        .collect();
    Phase {
        name,
        latencies_ms,
        wall: started.elapsed(),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let clients = env_usize("BENCH_CLIENTS", 2);
    let per_client = env_usize("BENCH_REQUESTS", 200);
    let (server, _dir) = start_server();
    let pid = server.pid();
    thread::sleep(Duration::from_secs(2));
    let idle_before = memory_kib(pid, "VmRSS:");
    let kdf = minhbach::crypto::KdfParams::default();
    println!("Minh Bạch HTTP benchmark: {clients} concurrent clients, {per_client} requests each per phase");
    println!(
        "backend: {}; key derivation: {kdf}; cores: {}",
        if std::env::var("BENCH_DATABASE_URL").is_ok() {
            "PostgreSQL"
        } else {
            "SQLite (WAL, synchronous=FULL)"
        },
        thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );

    // Warm-up, and the codes the lookups will use.
    let agent = ureq::Agent::new();
    let codes: Vec<String> = (0..20)
        .map(|i| {
            let reply: serde_json::Value = agent
                .post(&format!("{}/api/v1/reports", server.base))
                .send_json(report_body(i))
                .expect("warm-up submission")
                .into_json()
                .expect("JSON");
            reply["code"].as_str().expect("code").to_owned()
        })
        .collect();

    let base = server.base.clone();
    let submit = run_phase("submit report", clients, per_client, move |agent, client, i| {
        agent
            .post(&format!("{base}/api/v1/reports"))
            .send_json(report_body(client * 1_000_000 + i))
            .map(|r| r.status() == 201)
            .unwrap_or(false)
    });
    let base = server.base.clone();
    let codes = Arc::new(codes);
    let lookup = run_phase("status lookup", clients, per_client, move |agent, client, i| {
        let code = &codes[(client * 7 + i) % codes.len()];
        agent
            .post(&format!("{base}/api/v1/reports/status"))
            .send_json(json!({ "code": code }))
            .map(|r| r.status() == 200)
            .unwrap_or(false)
    });
    submit.print();
    lookup.print();
    let peak = memory_kib(pid, "VmHWM:");
    thread::sleep(Duration::from_secs(env_usize("BENCH_IDLE_SECS", 15) as u64));
    let idle_after = memory_kib(pid, "VmRSS:");
    println!(
        "resident memory: idle after start {:.1} MB, peak under load {:.1} MB, idle after load {:.1} MB",
        idle_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        idle_after as f64 / 1024.0
    );
}
