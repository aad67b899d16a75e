//! Online copies of the database while the server runs, and putting one back: SQLite's `VACUUM INTO` (a
//! consistent snapshot in one read transaction; writers go on in WAL mode), PostgreSQL's `pg_dump` in
//! custom format inside an exported snapshot, so the ledger head read beside it is the dump's own.

use std::path::{Path, PathBuf};

use sqlx::{AnyPool, Connection, Executor, Row};

/// What a copy holds, read from the copy's own snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub entries: i64,
    pub hash: String,
    pub reports: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("{0} was not found: install PostgreSQL's client tools (Debian: postgresql-client) or set MINHBACH_PG_BIN")]
    NoTool(&'static str),
    #[error("the copy fails SQLite's integrity check: {0}")]
    Integrity(String),
    #[error("the database URL is not one PostgreSQL's tools read: {0}")]
    Url(String),
}

async fn head_of(conn: &mut sqlx::AnyConnection) -> Result<Head, sqlx::Error> {
    let row = conn
        .fetch_one("SELECT entries, hash FROM ledger_head WHERE id = 1")
        .await?;
    let reports = conn.fetch_one("SELECT COUNT(*) AS n FROM reports").await?;
    Ok(Head {
        entries: row.try_get("entries")?,
        hash: row.try_get("hash")?,
        reports: reports.try_get("n")?,
    })
}

/// The database's size in bytes, for progress: SQLite's pages in use.
pub async fn sqlite_size(pool: &AnyPool) -> Result<u64, sqlx::Error> {
    let pages: i64 = pool.fetch_one("PRAGMA page_count").await?.try_get(0)?;
    let free: i64 = pool.fetch_one("PRAGMA freelist_count").await?.try_get(0)?;
    let size: i64 = pool.fetch_one("PRAGMA page_size").await?.try_get(0)?;
    Ok(u64::try_from((pages - free).max(0) * size).unwrap_or(0))
}

/// Copies the SQLite database into `dest` (which must not exist) with `VACUUM INTO`, then opens the copy
/// read-only: it must pass `PRAGMA integrity_check`, and its ledger head is returned.
pub async fn sqlite_copy(pool: &AnyPool, dest: &Path) -> Result<Head, BackupError> {
    let target = dest
        .to_str()
        .ok_or_else(|| std::io::Error::other("the backup path is not UTF-8"))?;
    sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await?;
    sqlite_check(dest).await
}

/// Opens a SQLite file read-only and returns its ledger head if it passes `PRAGMA integrity_check`.
pub async fn sqlite_check(path: &Path) -> Result<Head, BackupError> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    let check: String = conn.fetch_one("PRAGMA integrity_check").await?.try_get(0)?;
    if check != "ok" {
        return Err(BackupError::Integrity(check));
    }
    let head = head_of(&mut conn).await?;
    conn.close().await?;
    Ok(head)
}

/// Whether a PostgreSQL database holds no table of ours (a restore goes only into an empty one).
pub async fn postgres_is_empty(pool: &AnyPool) -> Result<bool, sqlx::Error> {
    let row = pool
        .fetch_one(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name IN ('ledger', '_sqlx_migrations')",
        )
        .await?;
    Ok(row.try_get::<i64, _>("n")? == 0)
}

/// A PostgreSQL URL split for the client tools: the URL without its password (it would show in the
/// process list) and the password, passed as `PGPASSWORD`.
fn for_tools(url: &str) -> Result<(String, Option<String>), BackupError> {
    let mut parsed = url::Url::parse(url).map_err(|e| BackupError::Url(e.to_string()))?;
    let password = parsed
        .password()
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .map(|p| p.into_owned())
        })
        .transpose()
        .map_err(|e| BackupError::Url(e.to_string()))?;
    parsed
        .set_password(None)
        .map_err(|()| BackupError::Url("no host".into()))?;
    Ok((parsed.to_string(), password))
}

/// Where a PostgreSQL client tool is: `MINHBACH_PG_BIN`, else the newest Debian install
/// (`/usr/lib/postgresql/*/bin`), else the `PATH`.
pub fn pg_tool(name: &'static str) -> Result<PathBuf, BackupError> {
    if let Some(dir) = std::env::var_os("MINHBACH_PG_BIN") {
        let path = PathBuf::from(dir).join(name);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(BackupError::NoTool(name))
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let path = entry.path().join("bin").join(name);
            path.is_file().then_some((version, path))
        })
        .collect();
    versions.sort();
    if let Some((_, path)) = versions.pop() {
        return Ok(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or(BackupError::NoTool(name))
}

async fn run_tool(tool: &'static str, mut command: tokio::process::Command) -> Result<(), BackupError> {
    let output = command.kill_on_drop(true).output().await?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// Dumps the PostgreSQL database at `url` into `dest` (custom format) from an exported snapshot, and
/// returns the ledger head of that same snapshot.
pub async fn postgres_dump(pool: &AnyPool, url: &str, dest: &Path) -> Result<Head, BackupError> {
    let pg_dump = pg_tool("pg_dump")?;
    let (url, password) = for_tools(url)?;
    let mut conn = pool.acquire().await?;
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    let snapshot: String = conn.fetch_one("SELECT pg_export_snapshot()").await?.try_get(0)?;
    let head = head_of(&mut conn).await?;
    let mut command = tokio::process::Command::new(pg_dump);
    command
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(dest)
        .arg("--dbname")
        .arg(&url);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let dumped = run_tool("pg_dump", command).await;
    // The snapshot lives as long as the transaction that exported it.
    conn.execute("COMMIT").await?;
    dumped.map(|()| head)
}

/// Restores a custom-format dump into the (empty) PostgreSQL database at `url`.
pub async fn postgres_restore(url: &str, dump: &Path) -> Result<(), BackupError> {
    let pg_restore = pg_tool("pg_restore")?;
    let (url, password) = for_tools(url)?;
    let mut command = tokio::process::Command::new(pg_restore);
    command
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .arg("--dbname")
        .arg(&url)
        .arg(dump);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    run_tool("pg_restore", command).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_get_the_url_without_its_password() {
        let (url, password) = for_tools("postgres://minh:p%40ss%2Bw%20rd@db.local:5433/minhbach").unwrap();
        assert_eq!(url, "postgres://minh@db.local:5433/minhbach");
        assert_eq!(password.as_deref(), Some("p@ss+w rd"));
        let (url, password) = for_tools("postgres://postgres@127.0.0.1:55432/postgres").unwrap();
        assert_eq!(url, "postgres://postgres@127.0.0.1:55432/postgres");
        assert_eq!(password, None);
    }
}
