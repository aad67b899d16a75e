//! The flood benchmark (issue #10): `cargo bench --bench flood` starts the real release binary on SQLite
//! (or `BENCH_DATABASE_URL`), creates staff accounts with the command line, then lets 128 anonymous clients
//! submit reports as fast as they can for 30 s while staff sign in one after another and read their queue.
//! It prints accepted/s, refused/s (503 with Retry-After), any other answer or connection error, the staff
//! sign-in and queue-page p50/p95, and the server's peak resident memory.
//!
//! Knobs: `BENCH_CLIENTS` (default 128), `BENCH_SECONDS` (30), `BENCH_STAFF` (20 accounts: each TOTP step
//! signs in once), `BENCH_DATABASE_URL`.

#[path = "../tests/common/flood.rs"]
mod flood;
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::Duration;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let clients = env_usize("BENCH_CLIENTS", 128);
    let seconds = env_usize("BENCH_SECONDS", 30);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty());
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let deployment = server::Deployment::new(&dir.path().join("data"), database_url);
    let staff = flood::add_inspectors(&deployment, env_usize("BENCH_STAFF", 20));
    let server = deployment.serve();
    let idle = server::memory_kib(server.pid(), "VmRSS");
    println!("flood: {clients} anonymous clients submitting for {seconds} s on {backend}; staff signing in meanwhile");
    let seen = flood::flood(&server, staff, clients, Duration::from_secs(seconds as u64));
    let p = |v: &[f64], q| flood::percentile(v, q);
    println!(
        "  accepted (201)            {:>8.1} /s  ({} in all)",
        seen.accepted as f64 / seen.seconds,
        seen.accepted
    );
    println!(
        "  refused (503+Retry-After) {:>8.1} /s  ({} in all)",
        seen.refused as f64 / seen.seconds,
        seen.refused
    );
    println!("  503 without Retry-After   {:>8}", seen.refused_without_retry_after);
    println!("  other answers             {:>8}  {:?}", seen.other.len(), seen.other);
    println!("  connection errors         {:>8}", seen.connection_errors);
    println!(
        "  staff sign-in             p50 {:>6.1} ms  p95 {:>6.1} ms  ({} sign-ins, {} without a free TOTP step or refused)",
        p(&seen.sign_in_ms, 0.5),
        p(&seen.sign_in_ms, 0.95),
        seen.sign_in_ms.len(),
        seen.sign_in_failures
    );
    println!(
        "  inspector's queue page    p50 {:>6.1} ms  p95 {:>6.1} ms  ({} requests)",
        p(&seen.queue_ms, 0.5),
        p(&seen.queue_ms, 0.95),
        seen.queue_ms.len()
    );
    println!(
        "  server memory             idle {:.1} MiB before, peak {:.1} MiB",
        idle as f64 / 1024.0,
        seen.peak_rss_kib as f64 / 1024.0
    );
}
