//! Backups while the server runs, and restores into an empty data directory or database (`DESIGN.md`,
//! "Operations"; `docs/operations.md`). A backup directory holds the database copy, the key files the
//! operator chose, and `manifest.json`: the ledger head of the copy and a SHA-256 checksum of each file. A
//! restore checks every checksum before it writes anything, then runs `audit verify` on what it restored
//! and compares the ledger head with the manifest's.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{self, Settings};
use crate::store::backup::{self as copy, BackupError};
use crate::store::{Backend, Db};

use super::{Error, Result};

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "minhbach.db";
const POSTGRES_FILE: &str = "minhbach.pgdump";
const SECRET_FILE: &str = "secret.key";
const RECOVERY_FILE: &str = "recovery.key";
/// The manifest's format; a restore refuses one it does not know.
const FORMAT: u32 = 1;

/// One file of a backup as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub version: String,
    pub backend: String,
    /// When the copy was taken, in milliseconds since the epoch.
    pub taken_at: i64,
    pub ledger_entries: i64,
    pub ledger_hash: String,
    pub reports: i64,
    pub files: Vec<FileEntry>,
}

/// Which key files go into a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyChoice {
    /// `secret.key`. Without it in the backup, a restore needs the operator's own copy in the new data
    /// directory: the staff's one-time-code secrets open only with it (SECURITY.md keeps it apart from
    /// database backups by default).
    pub secret: bool,
    /// `recovery.key`, only when asked: whoever holds a backup with it can re-grant every report.
    pub recovery: bool,
}

/// What the caller is told while a long copy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Bytes of the database copied so far, of about `total` (0 when unknown).
    Copying { done: u64, total: u64 },
    /// Checking checksums, restoring, or verifying the ledger.
    Step(&'static str),
}

fn backup_error(e: BackupError) -> Error {
    match e {
        BackupError::Sqlx(e) => e.into(),
        other => Error::Refused(other.to_string()),
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Refused(format!("{}: {e}", path.display()))
}

/// SHA-256 and size of a file, read in blocks.
fn checksum(path: &Path) -> Result<(u64, String)> {
    let mut file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io_error(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// Runs `work` while reporting the size of `path` every half second against `total`.
async fn watching<T>(
    path: &Path,
    total: u64,
    progress: &(dyn Fn(Progress) + Sync),
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = tick.tick() => {
                let done = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                progress(Progress::Copying { done, total });
            }
        }
    }
}

/// A directory that does not exist yet, or exists and is empty; created with owner-only permissions.
fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
        if entries.next().is_some() {
            return Err(Error::Refused(format!(
                "{} is not empty: back up into a new directory",
                dir.display()
            )));
        }
    }
    config::create_private_dir(dir).map_err(io_error(dir))
}

/// Copies a key file into the backup with owner-only permissions.
fn copy_private(from: &Path, to: &Path) -> Result<()> {
    let contents = zeroize::Zeroizing::new(std::fs::read(from).map_err(io_error(from))?);
    config::write_private(to, &contents).map_err(io_error(to))
}

/// What `backup` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackedUp {
    pub manifest: Manifest,
    pub took: Duration,
}

/// Takes a backup of the running deployment into `to` (new or empty): the database, the chosen key files
/// and the manifest. Writers go on while it runs; the copy is one consistent snapshot.
pub async fn backup(
    db: &Db,
    settings: &Settings,
    to: &Path,
    keys: KeyChoice,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BackedUp> {
    let started = Instant::now();
    fresh_dir(to)?;
    let taken_at = crate::store::now_millis();
    let (name, head) = match db.backend() {
        Backend::Sqlite => {
            let dest = to.join(SQLITE_FILE);
            let total = copy::sqlite_size(db.pool()).await?;
            let head = watching(&dest, total, progress, copy::sqlite_copy(db.pool(), &dest)).await;
            let head = head.map_err(backup_error)?;
            config::restrict_private(&dest).map_err(io_error(&dest))?;
            (SQLITE_FILE, head)
        }
        Backend::Postgres => {
            let dest = to.join(POSTGRES_FILE);
            let url = settings.database_url();
            let head = watching(&dest, 0, progress, copy::postgres_dump(db.pool(), &url, &dest)).await;
            let head = head.map_err(backup_error)?;
            config::restrict_private(&dest).map_err(io_error(&dest))?;
            (POSTGRES_FILE, head)
        }
    };
    let mut names = vec![name];
    if keys.secret {
        copy_private(&settings.data_dir.join(SECRET_FILE), &to.join(SECRET_FILE))?;
        names.push(SECRET_FILE);
    }
    if keys.recovery {
        let path = crate::setup::recovery_key_path(settings);
        if !path.exists() {
            return Err(Error::Refused(format!(
                "{} is not on this server (it should be offline): back up without --with-recovery-key",
                path.display()
            )));
        }
        copy_private(&path, &to.join(RECOVERY_FILE))?;
        names.push(RECOVERY_FILE);
    }
    progress(Progress::Step("checksums"));
    let files = names
        .iter()
        .map(|name| {
            let (bytes, sha256) = checksum(&to.join(name))?;
            Ok(FileEntry {
                name: (*name).to_owned(),
                bytes,
                sha256,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let manifest = Manifest {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: format!("{:?}", db.backend()).to_lowercase(),
        taken_at,
        ledger_entries: head.entries,
        ledger_hash: head.hash,
        reports: head.reports,
        files,
    };
    write_manifest(&to.join(MANIFEST), &manifest)?;
    Ok(BackedUp {
        manifest,
        took: started.elapsed(),
    })
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::Refused(e.to_string()))?;
    let mut file = std::fs::File::create(path).map_err(io_error(path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))?;
    // The directory entry of every file, durable too.
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(())
}

/// Reads a backup's manifest and checks every file it lists against its size and checksum.
pub fn check(from: &Path) -> Result<Manifest> {
    let path = from.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| Error::Refused(format!("{}: not a backup manifest: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(Error::Refused(format!(
            "{}: manifest format {} (this version reads {FORMAT})",
            path.display(),
            manifest.format
        )));
    }
    for file in &manifest.files {
        let (bytes, sha256) = checksum(&from.join(&file.name))?;
        if (bytes, sha256.as_str()) != (file.bytes, file.sha256.as_str()) {
            return Err(Error::Refused(format!(
                "{}: its checksum does not match the manifest: the backup is damaged",
                from.join(&file.name).display()
            )));
        }
    }
    Ok(manifest)
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub manifest: Manifest,
    /// Ledger entries `audit verify` checked in the restored database.
    pub verified: usize,
    pub took: Duration,
    /// The backup holds `recovery.key`; it was not copied onto the server.
    pub recovery_key_left: bool,
}

fn has(manifest: &Manifest, name: &str) -> bool {
    manifest.files.iter().any(|f| f.name == name)
}

/// Restores the backup in `from` into the configured data directory and database, which must hold no
/// database yet; then verifies the ledger and compares its head with the manifest.
pub async fn restore(settings: &Settings, from: &Path, progress: &(dyn Fn(Progress) + Sync)) -> Result<Restored> {
    let started = Instant::now();
    progress(Progress::Step("checksums"));
    let manifest = check(from)?;
    let backend = crate::store::Backend::from_url(&settings.database_url())
        .ok_or_else(|| Error::Refused("unsupported database URL".into()))?;
    let wanted = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    if manifest.backend != wanted {
        return Err(Error::Refused(format!(
            "the backup is of a {} database and this deployment uses {wanted}",
            manifest.backend
        )));
    }
    place_secret(settings, from, &manifest)?;
    progress(Progress::Step("restoring the database"));
    match backend {
        Backend::Sqlite => restore_sqlite(settings, &from.join(SQLITE_FILE), progress).await?,
        Backend::Postgres => restore_postgres(settings, &from.join(POSTGRES_FILE)).await?,
    }
    progress(Progress::Step("verifying the ledger"));
    let db = crate::setup::open_database(settings)
        .await
        .map_err(|e| Error::Refused(format!("the restored database does not open: {e}")))?;
    let verified = super::audit::audit_verify(&db).await;
    let head = crate::store::ledger::head(db.pool()).await;
    db.close().await;
    let verified = verified?;
    let (entries, hash) = head?;
    if (entries, hash.as_str()) != (manifest.ledger_entries, manifest.ledger_hash.as_str()) {
        return Err(Error::Refused(format!(
            "the restored ledger head ({entries} entries, {hash}) is not the manifest's ({} entries, {})",
            manifest.ledger_entries, manifest.ledger_hash
        )));
    }
    Ok(Restored {
        recovery_key_left: has(&manifest, RECOVERY_FILE),
        manifest,
        verified,
        took: started.elapsed(),
    })
}

/// The server secret: the backup's, unless the data directory already has one (then they must agree);
/// with none in either place, the staff could not sign in after the restore, so it is refused.
fn place_secret(settings: &Settings, from: &Path, manifest: &Manifest) -> Result<()> {
    let here = settings.data_dir.join(SECRET_FILE);
    let there = from.join(SECRET_FILE);
    match (has(manifest, SECRET_FILE), here.exists()) {
        (true, true) => {
            let same =
                std::fs::read(&here).map_err(io_error(&here))? == std::fs::read(&there).map_err(io_error(&there))?;
            if same {
                Ok(())
            } else {
                Err(Error::Refused(format!(
                    "{} differs from the backup's secret.key: restore into a new data directory",
                    here.display()
                )))
            }
        }
        (true, false) => {
            config::create_private_dir(&settings.data_dir).map_err(io_error(&settings.data_dir))?;
            copy_private(&there, &here)
        }
        (false, true) => Ok(()),
        (false, false) => Err(Error::Refused(format!(
            "the backup has no secret.key: put the server's secret.key from your key custody into {} first",
            settings.data_dir.display()
        ))),
    }
}

async fn restore_sqlite(settings: &Settings, copy_from: &Path, progress: &(dyn Fn(Progress) + Sync)) -> Result<()> {
    let target = settings.sqlite_path();
    let occupied =
        std::fs::metadata(&target).map(|m| m.len() > 0).unwrap_or(false) || target.with_extension("db-wal").exists();
    if occupied {
        return Err(Error::Refused(format!(
            "{} already holds a database: restore into a new data directory",
            target.display()
        )));
    }
    let pending = target.with_extension(format!("db.restoring.{}", crate::crypto::random_id()));
    let total = std::fs::metadata(copy_from).map(|m| m.len()).unwrap_or(0);
    let (from, to) = (copy_from.to_owned(), pending.clone());
    let copied = watching(
        &pending,
        total,
        progress,
        tokio::task::spawn_blocking(move || copy_file_private(&from, &to)),
    )
    .await
    .map_err(|_| Error::Internal("restore copy"))?;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&pending);
        return Err(e);
    }
    // The copy passes the integrity check before it takes the database's place.
    copy::sqlite_check(&pending).await.map_err(backup_error)?;
    std::fs::rename(&pending, &target).map_err(io_error(&target))
}

/// Copies a file to a new path with owner-only permissions, synced to disk.
fn copy_file_private(from: &Path, to: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from).map_err(io_error(from))?;
    config::write_private(to, b"").map_err(io_error(to))?;
    let mut dest = std::fs::OpenOptions::new().write(true).open(to).map_err(io_error(to))?;
    std::io::copy(&mut source, &mut dest)
        .and_then(|_| dest.sync_all())
        .map_err(io_error(to))
}

async fn restore_postgres(settings: &Settings, dump: &Path) -> Result<()> {
    let url = settings.database_url();
    let db = Db::connect(&url)
        .await
        .map_err(|e| Error::Refused(format!("the database does not open: {e}")))?;
    let empty = copy::postgres_is_empty(db.pool()).await;
    db.close().await;
    if !empty? {
        return Err(Error::Refused(
            "the database already holds Minh Bạch's tables: restore into an empty database".into(),
        ));
    }
    copy::postgres_restore(&url, dump).await.map_err(backup_error)
}
