//! What the browser suite runs against, all real and all on loopback: the server binary, a recording proxy
//! every browser request goes through, a second site that plays the attacker, and the WebDriver servers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 60 s"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real server binary on a free loopback port with a fresh data directory (and, when
/// `TEST_DATABASE_URL` is set, a fresh PostgreSQL database of its own).
pub struct App {
    pub port: u16,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The one-time setup code the server printed for the first admin, if it printed one.
    pub setup_code: Option<String>,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl App {
    pub async fn start(extra_env: &[(&str, &str)]) -> App {
        let dir = tempfile::tempdir().expect("temporary directory");
        let data_dir = dir.path().join("data");
        let database_url = match crate::postgres::fresh_postgres_url().await {
            Some(url) => url,
            None => format!("sqlite://{}?mode=rwc", data_dir.join("minhbach.db").display()),
        };
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_minhbach"));
        command
            .arg("serve")
            .env("MINHBACH_DATA_DIR", &data_dir)
            .env("MINHBACH_DATABASE_URL", &database_url)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("MINHBACH_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the server binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        // The server prints the setup code (the line after the prompt) as it starts listening; keep reading
        // its output so that it never blocks on a full pipe.
        let (code_tx, code_rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let mut after_prompt = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if after_prompt {
                    let _ = code_tx.send(line.trim().to_owned());
                }
                after_prompt = line.contains("one-time setup code");
            }
        });
        wait_for_port(port, "the server", &mut child);
        let setup_code = code_rx.recv_timeout(Duration::from_secs(2)).ok();
        App {
            port,
            data_dir,
            database_url,
            setup_code,
            _process: Process(child),
            _dir: dir,
        }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A read-only look at the server's database, to count what changed.
    pub async fn pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = self.database_url.replace("?mode=rwc", "?mode=ro");
        sqlx::AnyPool::connect(&url).await.expect("the server's database opens")
    }
}

/// Runs `minhbach ARGS` on a data directory and database, with `stdin` as its input; returns its output.
pub fn cli(data_dir: &Path, database_url: &str, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .args(args)
        .env("MINHBACH_DATA_DIR", data_dir)
        .env("MINHBACH_DATABASE_URL", database_url)
        .env("MINHBACH_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the CLI starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("the CLI ends");
    assert!(out.status.success(), "minhbach {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One request the browser made, as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub host: String,
    pub method: String,
    pub path: String,
    /// The `Origin` and `Sec-Fetch-Site` headers the browser sent, if any.
    pub origin: Option<String>,
    pub fetch_site: Option<String>,
    /// The answer's status (502 for a host the proxy does not serve, 0 when no answer came).
    pub status: u16,
}

/// An HTTP proxy on loopback that the browser is told to use for everything, loopback included. It
/// forwards requests for the app (and, while a test opens it, the attacker's site) and records every
/// request, so that one to any other host, or a TLS tunnel to anywhere, is seen and counted.
pub struct Proxy {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

/// Where the proxy sends requests for `host` whose path starts with `prefix`.
#[derive(Clone)]
pub struct Route {
    pub host: String,
    pub prefix: &'static str,
    pub port: u16,
}

impl Proxy {
    /// A proxy with `routes`, the first matching one winning. A route under the app's own host with a path
    /// prefix lets a test serve a page as if the app served it: the positive control of the cross-site test.
    pub fn start(routes: Vec<Route>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (log, routes) = (log.clone(), routes.clone());
                thread::spawn(move || {
                    let _ = forward(stream, &routes, &log);
                });
            }
        });
        Proxy { port, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn forward(client: TcpStream, routes: &[Route], log: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(());
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut origin = None;
    let mut fetch_site = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let value = || line.split_once(':').map(|(_, v)| v.trim().to_owned());
        if lower.starts_with("origin:") {
            origin = value();
        }
        if lower.starts_with("sec-fetch-site:") {
            fetch_site = value();
        }
        if !["connection:", "proxy-connection:", "keep-alive:"]
            .iter()
            .any(|h| lower.starts_with(h))
        {
            headers.push(line);
        }
    }
    let (host, path) = match target.strip_prefix("http://") {
        Some(rest) => match rest.split_once('/') {
            Some((host, path)) => (host.to_owned(), format!("/{path}")),
            None => (rest.to_owned(), "/".to_owned()),
        },
        // CONNECT host:443, or anything that is not a plain HTTP proxy request.
        None => (target.clone(), String::new()),
    };
    let mut seen = Seen {
        host: host.clone(),
        method: method.clone(),
        path: path.clone(),
        origin,
        fetch_site,
        status: 0,
    };
    let mut client = client;
    let route = routes
        .iter()
        .find(|r| r.host == host && path.starts_with(r.prefix))
        .filter(|_| method != "CONNECT");
    // Recorded once answered, so that a test reading the log after a request sees its effects too.
    let answer = match route {
        None => Ok(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()),
        Some(Route { port, .. }) => relay(&mut reader, *port, &method, &path, &headers, length),
    };
    let result = answer.and_then(|bytes| {
        seen.status = std::str::from_utf8(&bytes[..bytes.len().min(12)])
            .ok()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        client.write_all(&bytes)
    });
    let _ = client.shutdown(Shutdown::Both);
    if let Ok(mut log) = log.lock() {
        log.push(seen);
    }
    result
}

/// Sends the request on to the server on `port` and reads its whole answer.
fn relay(
    reader: &mut BufReader<TcpStream>,
    port: u16,
    method: &str,
    path: &str,
    headers: &[String],
    length: usize,
) -> std::io::Result<Vec<u8>> {
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut upstream = TcpStream::connect(("127.0.0.1", port))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for line in headers {
        head.push_str(line);
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    Ok(answer)
}

/// The attacker: a second site (another host name, so another site as browsers count sites) serving pages
/// whose forms post to the app, plainly and from inside a sandboxed frame, and an address that bounces a
/// post on to the app (307 keeps the method and the body).
pub struct Attacker {
    pub port: u16,
    answers: Arc<Mutex<Vec<(String, Answer)>>>,
}

#[derive(Clone)]
enum Answer {
    Page(String),
    Redirect(String),
}

impl Attacker {
    pub const HOST: &'static str = "localhost";

    pub fn start() -> Attacker {
        let listener = TcpListener::bind("127.0.0.1:0").expect("attacker port");
        let port = listener.local_addr().expect("attacker address").port();
        let answers: Arc<Mutex<Vec<(String, Answer)>>> = Arc::new(Mutex::new(Vec::new()));
        let served = answers.clone();
        thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                // Read what a bounced form sent, so that closing the connection resets nothing.
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let answer = served
                    .lock()
                    .ok()
                    .and_then(|a| a.iter().find(|(p, _)| *p == path).map(|(_, a)| a.clone()));
                let response = match answer {
                    Some(Answer::Page(body)) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    Some(Answer::Redirect(to)) => {
                        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    }
                    None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Attacker { port, answers }
    }

    pub fn host(&self) -> String {
        format!("{}:{}", Self::HOST, self.port)
    }

    fn answer(&self, path: &str, answer: Answer) -> String {
        if let Ok(mut answers) = self.answers.lock() {
            answers.push((path.to_owned(), answer));
        }
        format!("http://{}{path}", self.host())
    }

    /// Serves `html` at `path`; returns its address.
    pub fn serve(&self, path: &str, html: String) -> String {
        self.answer(path, Answer::Page(html))
    }

    /// Answers `path` with a 307 to `to`; returns its address.
    pub fn bounce(&self, path: &str, to: &str) -> String {
        self.answer(path, Answer::Redirect(to.to_owned()))
    }
}

/// Where an executable is: on `PATH`, or in Cargo's bin directory (`cargo install geckodriver`).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// A WebDriver server (chromedriver or geckodriver) on a free port.
pub struct Driver {
    pub url: String,
    _process: Process,
}

impl Driver {
    /// Starts `program` on a free port; the browsers it starts inherit `env`.
    pub fn start(program: &Path, port_flag: &str, env: &[(&str, &str)]) -> Driver {
        let port = free_port();
        let mut child = Command::new(program)
            .arg(format!("{port_flag}{port}"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", program.display()));
        wait_for_port(port, &program.display().to_string(), &mut child);
        Driver {
            url: format!("http://127.0.0.1:{port}"),
            _process: Process(child),
        }
    }
}
