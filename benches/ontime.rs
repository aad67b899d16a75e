//! Deadline and on-time computation over many cases (issue #4: under 1 s for 100 000 cases).
//!
//! `cargo bench --bench ontime` fills a fresh SQLite database (or the PostgreSQL database named by
//! `BENCH_DATABASE_URL`) with `BENCH_CASES` cases (default 100 000) of one team, each with the ledger
//! history of a real case at its stage: new, accepted with the notice sent, under investigation (a third of
//! them extended), concluded with feedback and closed, or substantiated with the commendation proposed and
//! decided. The rows are written with SQL directly (the hash chain is not computed: the figures do not read
//! it), so seeding takes seconds. Then it times, 10 times each, the two halves of the supervisor's on-time
//! figures — reading the team's cases with their clock column (one query, one row per case), and computing every deadline of every
//! case with the on-time rate per stage — and prints medians.
//!
//! The whole page over HTTP, with the server's own overheads, is in `cargo bench --bench casework`.

use std::time::Instant;

use minhbach::Settings;

const DAY: i64 = 86_400_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// The clock entries of case `i`, received at `received`: (days after receipt, kind, actor, detail).
fn history(i: usize) -> Vec<(i64, &'static str, &'static str, String)> {
    let t =
        |from: &str, to: &str| format!(r#"{{"from":"{from}","note":"0123456789abcdef0123456789abcdef","to":"{to}"}}"#);
    let message = r#"{"message":"0123456789abcdef0123456789abcdef"}"#.to_owned();
    let extension = r#"{"note":"0123456789abcdef0123456789abcdef","stage":"resolution","type":"complex"}"#.to_owned();
    let mut out = Vec::new();
    let stage = i % 10;
    if stage == 0 {
        return out;
    }
    out.push((3 + (i % 7) as i64, "transition", "inspector", t("received", "accepted")));
    out.push((6, "message", "inspector", message.clone()));
    if stage == 1 {
        return out;
    }
    out.push((8, "transition", "inspector", t("accepted", "investigating")));
    if i.is_multiple_of(3) {
        out.push((25, "extension", "supervisor", extension));
    }
    if stage <= 3 {
        return out;
    }
    let conclusion = ["unsubstantiated", "substantiated", "partially_substantiated"][i % 3];
    out.push((
        30 + (i % 40) as i64,
        "transition",
        "inspector",
        t("investigating", conclusion),
    ));
    out.push((75, "message", "inspector", message));
    out.push((80, "transition", "inspector", t(conclusion, "closed")));
    if conclusion != "unsubstantiated" {
        let opened = r#"{"scheme":"vn_ttlt_01_2015"}"#.to_owned();
        out.push((30 + (i % 40) as i64, "commendation_opened", "system", opened));
        out.push((
            90,
            "commendation_proposed",
            "officer",
            r#"{"amount":46800000}"#.to_owned(),
        ));
        out.push((
            120,
            "commendation_decided",
            "officer",
            r#"{"amount":46800000,"to":"decided"}"#.to_owned(),
        ));
    }
    out
}

async fn seed(db: &minhbach::store::Db, cases: usize, now: i64) {
    let started = Instant::now();
    let mut seq: i64 = 1_000_000;
    for start in (0..cases).step_by(2_000) {
        let mut tx = db.pool().begin().await.expect("transaction");
        for i in start..(start + 2_000).min(cases) {
            let id = format!("{i:032x}");
            let received = now - (i as i64 % 400) * DAY - (i as i64) * 1_000;
            sqlx::query(
                "INSERT INTO reports (id, locator, category, unit_id, status, received_at, updated_at, key_salt, \
                 kdf_memory_kib, kdf_iterations, kdf_parallelism, wrapped_key, narrative, team_id) \
                 VALUES ($1, $1, 'bribe-taking', 'ba-diem', 'received', $2, $2, $3, 1, 1, 1, $3, $3, 'hocmon-inspectorate')",
            )
            .bind(&id)
            .bind(received)
            .bind(vec![0u8; 16])
            .execute(&mut *tx)
            .await
            .expect("report");
            let mut entries = vec![
                (
                    0,
                    "received",
                    "reporter",
                    r#"{"category":"bribe-taking","unit":"ba-diem"}"#.to_owned(),
                ),
                (
                    0,
                    "assigned",
                    "system",
                    r#"{"assignee":"inspector","team":"hocmon-inspectorate"}"#.to_owned(),
                ),
            ];
            entries.extend(history(i));
            // The clock column, as the ledger's append writes it.
            let clock: String = entries
                .iter()
                .filter_map(|(days, kind, actor, detail)| {
                    let kind = minhbach::domain::EntryKind::parse(kind).expect("a kind the ledger knows");
                    minhbach::domain::clock::clock_fragment(received + days * DAY, kind, actor, detail)
                })
                .collect();
            sqlx::query("UPDATE reports SET clock = $1 WHERE id = $2")
                .bind(clock)
                .bind(&id)
                .execute(&mut *tx)
                .await
                .expect("clock");
            for (days, kind, actor, detail) in entries {
                seq += 1;
                sqlx::query(
                    "INSERT INTO ledger (seq, at, kind, report_id, actor, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'x', 'x')",
                )
                .bind(seq)
                .bind(received + days * DAY)
                .bind(kind)
                .bind(&id)
                .bind(actor)
                .bind(detail)
                .execute(&mut *tx)
                .await
                .expect("ledger entry");
            }
        }
        tx.commit().await.expect("commit");
    }
    eprintln!(
        "seeded {cases} cases, {} ledger entries, in {:.1} s",
        seq - 1_000_000,
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    let cases: usize = std::env::var("BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
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
        let now = minhbach::store::now_millis();
        seed(&db, cases, now).await;
        let (mut read, mut compute, mut total) = (Vec::new(), Vec::new(), Vec::new());
        let mut figures = None;
        for _ in 0..10 {
            let started = Instant::now();
            let rows = minhbach::store::ledger::team_clocks(db.pool(), &"hocmon-inspectorate".into())
                .await
                .expect("query");
            let queried = Instant::now();
            figures = Some(minhbach::domain::clock::on_time_of(&rows.cases(), now));
            let done = Instant::now();
            read.push((queried - started).as_secs_f64() * 1e3);
            compute.push((done - queried).as_secs_f64() * 1e3);
            total.push((done - started).as_secs_f64() * 1e3);
        }
        let (counted, stages) = figures.expect("ten runs");
        assert_eq!(counted, cases);
        for (stage, t) in &stages {
            eprintln!("  {stage:<24} met {:>6}  missed {:>6}", t.met, t.missed);
        }
        println!(
            "on-time over {cases} cases ({:?}): read p50 {:.0} ms, compute p50 {:.0} ms, total p50 {:.0} ms (10 runs)",
            db.backend(),
            median(read),
            median(compute),
            median(total)
        );
        db.close().await;
    });
}
