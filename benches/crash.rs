//! The crash loop in full (issue #10, `../shared/SECURITY-TESTS.md` row 1): `cargo bench --bench crash`
//! runs the real release binary on SQLite (or `BENCH_DATABASE_URL`) and kills it with SIGKILL 50 times at
//! random moments while 8 clients submit reports and messages, checking `PRAGMA integrity_check` after
//! each kill and, at the end, that every acknowledged code opens with its messages and that `audit verify`
//! passes. Knobs: `BENCH_KILLS` (50), `BENCH_CLIENTS` (8), `BENCH_SEED` (2026).

#[path = "../tests/common/crash.rs"]
mod crash;
#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty());
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let deployment = server::Deployment::new(&dir.path().join("data"), database_url);
    let kills = env_u64("BENCH_KILLS", 50) as usize;
    let clients = env_u64("BENCH_CLIENTS", 8) as usize;
    println!("crash loop: {clients} clients, {kills} kills with SIGKILL at random moments (0.5–3 s apart), {backend}");
    let started = std::time::Instant::now();
    let seen = crash::crash_loop(&deployment, kills, clients, (500, 3000), env_u64("BENCH_SEED", 2026));
    println!(
        "  {} acknowledged ({} reports, {} messages), {} lost, {} kills, {}/{} integrity ok",
        seen.reports + seen.messages,
        seen.reports,
        seen.messages,
        seen.lost.len(),
        seen.kills,
        seen.integrity_ok,
        seen.kills
    );
    println!(
        "  control (a code never submitted) found missing: {}",
        seen.control_caught
    );
    println!("  audit verify: {}", seen.audit_said);
    println!("  took {:.0} s", started.elapsed().as_secs_f64());
    assert!(seen.lost.is_empty() && seen.control_caught && seen.audit_ok && seen.integrity_ok == seen.kills);
}
