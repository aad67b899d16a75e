//! Staff pages under a full database: the queue page and the case page with 100 000 reports.
//!
//! `cargo bench --bench casework` seeds a fresh SQLite database (or the PostgreSQL database named by
//! `BENCH_DATABASE_URL`) with `BENCH_REPORTS` reports (default 100 000) assigned across 10 inspectors of one
//! team, then starts the release server on it and measures, signed in (sign-in excluded):
//! the supervisor's team queue (all reports), an inspector's queue, a filtered queue, a deep page, and the
//! case page (decrypting the report from the reader's HPKE grant), the supervisor's statistics page, which
//! computes every deadline of every case of the team, and the public transparency page (which reads the
//! day's checkpoint; the time its figures take to count, once a day, is printed first). It prints p50, p95
//! and p99 of each.
//!
//! Seeding uses cheap Argon2id parameters for the reporters' code wrap (the pages measured never run it);
//! everything else — HPKE grants for assignee, supervisor and recovery key, AES-GCM fields, ledger — is real.

use minhbach::domain::EntryKind;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use minhbach::crypto::{self, KdfParams, PublicKey, ReportKey};
use minhbach::store::reports::{NewRecord, SealedReport};
use minhbach::Settings;

const INSPECTORS: usize = 10;
const PASSWORD: &str = "benchmark password 2026";
const UNITS: [&str; 12] = [
    "thi-tran-hoc-mon",
    "ba-diem",
    "dong-thanh",
    "nhi-binh",
    "tan-hiep",
    "tan-thoi-nhi",
    "tan-xuan",
    "thoi-tam-thon",
    "trung-chanh",
    "xuan-thoi-dong",
    "xuan-thoi-son",
    "xuan-thoi-thuong",
];
const CATEGORIES: [&str; 5] = ["bribe-taking", "embezzlement", "harassment", "forgery", "dereliction"];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Holder {
    id: String,
    key: PublicKey,
}

fn record(i: usize, now: i64, assignee: &Holder, supervisor: &Holder, recovery: &PublicKey) -> NewRecord {
    let id = crypto::random_id();
    let key = ReportKey::generate();
    let cheap = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let code = crypto::RetrievalCode::generate().derive();
    let wrapped = crypto::wrap_report_key(&key, &code.wrapping, &id, cheap).expect("wrap");
    let narrative = format!("Báo cáo thử số {i}: cán bộ địa chính nhận tiền để đẩy nhanh hồ sơ cấp giấy chứng nhận.");
    let seal = |field: &str, text: &str| crypto::seal(&key, &[&id, field], text.as_bytes());
    let status = ["received", "accepted", "investigating", "info_requested"][i % 4];
    let report = SealedReport {
        locator: code.locator.to_hex(),
        category: CATEGORIES[i % CATEGORIES.len()].to_owned(),
        unit_id: UNITS[i % UNITS.len()].into(),
        status: status.to_owned(),
        // Spread over the last 200 days, one every ~3 minutes.
        received_at: now - (i as i64) * 172_800,
        team_id: Some("hocmon-inspectorate".into()),
        assignee_id: Some(assignee.id.as_str().into()),
        wrapped,
        narrative: seal("narrative", &narrative),
        accused: Some(seal("accused", "Ông Nguyễn Văn A, cán bộ địa chính")),
        incident_date: None,
        amount_vnd: Some(seal("amount_vnd", "15000000")),
        id: id.as_str().into(),
    };
    let grants = [
        (assignee.id.as_str(), &assignee.key),
        (supervisor.id.as_str(), &supervisor.key),
        ("recovery", recovery),
    ]
    .iter()
    .map(|(holder, public)| {
        (
            (*holder).to_owned(),
            crypto::grant(&key, public, &id, holder).expect("grant"),
        )
    })
    .collect();
    (report, grants)
}

async fn seed(settings: &Settings, reports: usize) -> (minhbach::config::ServerSecret, String) {
    let secret = minhbach::config::prepare_data_dir(&settings.data_dir).expect("data dir");
    let db = minhbach::setup::open_database(settings).await.expect("database");
    let add = |username: String, role: &'static str| {
        let (db, secret) = (&db, &secret);
        async move {
            let new = minhbach::app::accounts::NewUser {
                username: &username,
                role,
                team: None,
                home_unit: None,
                password: PASSWORD,
            };
            minhbach::app::accounts::user_add(db, secret, new).await.expect("user");
            let user = minhbach::store::users::find_by_username(db.pool(), &username)
                .await
                .unwrap()
                .unwrap();
            Holder {
                id: user.id.to_string(),
                key: user.public_key,
            }
        }
    };
    let supervisor = add("supervisor".into(), "supervisor").await;
    let mut inspectors = Vec::new();
    for n in 0..INSPECTORS {
        inspectors.push(add(format!("inspector{n}"), "inspector").await);
    }
    let recovery = minhbach::store::grants::recovery_public_key(db.pool())
        .await
        .unwrap()
        .expect("recovery key");
    let started = Instant::now();
    let now = minhbach::store::now_millis();
    let batch = 1_000;
    let mut case_id = String::new();
    for start in (0..reports).step_by(batch) {
        let end = (start + batch).min(reports);
        let half = start + (end - start) / 2;
        let (a, b) = std::thread::scope(|scope| {
            let make = |range: std::ops::Range<usize>| {
                let (inspectors, supervisor, recovery) = (&inspectors, &supervisor, &recovery);
                move || {
                    range
                        .map(|i| record(i, now, &inspectors[i % INSPECTORS], supervisor, recovery))
                        .collect::<Vec<_>>()
                }
            };
            let first = scope.spawn(make(start..half));
            let second = make(half..end)();
            (first.join().expect("seeding thread"), second)
        });
        let records: Vec<NewRecord> = a.into_iter().chain(b).collect();
        if case_id.is_empty() {
            case_id = records[0].0.id.to_string();
        }
        minhbach::store::reports::insert_batch(db.pool(), &records)
            .await
            .expect("insert");
        history(&db, &records).await;
        if end % 10_000 == 0 || end == reports {
            eprintln!(
                "  seeded {end}/{reports} reports ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    if db.backend() == minhbach::store::Backend::Postgres {
        // The histories updated every row just now: until (auto)vacuum sets the visibility map again, the
        // queue's COUNT(*) reads the heap instead of the index (measured: 65 ms instead of 10 ms). An operator
        // runs this after a bulk import; day-to-day updates touch only the recent rows.
        sqlx::query("VACUUM ANALYZE").execute(db.pool()).await.expect("vacuum");
    }
    db.close().await;
    (secret, case_id)
}

/// The ledger entries a case in each status has lived through: the transitions that brought it there (each
/// with the inspector as actor) and the notice to the reporter after acceptance, as the app writes them.
async fn history(db: &minhbach::store::Db, records: &[NewRecord]) {
    const DAY: i64 = 86_400_000;
    let mut tx = db.pool().begin().await.expect("transaction");
    for (report, _) in records {
        let (id, actor, at) = (
            Some(report.id.as_str()),
            report.assignee_id.as_deref().unwrap_or("system"),
            report.received_at,
        );
        let steps: &[(i64, &str, &str)] = match report.status.as_str() {
            "accepted" => &[(2, "received", "accepted"), (4, "", "message")],
            "investigating" => &[
                (2, "received", "accepted"),
                (4, "", "message"),
                (5, "accepted", "investigating"),
            ],
            "info_requested" => &[(3, "received", "info_requested")],
            _ => &[],
        };
        for (days, from, to) in steps {
            let (kind, detail) = if *to == "message" {
                (
                    EntryKind::Message,
                    serde_json::json!({ "message": crypto::random_id() }),
                )
            } else {
                (
                    EntryKind::Transition,
                    serde_json::json!({ "from": from, "to": to, "note": crypto::random_id() }),
                )
            };
            minhbach::store::ledger::append(&mut tx, at + days * DAY, kind, id, actor, &detail.to_string())
                .await
                .expect("ledger entry");
        }
    }
    tx.commit().await.expect("commit");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sign_in(
    base: &str,
    username: &str,
    secret: &minhbach::config::ServerSecret,
    settings: &Settings,
    step: u64,
) -> String {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let totp = rt.block_on(async {
        let db = minhbach::store::Db::connect(&settings.database_url())
            .await
            .expect("db");
        let user = minhbach::store::users::find_by_username(db.pool(), username)
            .await
            .unwrap()
            .unwrap();
        let totp_secret = minhbach::app::accounts::open_totp_secret(secret, &user).expect("totp");
        db.close().await;
        crypto::code_at(&totp_secret, (minhbach::store::now_millis() / 1000) as u64 + 30 * step).expect("code")
    });
    let response = ureq::post(&format!("{base}/api/v1/session"))
        .send_json(serde_json::json!({ "username": username, "password": PASSWORD, "totp": totp }))
        .expect("sign-in");
    let cookie = response.header("set-cookie").expect("session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

fn measure(name: &str, base: &str, path: &str, cookie: &str, n: usize) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build();
    let mut latencies: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let response = agent
                .get(&format!("{base}{path}"))
                .set("Cookie", cookie)
                .call()
                .expect("page");
            assert_eq!(response.status(), 200, "{path}");
            let body = response.into_string().expect("body");
            assert!(body.len() > 1000);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| latencies[((p / 100.0) * (latencies.len() as f64 - 1.0)).round() as usize];
    println!(
        "{name:<34} {n:>4} requests  p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms",
        at(50.0),
        at(95.0),
        at(99.0)
    );
}

fn main() {
    let reports = env_usize("BENCH_REPORTS", 100_000);
    let n = env_usize("BENCH_REQUESTS", 200);
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = Settings {
        data_dir: dir.path().join("data"),
        database_url: std::env::var("BENCH_DATABASE_URL").ok(),
        ..Settings::default()
    };
    let backend = if settings.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    eprintln!("seeding {reports} reports on {backend}…");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (secret, case_id) = rt.block_on(seed(&settings, reports));
    rt.block_on(public_figures(&settings));
    rt.block_on(statistics_parts(&settings));
    // Page 1 000, or the last page of a smaller team queue.
    let deep_page = (reports.div_ceil(50)).clamp(2, 1_000);
    let deep = rt.block_on(page_end(&settings, deep_page - 1));
    drop(rt);

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_minhbach"));
    command
        .arg("serve")
        .env("MINHBACH_DATA_DIR", &settings.data_dir)
        .env("ROCKET_PORT", port.to_string())
        .env("MINHBACH_LOG", "warn")
        .stdout(Stdio::null());
    match &settings.database_url {
        Some(url) => command.env("MINHBACH_DATABASE_URL", url),
        None => command.env_remove("MINHBACH_DATABASE_URL"),
    };
    let _server = Server(command.spawn().expect("server"));
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&base).call().is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The start's background work (the on-time recount of the reports whose deadlines passed since they
    // were seeded, the day's checkpoint) would otherwise share the cores with the first pages measured.
    let settled = Instant::now();
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let db = minhbach::store::Db::connect(&settings.database_url())
            .await
            .expect("db");
        while minhbach::store::on_time::due_count(db.pool(), minhbach::store::now_millis())
            .await
            .expect("count")
            > 0
        {
            assert!(settled.elapsed() < Duration::from_secs(600), "the recount did not end");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        db.close().await;
    });
    eprintln!(
        "  the start's recount ended {:.1} s after the server answered",
        settled.elapsed().as_secs_f64()
    );
    let supervisor = sign_in(&base, "supervisor", &secret, &settings, 0);
    let inspector = sign_in(&base, "inspector0", &secret, &settings, 0);
    println!("Minh Bạch staff pages: {reports} reports on {backend}, {INSPECTORS} inspectors, sequential requests");
    measure("queue: team (supervisor), page 1", &base, "/inspector", &supervisor, n);
    measure("queue: inspector, page 1", &base, "/inspector", &inspector, n);
    measure(
        "queue: team, status filter",
        &base,
        "/inspector?status=investigating&category=&page=1",
        &supervisor,
        n,
    );
    measure(
        &format!("queue: team, page {deep_page} by its link (keyset)"),
        &base,
        &format!("/inspector?status=&category=&after={deep}&page={deep_page}"),
        &supervisor,
        n,
    );
    measure("queue: team, page 1 (again)", &base, "/inspector", &supervisor, n);
    measure(
        &format!("queue: team, page {deep_page} typed (OFFSET)"),
        &base,
        &format!("/inspector?status=&category=&page={deep_page}"),
        &supervisor,
        n.min(50),
    );
    measure(
        "case page (inspector)",
        &base,
        &format!("/inspector/cases/{case_id}"),
        &inspector,
        n,
    );
    measure(
        "case page (supervisor)",
        &base,
        &format!("/inspector/cases/{case_id}"),
        &supervisor,
        n,
    );
    // Issue #4's figure: every deadline of every case of the team and the on-time rate per stage.
    measure(
        "on-time page (all cases of the team)",
        &base,
        "/inspector/stats",
        &supervisor,
        n.min(10),
    );
    // Issue #13's public page: it reads the day's checkpoint, which the server makes at start.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !ureq::get(&format!("{base}/transparency"))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .is_some_and(|page| page.contains("id=\"figure-on-time\""))
    {
        assert!(Instant::now() < deadline, "no checkpoint with figures");
        std::thread::sleep(Duration::from_millis(200));
    }
    measure("transparency page (public)", &base, "/transparency", "", n);
    // Issue #10's figure: a backup of this database while the server runs, and the restore time (RTO).
    backup_and_restore(&settings, dir.path());
}

/// The key page `page` of the team's queue ends on: what the link to the page after it carries.
async fn page_end(settings: &Settings, page: usize) -> String {
    use minhbach::store::{cases, keyset::Cursor};
    let db = minhbach::store::Db::connect(&settings.database_url())
        .await
        .expect("db");
    let scope = cases::Scope::Team("hocmon-inspectorate".into());
    let found = cases::list(
        db.pool(),
        &scope,
        &cases::Filter::from_query(None, None),
        &Cursor::Skip((page as i64 - 1) * 50),
        50,
    )
    .await
    .expect("the page");
    db.close().await;
    cases::key_of(found.rows.last().expect("rows on the page")).to_link()
}

/// The reads behind the supervisor's statistics page, each timed once, in-process.
async fn statistics_parts(settings: &Settings) {
    use minhbach::domain::ids::TeamId;
    let db = minhbach::store::Db::connect(&settings.database_url())
        .await
        .expect("db");
    let pool = db.pool();
    let team = TeamId::from("hocmon-inspectorate");
    let now = minhbach::store::now_millis();
    let months = minhbach::domain::stats::Month::last(12, now);
    let since = minhbach::domain::calendar::midnight_millis(months[0].first_day());
    let open: Vec<&str> = minhbach::domain::stats::OPEN.iter().map(|s| s.as_str()).collect();
    let t = Instant::now();
    let cells = minhbach::store::on_time::team_cells(pool, &team).await.expect("cells");
    let read = t.elapsed();
    let t = Instant::now();
    let cases = minhbach::store::stats::case_count(pool, &team).await.expect("count");
    let _ = minhbach::app::stats::monthly_from_cells(&cells, months);
    let tally = t.elapsed();
    let t = Instant::now();
    let thresholds = minhbach::domain::stats::age_thresholds(now);
    let groups = minhbach::store::stats::open_cases(pool, &team, &open, &thresholds)
        .await
        .expect("open");
    let open_read = t.elapsed();
    let t = Instant::now();
    let decided = minhbach::store::stats::decisions(pool, &team, since)
        .await
        .expect("decisions");
    let decisions = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "statistics page parts ({cases} cases): on-time cells read {:.1} ms ({} cells), cases counted and \
         figures made {:.1} ms, open cases {:.0} ms ({} groups), decisions {:.0} ms ({} rows)",
        ms(read),
        cells.len(),
        ms(tally),
        ms(open_read),
        groups.len(),
        ms(decisions),
        decided.len()
    );
    db.close().await;
}

/// The public page's figures over every report, as the server's daily checkpoint counts them (once a day,
/// in the background), timed.
async fn public_figures(settings: &Settings) {
    let db = minhbach::store::Db::connect(&settings.database_url())
        .await
        .expect("db");
    let today = minhbach::domain::calendar::local_date(minhbach::store::now_millis());
    let started = Instant::now();
    let figures = minhbach::app::audit::public_figures(&db, minhbach::domain::calendar::midnight_millis(today))
        .await
        .expect("figures");
    println!(
        "public figures of the daily checkpoint ({} reports in {} quarters): {:.0} ms",
        figures.received.iter().sum::<u64>(),
        figures.quarters.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    db.close().await;
}

/// `minhbach backup` under the running server, then `minhbach restore` into a new data directory (or the
/// database `BENCH_RESTORE_URL` names, empty, on PostgreSQL), timed.
fn backup_and_restore(settings: &Settings, dir: &std::path::Path) {
    let run = |data_dir: &std::path::Path, url: Option<String>, args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_minhbach"));
        command
            .args(args)
            .env("MINHBACH_DATA_DIR", data_dir)
            .env("MINHBACH_LOG", "warn");
        match url {
            Some(url) => command.env("MINHBACH_DATABASE_URL", url),
            None => command.env_remove("MINHBACH_DATABASE_URL"),
        };
        let started = Instant::now();
        let out = command.output().expect("minhbach runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (started.elapsed(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let target = dir.join("backup");
    let (took, said) = run(
        &settings.data_dir,
        settings.database_url.clone(),
        &["backup", "--with-secret-key", "--to", target.to_str().unwrap()],
    );
    let size: u64 = std::fs::read_dir(&target)
        .map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    println!(
        "backup under the running server: {:.1} s, {:.0} MiB",
        took.as_secs_f64(),
        size as f64 / 1048576.0
    );
    let head = said
        .lines()
        .find(|l| l.starts_with("Backed up"))
        .unwrap_or_default()
        .to_owned();
    let restore_url = std::env::var("BENCH_RESTORE_URL")
        .ok()
        .filter(|_| settings.database_url.is_some());
    if settings.database_url.is_some() && restore_url.is_none() {
        println!("restore not measured: set BENCH_RESTORE_URL to an empty PostgreSQL database to restore into");
        return;
    }
    let (took, said) = run(
        &dir.join("restored"),
        restore_url,
        &["restore", "--from", target.to_str().unwrap()],
    );
    println!(
        "restore into a new data directory (RTO, with audit verify): {:.1} s",
        took.as_secs_f64()
    );
    println!("  {head}");
    println!(
        "  {}",
        said.lines()
            .find(|l| l.starts_with("Restored ledger head"))
            .unwrap_or_default()
    );
}
