//! The real `minhbach` binary, started as an operator starts it: `minhbach serve` on a free loopback port,
//! on a data directory (and database) that outlive the process, so a test can kill it and start it again.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where a deployment keeps its state: a data directory, and a PostgreSQL URL when not on SQLite.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Settings of the test's own (`MINHBACH_KDF_QUEUE`, …).
    pub env: Vec<(String, String)>,
}

impl Deployment {
    pub fn new(data_dir: &Path, database_url: Option<String>) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            database_url,
            env: Vec::new(),
        }
    }

    /// `minhbach ARGS…` on this deployment, to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command();
        command.args(args);
        command.output().expect("minhbach runs")
    }

    /// `minhbach ARGS…` with `input` on standard input (a password), to completion.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut command = self.command();
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("minhbach runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("input written");
        child.wait_with_output().expect("minhbach ends")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_minhbach"));
        command
            .env("MINHBACH_DATA_DIR", &self.data_dir)
            .env("MINHBACH_LOG", "warn")
            .env_remove("ROCKET_PROFILE")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        match &self.database_url {
            Some(url) => command.env("MINHBACH_DATABASE_URL", url),
            None => command.env_remove("MINHBACH_DATABASE_URL"),
        };
        command
    }

    /// The deployment's database URL as a connection of the test's own opens it (the SQLite file in the data
    /// directory when no PostgreSQL URL is set).
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rw", self.data_dir.join("minhbach.db").display()))
    }

    /// A connection of the test's own to the deployment's database; `None` when it does not open.
    pub async fn connect(&self) -> Option<sqlx::AnyConnection> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url()).await.ok()
    }

    /// The reports stored, read with a connection of its own (after the server was killed, this is what
    /// the next start finds).
    pub fn count_reports(&self) -> i64 {
        self.number("SELECT COUNT(*) AS n FROM reports")
    }

    /// The number `sql` selects as `n` (0 for no row or NULL), read with a connection of its own.
    pub fn number(&self, sql: &str) -> i64 {
        use sqlx::{Executor, Row};
        tokio::runtime::Runtime::new().expect("a runtime").block_on(async {
            let mut conn = self.connect().await.expect("the database opens");
            conn.fetch_optional(sql)
                .await
                .expect("the query runs")
                .and_then(|r| r.try_get::<Option<i64>, _>("n").expect("a number"))
                .unwrap_or(0)
        })
    }

    /// Starts `minhbach serve` and waits until it answers.
    pub fn serve(&self) -> Server {
        self.serve_with(Stdio::null(), Stdio::null())
    }

    /// [`Deployment::serve`], what it prints for the operator (standard output) written to `out`.
    #[allow(dead_code)]
    pub fn serve_printing(&self, out: &Path) -> Server {
        let file = std::fs::File::create(out).expect("the output file opens");
        self.serve_with(Stdio::from(file), Stdio::null())
    }

    /// [`Deployment::serve`], its log (standard error) appended to `log`.
    #[allow(dead_code)]
    pub fn serve_logged(&self, log: &Path) -> Server {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("the log file opens");
        self.serve_with(Stdio::null(), Stdio::from(file))
    }

    fn serve_with(&self, stdout: Stdio, stderr: Stdio) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut command = self.command();
        command
            .arg("serve")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .stdout(stdout)
            .stderr(stderr);
        let child = command.spawn().expect("the server starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&server.base).timeout(Duration::from_secs(2)).call().is_err() {
            assert!(Instant::now() < deadline, "the server did not come up");
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }
}

/// The password of the staff accounts the tests create.
pub const STAFF_PASSWORD: &str = "mật khẩu thử tải 2026";

/// A staff account created with the command line: its username and TOTP secret.
pub struct StaffAccount {
    pub username: String,
    totp: Vec<u8>,
    /// The last TOTP step used (each is accepted once).
    pub last_step: Option<u64>,
}

/// The TOTP step of this moment.
pub fn totp_step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        / 30
}

impl Deployment {
    /// `minhbach user add` for `username` with `role`, as an operator would: the account and the TOTP
    /// secret read from the enrolment URI it prints.
    pub fn add_staff(&self, username: &str, role: &str) -> StaffAccount {
        let out = self.run_with_input(
            &[
                "user",
                "add",
                "--username",
                username,
                "--role",
                role,
                "--password-stdin",
            ],
            &format!("{STAFF_PASSWORD}\n"),
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        let uri = text
            .lines()
            .find(|l| l.starts_with("otpauth://"))
            .expect("an enrolment URI");
        let secret = uri
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("secret="))
            .expect("a secret");
        let totp = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().expect("base32");
        StaffAccount {
            username: username.to_owned(),
            totp,
            last_step: None,
        }
    }
}

impl StaffAccount {
    /// A six-digit code that is none of this account's codes of the steps around now: a wrong code.
    #[allow(dead_code)]
    pub fn wrong_code(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let near: Vec<String> = [now.saturating_sub(60), now.saturating_sub(30), now, now + 30, now + 60]
            .iter()
            .filter_map(|t| minhbach::crypto::code_at(&self.totp, *t))
            .collect();
        (0..10u32)
            .map(|d| d.to_string().repeat(6))
            .find(|c| !near.contains(c))
            .expect("ten candidates, at most five near codes")
    }

    /// Signs in with this step's code (marking the step used): the session cookie and the time taken.
    pub fn sign_in(&mut self, base: &str) -> Option<(String, f64)> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        self.last_step = Some(now / 30);
        let code = minhbach::crypto::code_at(&self.totp, now)?;
        let started = Instant::now();
        let response = ureq::post(&format!("{base}/api/v1/session"))
            .timeout(Duration::from_secs(60))
            .send_json(serde_json::json!({ "username": self.username, "password": STAFF_PASSWORD, "totp": code }))
            .ok()?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let cookie: Vec<&str> = response
            .all("Set-Cookie")
            .into_iter()
            .filter_map(|c| c.split(';').next())
            .collect();
        Some((cookie.join("; "), ms))
    }
}

/// A running server; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown of any kind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A report as the API takes it, distinct per `i`.
pub fn report_body(i: usize) -> serde_json::Value {
    serde_json::json!({
        "category": "bribe-taking",
        "unit": "ba-diem",
        "narrative": format!("Báo cáo thử số {i}: cán bộ địa chính nhận tiền để đẩy nhanh hồ sơ."),
    })
}

/// Files a report; the code on `201`, else the status (0: no answer at all).
pub fn submit(server_base: &str, i: usize) -> Result<String, u16> {
    match ureq::post(&format!("{server_base}/api/v1/reports"))
        .timeout(Duration::from_secs(30))
        .send_json(report_body(i))
    {
        Ok(response) if response.status() == 201 => {
            let body: serde_json::Value = response.into_json().map_err(|_| 0u16)?;
            body["code"].as_str().map(str::to_owned).ok_or(0)
        }
        Ok(response) => Err(response.status()),
        Err(ureq::Error::Status(status, _)) => Err(status),
        Err(_) => Err(0),
    }
}

/// Whether a code opens its report (`200` from the status endpoint).
pub fn opens(server_base: &str, code: &str) -> bool {
    ureq::post(&format!("{server_base}/api/v1/reports/status"))
        .timeout(Duration::from_secs(30))
        .send_json(serde_json::json!({ "code": code }))
        .is_ok_and(|r| r.status() == 200)
}

/// A memory figure of a process from `/proc/PID/status`, in KiB: `VmRSS` (resident now) or `VmHWM` (the
/// peak); 0 when the process is gone.
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
