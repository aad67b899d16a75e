//! How many ledger entries a second one database takes: the single head row (`ledger_head`) serialises every
//! append, so this is the ceiling of state changes for everything on that database (docs/scaling.md).
//!
//! `cargo bench --bench ledger` opens a fresh SQLite database (or the PostgreSQL database named by
//! `BENCH_DATABASE_URL`, which should be empty), writes `BENCH_LEDGER_REPORTS` reports (default 1 000) with
//! SQL, then for 1, 2, 4, 8 and 16 concurrent writers (`BENCH_WRITERS`, comma-separated) runs each writer for
//! `BENCH_SECONDS` (default 5) seconds, in a loop, what a case change commits: one transaction that updates a
//! report's row and appends a clock-moving entry for it through `store::ledger::append` — the head row, the
//! entry, the report's clock column and its team's on-time cells. Each writer takes the next report of its
//! own share, so writers never wait on each other's report rows, only on the head row. It prints, per
//! level, appends/s, the commit latency p50/p95 and the errors, then runs `audit verify` over the result.

use std::time::{Duration, Instant};

use minhbach::domain::EntryKind;
use minhbach::Settings;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn seed(db: &minhbach::store::Db, reports: usize, now: i64) -> Vec<String> {
    let mut tx = db.pool().begin().await.expect("transaction");
    let mut ids = Vec::with_capacity(reports);
    for i in 0..reports {
        let id = format!("{i:032x}");
        sqlx::query(
            "INSERT INTO reports (id, locator, category, unit_id, status, received_at, updated_at, key_salt, \
             kdf_memory_kib, kdf_iterations, kdf_parallelism, wrapped_key, narrative, team_id) \
             VALUES ($1, $1, 'bribe-taking', 'ba-diem', 'info_requested', $2, $2, $3, 1, 1, 1, $3, $3, \
             'hocmon-inspectorate')",
        )
        .bind(&id)
        .bind(now - 86_400_000)
        .bind(vec![0u8; 16])
        .execute(&mut *tx)
        .await
        .expect("report");
        ids.push(id);
    }
    tx.commit().await.expect("commit");
    ids
}

/// One case change: the report's row, then its ledger entry, in one transaction.
async fn change(db: &minhbach::store::Db, id: &str, n: usize) -> Result<(), sqlx::Error> {
    let at = minhbach::store::now_millis();
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE reports SET updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = format!(r#"{{"message":"{n:032x}"}}"#);
    minhbach::store::ledger::append(&mut tx, at, EntryKind::Message, Some(id), "bench", &detail).await?;
    tx.commit().await
}

struct Level {
    appends: usize,
    errors: usize,
    latencies: Vec<f64>,
    elapsed: Duration,
}

async fn run_level(db: &minhbach::store::Db, ids: &[String], writers: usize, seconds: u64) -> Level {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (db, ids) = (db.clone(), ids.to_vec());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut n) = (Vec::new(), 0, 0);
                // Writer w takes reports w, w + writers, w + 2·writers, …: a share of its own.
                let mine: Vec<&String> = ids.iter().skip(w).step_by(writers).collect();
                while Instant::now() < until {
                    let id = mine[n % mine.len()];
                    let t = Instant::now();
                    match change(&db, id, n).await {
                        Ok(()) => latencies.push(t.elapsed().as_secs_f64() * 1e3),
                        Err(e) => {
                            errors += 1;
                            if errors == 1 {
                                eprintln!("  writer {w}: {e}");
                            }
                        }
                    }
                    n += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut level = Level {
        appends: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (latencies, errors) = task.await.expect("writer");
        level.appends += latencies.len();
        level.errors += errors;
        level.latencies.extend(latencies);
    }
    level.elapsed = started.elapsed();
    level.latencies.sort_by(f64::total_cmp);
    level
}

fn main() {
    let reports = env_usize("BENCH_LEDGER_REPORTS", 1_000);
    let seconds = env_usize("BENCH_SECONDS", 5) as u64;
    let levels: Vec<usize> = std::env::var("BENCH_WRITERS")
        .unwrap_or_else(|_| "1,2,4,8,16".into())
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect();
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = Settings {
        data_dir: dir.path().join("data"),
        database_url: std::env::var("BENCH_DATABASE_URL").ok(),
        ..Settings::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        minhbach::config::prepare_data_dir(&settings.data_dir).expect("data dir");
        let db = minhbach::setup::open_database(&settings).await.expect("database");
        let ids = seed(&db, reports, minhbach::store::now_millis()).await;
        let before = minhbach::store::ledger::head(db.pool()).await.expect("head").0;
        println!(
            "ledger appends on {:?}, {reports} reports, {seconds} s per level",
            db.backend()
        );
        println!("| writers | appends/s | commit p50 | commit p95 | errors |");
        println!("|---|---|---|---|---|");
        let mut total = 0;
        for writers in levels {
            let level = run_level(&db, &ids, writers, seconds).await;
            total += level.appends;
            println!(
                "| {writers} | {:.0} | {:.2} ms | {:.2} ms | {} |",
                level.appends as f64 / level.elapsed.as_secs_f64(),
                percentile(&level.latencies, 0.5),
                percentile(&level.latencies, 0.95),
                level.errors
            );
        }
        let after = minhbach::store::ledger::head(db.pool()).await.expect("head").0;
        assert_eq!(
            after - before,
            total as i64,
            "every committed change is one entry on the chain"
        );
        let verified = minhbach::app::audit::audit_verify(&db).await.expect("audit verify");
        println!("audit verify: {verified} entries, one chain");
        db.close().await;
    });
}
