//! The same client load against one instance and against three behind a load balancer (issue 14):
//! `BENCH_DATABASE_URL=postgres://… cargo bench --bench instances` (an empty database; nginx installed).
//!
//! It starts the release binary on PostgreSQL with a fresh data directory (timing the cold start to the
//! first `200`), puts nginx (round robin, `tests/common/balancer.rs`) in front of it, and runs 2, 4, 8 and
//! 16 concurrent clients (`BENCH_CLIENTS`), each `BENCH_SECONDS` (default 10) seconds, each client in a loop
//! filing a report and then reading its status with the code it got (`BENCH_LOOKUPS=0`: filing only). Then the same with three instances,
//! each with its own data directory and the server secret copied in, behind the same kind of balancer. It
//! prints, per level, submissions/s, lookups/s, their p50, and every answer that was not a success (a
//! refusal with `503` and `Retry-After` counts as an error here: the load is meant to be served), and each
//! instance's resident memory idle (right after its first `200`, and for the first instance again after
//! `BENCH_IDLE_SECS`, default 15) and at its peak.

#[path = "../tests/common/balancer.rs"]
mod balancer;
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;
#[path = "../tests/common/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server::{memory_kib, report_body, Deployment, Server};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p` quantile in ms as the table shows it; "—" when nothing was measured.
fn percentile(values: &mut [f64], p: f64) -> String {
    if values.is_empty() {
        return "—".into();
    }
    values.sort_by(f64::total_cmp);
    format!("{:.0} ms", values[((values.len() - 1) as f64 * p).round() as usize])
}

#[derive(Default)]
struct Seen {
    submit_ms: Vec<f64>,
    lookup_ms: Vec<f64>,
    errors: Vec<String>,
}

/// One client's loop: file a report, read its status with its code (if `lookups`); until `until`.
fn client(base: &str, first: usize, until: Instant, seen: &Mutex<Seen>, lookups: bool) {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let mut i = first;
    while Instant::now() < until {
        let started = Instant::now();
        let code = match agent.post(&format!("{base}/api/v1/reports")).send_json(report_body(i)) {
            Ok(r) if r.status() == 201 => r
                .into_json::<serde_json::Value>()
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned)),
            Ok(r) => {
                seen.lock().unwrap().errors.push(format!("submit {}", r.status()));
                None
            }
            Err(ureq::Error::Status(s, _)) => {
                seen.lock().unwrap().errors.push(format!("submit {s}"));
                None
            }
            Err(e) => {
                seen.lock().unwrap().errors.push(format!("submit: {e}"));
                None
            }
        };
        i += 1;
        let Some(code) = code else { continue };
        let submitted = started.elapsed().as_secs_f64() * 1e3;
        if !lookups {
            seen.lock().unwrap().submit_ms.push(submitted);
            continue;
        }
        let started = Instant::now();
        let answer = agent
            .post(&format!("{base}/api/v1/reports/status"))
            .send_json(serde_json::json!({ "code": code }));
        let mut s = seen.lock().unwrap();
        s.submit_ms.push(submitted);
        match answer {
            Ok(r) if r.status() == 200 => s.lookup_ms.push(started.elapsed().as_secs_f64() * 1e3),
            Ok(r) => s.errors.push(format!("lookup {}", r.status())),
            Err(ureq::Error::Status(st, _)) => s.errors.push(format!("lookup {st}")),
            Err(e) => s.errors.push(format!("lookup: {e}")),
        }
    }
}

/// Runs `clients` clients against `base` for `seconds` and prints one table row.
fn level(label: &str, base: &str, clients: usize, seconds: u64) {
    let lookups = env_usize("BENCH_LOOKUPS", 1) != 0;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (base, seen) = (base.to_owned(), seen.clone());
            std::thread::spawn(move || client(&base, c * 1_000_000, until, &seen, lookups))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().expect("a client"));
    let elapsed = started.elapsed().as_secs_f64();
    let mut s = std::mem::take(&mut *seen.lock().unwrap());
    let (submitted, looked_up) = (s.submit_ms.len(), s.lookup_ms.len());
    let mut kinds: Vec<String> = s.errors.clone();
    kinds.sort();
    kinds.dedup();
    println!(
        "| {label} | {clients} | {:.1} | {:.1} | {} | {} | {}{} |",
        submitted as f64 / elapsed,
        looked_up as f64 / elapsed,
        percentile(&mut s.submit_ms, 0.5),
        percentile(&mut s.lookup_ms, 0.5),
        s.errors.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    );
}

/// Starts an instance and measures the time from the spawn to its first `200`.
fn start(deployment: &Deployment) -> (Server, f64) {
    let started = Instant::now();
    let server = deployment.serve();
    (server, started.elapsed().as_secs_f64() * 1e3)
}

fn copy_secret(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a data directory");
    std::fs::copy(from.join("secret.key"), to.join("secret.key")).expect("the secret copied");
}

fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn main() {
    let Some(url) = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("instances: set BENCH_DATABASE_URL to an empty PostgreSQL database (instances share one)");
        return;
    };
    let Some(nginx) = balancer::nginx() else {
        eprintln!("instances: nginx is not installed (Debian: apt-get install nginx-light)");
        return;
    };
    let seconds = env_usize("BENCH_SECONDS", 10) as u64;
    let levels: Vec<usize> = std::env::var("BENCH_CLIENTS")
        .unwrap_or_else(|_| "2,4,8,16".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deployments: Vec<Deployment> = (0..3)
        .map(|n| Deployment::new(&dir.path().join(format!("data{n}")), Some(url.clone())))
        .collect();
    println!("| instances | clients | submissions/s | lookups/s | submit p50 | lookup p50 | errors |");
    println!("|---|---|---|---|---|---|---|");
    let (first, cold_empty) = start(&deployments[0]);
    let idle_one = memory_kib(first.pid(), "VmRSS");
    // Once the start's work is done and its threads retired (tokio retires idle blocking threads after 10 s).
    std::thread::sleep(Duration::from_secs(env_usize("BENCH_IDLE_SECS", 15) as u64));
    let settled_one = memory_kib(first.pid(), "VmRSS");
    let one = balancer::Balancer::start(&nginx, &dir.path().join("nginx1"), std::slice::from_ref(&first.base));
    for &clients in &levels {
        level("1", &one.base, clients, seconds);
    }
    let peak_one = memory_kib(first.pid(), "VmHWM");
    drop(one);
    first.kill();
    // Three instances, each started afresh (the first again, on its own data directory).
    for d in &deployments[1..] {
        copy_secret(&deployments[0].data_dir, &d.data_dir);
    }
    let reports_before = deployments[0].count_reports();
    let (servers, colds): (Vec<Server>, Vec<f64>) = deployments.iter().map(start).unzip();
    let idle: Vec<u64> = servers.iter().map(|s| memory_kib(s.pid(), "VmRSS")).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let three = balancer::Balancer::start(&nginx, &dir.path().join("nginx3"), &bases);
    for &clients in &levels {
        level("3", &three.base, clients, seconds);
    }
    let peaks: Vec<u64> = servers.iter().map(|s| memory_kib(s.pid(), "VmHWM")).collect();
    let list = |v: &[u64]| v.iter().map(|k| mib(*k)).collect::<Vec<_>>().join(" / ");
    println!();
    println!(
        "cold start to the first 200: {cold_empty:.0} ms on the empty database; {} ms for the three on {reports_before} reports",
        colds.iter().map(|c| format!("{c:.0}")).collect::<Vec<_>>().join(" / ")
    );
    println!(
        "resident memory: one instance idle {} (after {} s: {}), peak {}; three instances idle {}, peak {}",
        mib(idle_one),
        env_usize("BENCH_IDLE_SECS", 15),
        mib(settled_one),
        mib(peak_one),
        list(&idle),
        list(&peaks)
    );
    println!("{} reports in the database at the end", deployments[0].count_reports());
}
