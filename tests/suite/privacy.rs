//! Nothing a reporter typed, and no retrieval code, reaches the disk or the logs in clear; no client
//! address or user agent is kept; keys and database are owner-only.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row;

use crate::helpers::TestApp;

/// The real server binary on a free port with its own data directory and log files.
struct Server {
    child: Child,
    base: String,
    data_dir: PathBuf,
    logs: [PathBuf; 2],
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data_dir = dir.path().join("data");
        let logs = [dir.path().join("stdout.log"), dir.path().join("stderr.log")];
        // The server's own temporary directory, read after the run: an upload must leave nothing there.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("temporary directory");
        let file = |p: &Path| std::fs::File::create(p).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_minhbach"))
            .arg("serve")
            .env("MINHBACH_DATA_DIR", &data_dir)
            .env("TMPDIR", &tmp)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            // The most verbose logging: nothing secret may appear even there.
            .env("MINHBACH_LOG", "debug")
            .env_remove("MINHBACH_DATABASE_URL")
            .stdout(Stdio::from(file(&logs[0])))
            .stderr(Stdio::from(file(&logs[1])))
            .spawn()
            .expect("the server binary starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
            logs,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&server.base).call().is_err() {
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn log_text(&self) -> String {
        self.logs
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        ureq::request(method, &format!("{}{path}", self.base))
            .set("X-Forwarded-For", "203.0.113.77")
            .set("X-Real-IP", "198.51.100.23")
            .set("Forwarded", "for=192.0.2.60")
            .set("User-Agent", "CanaryBrowser/9.9 (Reporter's laptop)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn canaries_and_codes_never_reach_the_disk_or_the_logs() {
    let server = Server::start();
    let canary_api = "CANARY-API-7f3a9c Bí mật của người tố cáo";
    let canary_form = "CANARY-FORM-51d0e2 tiền hối lộ";
    let canary_message = "CANARY-MESSAGE-c44b81";
    let canary_accused = "CANARY-ACCUSED-9e2210";

    let response = server
        .request("POST", "/api/v1/reports")
        .send_json(
            json!({ "category": "embezzlement", "unit": "dong-thanh", "narrative": canary_api,
            "accused": canary_accused, "amount_vnd": 987_654_321 }),
        )
        .expect("API submission");
    let api_code = response.into_json::<serde_json::Value>().expect("JSON")["code"]
        .as_str()
        .expect("code")
        .to_owned();

    let page = server
        .request("POST", "/report")
        .send_form(&[
            ("category", "forgery"),
            ("unit", "nhi-binh"),
            ("narrative", canary_form),
        ])
        .expect("form submission")
        .into_string()
        .expect("page");
    let start = page.find("id=\"code\">").expect("code on the page") + 10;
    let form_code = page[start..start + 24].to_owned();

    server
        .request("POST", "/api/v1/reports/messages")
        .send_json(json!({ "code": api_code, "body": canary_message }))
        .expect("message");
    let status = server
        .request("POST", "/api/v1/reports/status")
        .send_json(json!({ "code": api_code }))
        .expect("status");
    assert!(
        status.into_string().expect("body").contains(canary_message),
        "the reporter reads the message back"
    );
    let page = server
        .request("POST", "/report/status")
        .send_form(&[("code", &form_code)])
        .expect("page")
        .into_string()
        .unwrap();
    assert!(
        page.contains("CANARY-FORM-51d0e2"),
        "the reporter reads their report back"
    );
    // Evidence files, as a browser sends them: the content and the name are both secret.
    let canary_file = "CANARY-FILE-3b9e1d sổ sách chi tiêu";
    let body = crate::helpers::multipart(&[
        crate::helpers::Part::Text("category", "bribe-taking"),
        crate::helpers::Part::Text("unit", "ba-diem"),
        crate::helpers::Part::Text("narrative", "Tệp đính kèm."),
        crate::helpers::Part::File("file", "CANARY-NAME-a81f.txt", canary_file.repeat(5000).as_bytes()),
    ]);
    let page = server
        .request("POST", "/report")
        .set("Content-Type", &crate::helpers::multipart_type().to_string())
        .send_bytes(&body)
        .expect("a report with a file")
        .into_string()
        .unwrap();
    assert!(
        page.contains("CANARY-NAME-a81f.txt"),
        "the file was taken: the confirmation lists it"
    );
    // A code pasted into a URL by mistake must not be logged either.
    let _ = server
        .request("GET", &format!("/report/status?code={}", api_code))
        .call();

    // A hard stop, as in a crash: the WAL stays on disk beside the database.
    let mut server = server;
    let _ = server.child.kill();
    let _ = server.child.wait();

    let mut secrets: Vec<String> = vec![
        canary_api.into(),
        "CANARY-API-7f3a9c".into(),
        canary_form.into(),
        "CANARY-FORM-51d0e2".into(),
        canary_message.into(),
        canary_accused.into(),
        "987654321".into(),
        "203.0.113.77".into(),
        "198.51.100.23".into(),
        "192.0.2.60".into(),
        "CanaryBrowser".into(),
        "CANARY-FILE-3b9e1d".into(),
        "CANARY-NAME-a81f".into(),
    ];
    for code in [&api_code, &form_code] {
        secrets.push(code.clone());
        secrets.push(code.replace('-', ""));
        secrets.push(code.to_lowercase());
        secrets.push(code[..9].to_owned()); // even a fragment: the first two groups
    }
    let mut files = files_under(&server.data_dir);
    files.extend(server.logs.iter().cloned());
    files.extend(files_under(&server._dir.path().join("tmp")));
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("-wal")),
        "the WAL is checked too: {names:?}"
    );
    let mut bytes_checked = 0;
    let mut found = Vec::new();
    for file in &files {
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .expect("readable");
        bytes_checked += bytes.len();
        for secret in &secrets {
            if occurrences(&bytes, secret.as_bytes()) > 0 {
                found.push(format!("{secret:?} in {}", file.display()));
            }
        }
    }
    println!(
        "{} secrets (canaries, codes, test IPs, user agent) × {} files ({names:?}), {bytes_checked} bytes: {} found",
        secrets.len(),
        files.len(),
        found.len()
    );
    assert!(found.is_empty(), "{found:#?}");
    assert!(
        server.log_text().contains("path=\"/api/v1/reports\""),
        "the request log did run"
    );
}

#[rocket::async_test]
async fn the_database_holds_only_ciphertext_of_what_the_reporter_typed() {
    let app = TestApp::spawn().await;
    let canary = "CANARY-DB-0a1b2c";
    let code = app.submit(&format!("{canary} Chủ tịch xã nhận quà")).await;
    let (status, _) = app.post_report_message(&code, &format!("{canary} tin nhắn")).await;
    assert_eq!(status.code, 201);
    let mut cells = 0;
    for (table, columns) in [
        (
            "reports",
            &[
                "id",
                "locator",
                "category",
                "unit_id",
                "status",
                "key_salt",
                "wrapped_key",
                "narrative",
                "accused",
                "incident_date",
                "amount_vnd",
            ][..],
        ),
        ("messages", &["id", "report_id", "author", "body"][..]),
        (
            "ledger",
            &["kind", "report_id", "actor", "detail", "prev_hash", "hash"][..],
        ),
    ] {
        let rows = sqlx::query(&format!("SELECT {} FROM {table}", columns.join(", ")))
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        for row in &rows {
            for (i, column) in columns.iter().enumerate() {
                let bytes: Vec<u8> = row
                    .try_get::<Option<Vec<u8>>, _>(i)
                    .or_else(|_| row.try_get::<Option<String>, _>(i).map(|s| s.map(String::into_bytes)))
                    .unwrap_or_else(|e| panic!("{table}.{column}: {e}"))
                    .unwrap_or_default();
                cells += 1;
                for secret in [
                    canary.as_bytes(),
                    code.as_bytes(),
                    code.replace('-', "").as_bytes(),
                    "15000000".as_bytes(),
                    "Nguyễn Văn A".as_bytes(),
                ] {
                    assert_eq!(
                        occurrences(&bytes, secret),
                        0,
                        "{table}.{column} holds {:?}",
                        String::from_utf8_lossy(secret)
                    );
                }
            }
        }
    }
    println!(
        "{cells} cells on {:?}: no canary, code, amount or name in clear",
        app.backend()
    );
}

#[cfg(unix)]
#[rocket::async_test]
async fn the_data_directory_and_its_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let data = app.data_dir.path().join("data");
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("secret.key")), 0o600);
    if app.backend() == minhbach::store::Backend::Sqlite {
        app.submit("Một báo cáo để tạo tệp WAL trên đĩa.").await;
        for file in files_under(&data) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
}

/// Row 13 over the staff side: the staff password, staff messages, transition reasons, the officer's
/// evidence, decision reason and payment reference, and the identity a reporter reveals to claim, each a
/// canary, are in no file of the data directory (database and WAL on SQLite) nor in a backup of the
/// database (on both backends), while the same texts read back through the app (the control). The stored
/// password hashes are Argon2id v19 with at least 19 MiB.
#[rocket::async_test]
async fn staff_texts_and_claims_are_never_stored_in_clear() {
    use crate::helpers::{Session, TestApp, PASSWORD};
    use minhbach::app::backup::{backup, KeyChoice};

    let app = TestApp::spawn().await;
    app.add_user("lan.nguyen", "inspector", None, None).await;
    app.add_user("mai.tran", "officer", None, None).await;
    let inspector: Session = app.sign_in("lan.nguyen").await;
    let officer: Session = app.sign_in("mai.tran").await;
    let canary = |what: &str| format!("CANARY-{what}-5b17 Nguyễn");
    let code = app
        .submit("Cán bộ địa chính xã nhận tiền để làm nhanh hồ sơ đất.")
        .await;
    let id = app.report_id(&code).await;
    let (status, _) = app
        .post_case_message(&inspector, &id, &json!({ "body": canary("STAFF-MESSAGE") }))
        .await;
    assert_eq!(status.code, 201);
    for (to, what) in [
        ("accepted", "REASON-1"),
        ("investigating", "REASON-2"),
        ("substantiated", "REASON-3"),
    ] {
        let (status, body) = app
            .post_transition(&inspector, &id, &json!({ "to": to, "reason": canary(what) }))
            .await;
        assert_eq!(status.code, 200, "{to}: {body}");
    }
    let record = json!({ "recovered": 0, "form": "ministry_certificate", "evidence": canary("EVIDENCE") });
    assert_eq!(app.post_proposal(&officer, &id, &record).await.0.code, 200);
    let decision = json!({ "form": "ministry_certificate", "amount": 50_000_000, "reason": canary("DECISION") });
    let (status, body) = app.post_decision(&officer, &id, &decision).await;
    assert_eq!(status.code, 200, "{body}");
    let identity =
        json!({ "name": canary("CLAIM-NAME"), "id_number": "079399998888", "payment": canary("CLAIM-BANK") });
    let (status, body) = app.post_claim(&code, json!({ "identity": identity })).await;
    assert_eq!(status.code, 200, "{body}");
    let payment = json!({ "amount": 50_000_000, "reference": canary("PAYMENT") });
    let (status, body) = app.post_payment(&officer, &id, &payment).await;
    assert_eq!(status.code, 200, "{body}");

    // The control: the app gives every text back to those who may read it.
    let (_, file) = app.get_commendation(&officer, &id).await;
    let (_, case) = app.get_case(&inspector, &id).await;
    let readable = format!("{file}{case}");
    let mut secrets = vec![PASSWORD.to_owned(), "079399998888".to_owned()];
    for what in [
        "STAFF-MESSAGE",
        "REASON-1",
        "EVIDENCE",
        "DECISION",
        "CLAIM-NAME",
        "CLAIM-BANK",
        "PAYMENT",
    ] {
        assert!(readable.contains(&canary(what)), "{what} reads back: {readable}");
    }
    for what in [
        "STAFF-MESSAGE",
        "REASON-1",
        "REASON-2",
        "REASON-3",
        "EVIDENCE",
        "DECISION",
        "CLAIM-NAME",
        "CLAIM-BANK",
        "PAYMENT",
    ] {
        secrets.push(canary(what));
        secrets.push(format!("CANARY-{what}-5b17"));
    }

    // The files: the data directory (the SQLite database and its WAL, the keys) and a backup of the database.
    let backup_dir = app.data_dir.path().join("backup");
    let settings: minhbach::config::Settings = app
        .client
        .rocket()
        .state::<minhbach::config::Settings>()
        .cloned()
        .expect("settings");
    backup(
        app.db(),
        &settings,
        &backup_dir,
        KeyChoice {
            secret: false,
            recovery: false,
        },
        &|_| {},
    )
    .await
    .expect("backup");
    // On PostgreSQL the database is not in the data directory, and a backup is compressed: every row of
    // every table as PostgreSQL prints it (text as typed, bytea as hex) goes to a file of its own.
    if app.backend() == minhbach::store::Backend::Postgres {
        let pool = app.db().pool();
        let tables = app.table_names().await;
        let mut dump = String::new();
        for table in &tables {
            for row in sqlx::query(&format!("SELECT CAST(t AS TEXT) AS row FROM {table} t"))
                .fetch_all(pool)
                .await
                .expect("rows")
            {
                dump.push_str(&sqlx::Row::get::<String, _>(&row, "row"));
                dump.push('\n');
            }
        }
        std::fs::write(app.data_dir.path().join("postgres-rows.txt"), dump).expect("the rows");
    }
    let files = files_under(app.data_dir.path());
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    if app.backend() == minhbach::store::Backend::Sqlite {
        assert!(
            names.iter().any(|n| n.ends_with("-wal")),
            "the WAL is checked: {names:?}"
        );
    }
    assert!(
        files.iter().any(|f| f.starts_with(&backup_dir)),
        "the backup is checked: {names:?}"
    );
    let (mut bytes_checked, mut found) = (0, Vec::new());
    for file in &files {
        let bytes = std::fs::read(file).expect("readable");
        bytes_checked += bytes.len();
        for secret in &secrets {
            if occurrences(&bytes, secret.as_bytes()) > 0 {
                found.push(format!("{secret:?} in {}", file.display()));
            }
        }
    }
    // The control: what is stored in clear (a username) is found by the same scan.
    let in_clear = files
        .iter()
        .filter(|f| std::fs::read(f).is_ok_and(|b| occurrences(&b, b"lan.nguyen") > 0))
        .count();
    assert!(in_clear > 0, "the scan finds a username stored in clear");
    // The password hashes.
    let hashes: Vec<String> = sqlx::query("SELECT password_hash FROM users")
        .fetch_all(app.db().pool())
        .await
        .expect("users")
        .iter()
        .map(|r| sqlx::Row::get(r, "password_hash"))
        .collect();
    let weak: Vec<&String> = hashes
        .iter()
        .filter(|h| {
            let memory = h
                .strip_prefix("$argon2id$v=19$m=")
                .and_then(|rest| rest.split(',').next())
                .and_then(|m| m.parse::<u32>().ok());
            memory.is_none_or(|m| m < 19_456)
        })
        .collect();
    println!(
        "row 13 (staff side): {} secrets × {} files ({names:?}), {bytes_checked} bytes: {} found; {} password \
         hashes, {} not $argon2id$v=19$m≥19456 (first: {})",
        secrets.len(),
        files.len(),
        found.len(),
        hashes.len(),
        weak.len(),
        hashes.first().map(|h| &h[..h.len().min(30)]).unwrap_or_default()
    );
    assert!(found.is_empty(), "{found:#?}");
    assert!(weak.is_empty() && hashes.len() == 2, "{hashes:?}");
}
