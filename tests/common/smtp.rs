//! A real SMTP server for the notification tests: aiosmtpd (from PyPI, as `.ci/run` installs it) on a
//! loopback port, storing every mail it accepts in a Maildir the test reads back and decodes.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether aiosmtpd can be started here.
pub fn available() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running aiosmtpd; stopped when dropped.
pub struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    /// Starts aiosmtpd on `port`, storing mails under `maildir`, and waits until it accepts connections.
    pub fn start(port: u16, maildir: &Path) -> Self {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("the Maildir");
        }
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not come up on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One mail as the server stored it: its recipient, subject and text decoded, and the raw bytes as text.
/// (The reliability tests read only the recipient and subject.)
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub raw: String,
}

#[allow(dead_code)]
impl Received {
    /// Everything a reader of the mail could see: headers and body, decoded, and the raw text.
    pub fn all_text(&self) -> String {
        format!("{}\n{}\n{}\n{}", self.to, self.subject, self.body, self.raw)
    }
}

/// The mails stored under `maildir`, in the order of their file names (aiosmtpd's start with the time).
pub fn received(maildir: &Path) -> Vec<Received> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .map(|bytes| {
            let message = mail_parser::MessageParser::default()
                .parse(&bytes)
                .expect("a mail that parses");
            Received {
                to: message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned(),
                subject: message.subject().unwrap_or_default().to_owned(),
                body: message.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
                raw: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
        .collect()
}

/// Waits until `maildir` holds at least `count` mails (or `timeout` passes), then returns them all.
pub fn wait_for(maildir: &Path, count: usize, timeout: Duration) -> Vec<Received> {
    let deadline = Instant::now() + timeout;
    loop {
        let mails = received(maildir);
        if mails.len() >= count || Instant::now() >= deadline {
            return mails;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
