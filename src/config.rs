//! Settings, from `Rocket.toml` and the environment (`ROCKET_*` for the web server, `MINHBACH_*` for ours),
//! and the data directory: created on first run with owner-only permissions, holding the database and the
//! server's secret key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::Deserialize;
use zeroize::Zeroizing;

/// Our own settings, beside Rocket's.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Settings {
    /// Where the database (by default), keys and backups live. `MINHBACH_DATA_DIR`, default `./data`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`; by default a SQLite file in the data directory.
    /// `MINHBACH_DATABASE_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// The deadline policy preset: `vn-2018` (default) or `eu-2019`. `MINHBACH_POLICY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// A policy file of the deployment's own (a preset copied and edited), instead of a preset.
    /// `MINHBACH_POLICY_FILE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_file: Option<PathBuf>,
    /// The reward scheme: `vn_ttlt_01_2015` (default), `kr_acrc`, `us_sec` or `id_pp43_2018`.
    /// `MINHBACH_REWARD_SCHEME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_scheme: Option<String>,
    /// Seconds without a request after which a staff session ends (default 1800: 30 minutes).
    /// `MINHBACH_SESSION_IDLE_SECONDS`.
    #[serde(default = "default_session_idle_seconds")]
    pub session_idle_seconds: u32,
    /// Argon2id derivations run at once in each lane (reporters, staff): default one per core.
    /// `MINHBACH_KDF_WORKERS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf_workers: Option<usize>,
    /// Reporters' derivations that may wait for a worker; past that the server answers `503` at once.
    /// Default 8 per worker. `MINHBACH_KDF_QUEUE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf_queue: Option<usize>,
    /// Evidence files a report or a reply may carry (default 10). `MINHBACH_ATTACHMENTS_MAX_FILES`.
    #[serde(default = "default_max_files")]
    pub attachments_max_files: usize,
    /// The largest evidence file, in bytes (default 20 MiB). `MINHBACH_ATTACHMENTS_MAX_FILE_BYTES`.
    #[serde(default = "default_max_file_bytes")]
    pub attachments_max_file_bytes: usize,
    /// The most the files of one report or reply may add up to, in bytes (default 50 MiB).
    /// `MINHBACH_ATTACHMENTS_MAX_TOTAL_BYTES`.
    #[serde(default = "default_max_total_bytes")]
    pub attachments_max_total_bytes: usize,
    /// Uploads read and prepared at once; others wait (default 4). Each holds up to the total above in
    /// memory while it is prepared. `MINHBACH_ATTACHMENTS_UPLOADS_AT_ONCE`.
    #[serde(default = "default_uploads_at_once")]
    pub attachments_uploads_at_once: usize,
    /// The mail server for staff notifications; none (the default) leaves notifications off.
    /// `MINHBACH_SMTP_HOST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    /// Its port: by default 587 with STARTTLS, 25 without. `MINHBACH_SMTP_PORT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// Whether the connection must be upgraded with STARTTLS before anything is sent (default true; only a
    /// server on the same machine or network segment should be used without). `MINHBACH_SMTP_STARTTLS`.
    #[serde(default = "default_true")]
    pub smtp_starttls: bool,
    /// The account to sign in to the mail server with, if it asks. `MINHBACH_SMTP_USER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_user: Option<String>,
    /// Its password. `MINHBACH_SMTP_PASSWORD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<Redacted>,
    /// The sender of every mail (`Thanh tra <thanhtra@example.gov.vn>`); required with `smtp_host`.
    /// `MINHBACH_SMTP_FROM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_from: Option<String>,
    /// The address staff reach this server at, for the sign-in link in mails (default
    /// `http://127.0.0.1:8000`). `MINHBACH_PUBLIC_URL`.
    #[serde(default = "default_public_url")]
    pub public_url: String,
    /// Seconds between the notifier's rounds: new events read, digests queued, mails sent (default 15).
    /// `MINHBACH_NOTIFY_POLL_SECONDS`.
    #[serde(default = "default_notify_poll_seconds")]
    pub notify_poll_seconds: u32,
    /// Seconds before a failed mail is tried again, doubled at each failure up to an hour (default 30).
    /// `MINHBACH_NOTIFY_RETRY_SECONDS`.
    #[serde(default = "default_notify_retry_seconds")]
    pub notify_retry_seconds: u32,
    /// Seconds between the background task's rounds (checkpoint, escalation, on-time recount, retention;
    /// default 600). With several instances on one database one of them runs it, under a lease of three
    /// rounds that another takes once it runs out. `MINHBACH_BACKGROUND_SECONDS`.
    #[serde(default = "default_background_seconds")]
    pub background_seconds: u32,
}

/// A setting that must never be printed (the mail server's password): its `Debug` says so instead.
#[derive(Clone, Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

/// The mail server settings, checked: present only when `smtp_host` is set.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub starttls: bool,
    pub credentials: Option<(String, Redacted)>,
    pub from: String,
}

fn default_true() -> bool {
    true
}

fn default_public_url() -> String {
    "http://127.0.0.1:8000".into()
}

fn default_notify_poll_seconds() -> u32 {
    15
}

fn default_notify_retry_seconds() -> u32 {
    30
}

fn default_background_seconds() -> u32 {
    600
}

fn default_max_files() -> usize {
    crate::evidence::Limits::default().files
}

fn default_max_file_bytes() -> usize {
    crate::evidence::Limits::default().file_bytes
}

fn default_max_total_bytes() -> usize {
    crate::evidence::Limits::default().total_bytes
}

fn default_uploads_at_once() -> usize {
    4
}

fn default_session_idle_seconds() -> u32 {
    30 * 60
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

impl Default for Settings {
    /// The embedded default: SQLite in `./data`, the default policy and scheme, 30 minutes idle.
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            database_url: None,
            policy: None,
            policy_file: None,
            reward_scheme: None,
            session_idle_seconds: default_session_idle_seconds(),
            kdf_workers: None,
            kdf_queue: None,
            attachments_max_files: default_max_files(),
            attachments_max_file_bytes: default_max_file_bytes(),
            attachments_max_total_bytes: default_max_total_bytes(),
            attachments_uploads_at_once: default_uploads_at_once(),
            smtp_host: None,
            smtp_port: None,
            smtp_starttls: true,
            smtp_user: None,
            smtp_password: None,
            smtp_from: None,
            public_url: default_public_url(),
            notify_poll_seconds: default_notify_poll_seconds(),
            notify_retry_seconds: default_notify_retry_seconds(),
            background_seconds: default_background_seconds(),
        }
    }
}

impl Settings {
    /// How long a staff session may go without a request, in milliseconds (one second at least).
    pub fn session_idle_millis(&self) -> i64 {
        i64::from(self.session_idle_seconds.max(1)) * 1000
    }

    /// The key-derivation gate these settings ask for.
    pub fn kdf_gate(&self) -> crate::app::KdfGate {
        crate::app::KdfGate::configured(self.kdf_workers, self.kdf_queue)
    }

    /// What one report or reply may carry.
    pub fn attachment_limits(&self) -> crate::evidence::Limits {
        crate::evidence::Limits {
            files: self.attachments_max_files,
            file_bytes: self.attachments_max_file_bytes,
            total_bytes: self.attachments_max_total_bytes,
        }
    }

    /// Rocket's limit on a whole `multipart/form-data` body: the files' total and room for the text fields.
    pub fn multipart_limit(&self) -> u64 {
        self.attachments_max_total_bytes as u64 + (1 << 20)
    }

    /// The mail server for notifications, if one is set: `smtp_from` is then required, and a user needs
    /// its password.
    pub fn smtp(&self) -> Result<Option<Smtp>, SetupError> {
        let Some(host) = self.smtp_host.as_deref().map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let from = (self.smtp_from.as_deref().map(str::trim))
            .filter(|f| !f.is_empty())
            .ok_or_else(|| {
                SetupError::Deployment("smtp_host is set but smtp_from is not (MINHBACH_SMTP_FROM)".into())
            })?;
        let credentials = match (&self.smtp_user, &self.smtp_password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            (None, None) => None,
            _ => {
                return Err(SetupError::Deployment(
                    "smtp_user and smtp_password go together (MINHBACH_SMTP_USER, MINHBACH_SMTP_PASSWORD)".into(),
                ))
            }
        };
        Ok(Some(Smtp {
            host: host.to_owned(),
            port: self.smtp_port.unwrap_or(if self.smtp_starttls { 587 } else { 25 }),
            starttls: self.smtp_starttls,
            credentials,
            from: from.to_owned(),
        }))
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("minhbach.db")
    }

    /// Selects the deployment's policy and reward scheme, for the whole process. A second call with other
    /// values is refused: one process serves one deployment.
    pub fn install_deployment(&self) -> Result<(), SetupError> {
        use crate::domain::policy::Policy;
        use crate::domain::reward::Scheme;
        let policy = match (&self.policy_file, &self.policy) {
            (Some(path), _) => {
                let text = fs::read_to_string(path).map_err(|source| SetupError::DataDir {
                    path: path.clone(),
                    source,
                })?;
                Policy::parse(&text).map_err(|e| SetupError::Deployment(format!("{}: {e}", path.display())))?
            }
            (None, Some(id)) => Policy::preset(id).map_err(|e| SetupError::Deployment(e.to_string()))?,
            (None, None) => Policy::default_preset().clone(),
        };
        let scheme = match &self.reward_scheme {
            Some(id) => Scheme::parse(id).ok_or_else(|| {
                SetupError::Deployment(format!(
                    "unknown reward scheme {id:?} (known: vn_ttlt_01_2015, kr_acrc, us_sec, id_pp43_2018)"
                ))
            })?,
            None => Scheme::VnTtlt012015,
        };
        Policy::install(policy).map_err(SetupError::Deployment)?;
        Scheme::install(scheme).map_err(SetupError::Deployment)
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            // `rw`, not `rwc`: the file is created (owner-only) before the first connection, and afterwards a
            // database file that went away is an error, not a new empty database beside the old WAL.
            .unwrap_or_else(|| format!("sqlite://{}?mode=rw", self.sqlite_path().display()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("configuration: {0}")]
    Config(#[from] Box<rocket::figment::Error>),
    #[error("data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("secret key file {path} is damaged: expected 64 hex digits")]
    DamagedSecret { path: PathBuf },
    #[error("deployment: {0}")]
    Deployment(String),
}

/// Rocket's defaults with this application's own on top: what every figment starts from, tests included.
pub fn base() -> Figment {
    // 256 KiB covers the longest narrative (20 000 characters) even fully \u-escaped in JSON.
    let limits = rocket::data::Limits::default()
        .limit("form", rocket::data::ByteUnit::Kibibyte(256))
        .limit("json", rocket::data::ByteUnit::Kibibyte(256))
        .limit("string", rocket::data::ByteUnit::Kibibyte(256));
    Figment::from(rocket::Config::default())
        .merge(Serialized::defaults(Settings::default()))
        .merge(Serialized::default(
            "template_dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
        ))
        .merge(Serialized::default("limits", limits))
        // Rocket's own logger is off: even at "critical" it prints unmatched request URIs, queries included.
        // Our request log (web::log) replaces it and leaves out what must never be logged.
        .merge(Serialized::default("log_level", rocket::config::LogLevel::Off))
        .merge(Serialized::default("cli_colors", false))
        // Never read the client's address from a proxy header: nothing here needs it.
        .merge(Serialized::default("ip_header", false))
}

/// The figment the server and the CLI read: [`base`], then `Rocket.toml` (or `ROCKET_CONFIG`), then
/// `ROCKET_*` and `MINHBACH_*` variables, in the profile `ROCKET_PROFILE` names (default: `default`, or
/// `release` in release builds, as Rocket does).
pub fn figment() -> Figment {
    base()
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .merge(Env::prefixed("MINHBACH_").global())
        .select(Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE))
}

/// The server's secret (32 bytes): Rocket's private cookies and the reporter's reply tokens derive from it.
pub struct ServerSecret(pub Zeroizing<[u8; 32]>);

/// Creates the data directory (mode 0700) and the secret key file (mode 0600) if missing, and reads the key.
pub fn prepare_data_dir(dir: &Path) -> Result<ServerSecret, SetupError> {
    let io = |source| SetupError::DataDir {
        path: dir.to_owned(),
        source,
    };
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io)?;
        restrict(dir, 0o700).map_err(io)?;
    } else if is_open_to_others(dir) {
        tracing::warn!(dir = %dir.display(), "the data directory is readable by other users: chmod 700 it");
    }
    let path = dir.join("secret.key");
    if !path.exists() {
        let secret = Zeroizing::new(crate::crypto::random_bytes::<32>());
        write_private(&path, hex::encode(*secret).as_bytes()).map_err(io)?;
    }
    let text = Zeroizing::new(fs::read_to_string(&path).map_err(io)?);
    let mut secret = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), secret.as_mut()).map_err(|_| SetupError::DamagedSecret { path })?;
    Ok(ServerSecret(secret))
}

/// Creates a directory (and its parents) if missing; a directory it creates is owner-only (0700).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Makes an existing file owner-only (0600): a copy another tool created with the default mode.
pub fn restrict_private(path: &Path) -> std::io::Result<()> {
    restrict(path, 0o600)
}

/// Creates `path` with owner-only permissions before anything is written to it.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates an empty file with owner-only permissions if it does not exist (SQLite then keeps them, and
/// gives its -wal and -shm files the same).
pub fn touch_private(path: &Path) -> std::io::Result<()> {
    match write_private(path, b"") {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

fn is_open_to_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o077 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
