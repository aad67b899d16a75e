//! Storage: sqlx over SQLite (embedded default) or PostgreSQL (scale-out), one module per aggregate.
//!
//! Queries are runtime-checked SQL with `$N` placeholders that both backends accept, through sqlx's `Any`
//! driver, which carries only integers, floats, text and bytes: times are integer milliseconds, flags
//! integers, ids text. Every query is exercised on both backends by the test suite.

pub mod attachments;
pub mod backup;
pub mod cases;
pub mod commendations;
pub mod figures;
pub mod grants;
pub mod keyset;
pub mod leases;
pub mod ledger;
pub mod messages;
pub mod notify;
pub mod on_time;
pub mod org;
pub mod ratings;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod sign_in;
pub mod stats;
pub mod units;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// A 32-byte column (a public key).
pub(crate) fn bytes32(row: &sqlx::any::AnyRow, column: &str) -> Result<[u8; 32], sqlx::Error> {
    let bytes: Vec<u8> = sqlx::Row::try_get(row, column)?;
    bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode(format!("{column} is not 32 bytes").into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The connection pool and which backend it speaks to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// When storage last failed in this process (an I/O error, a full disk, a file gone, a server down), in
/// nanoseconds since [`EPOCH`]; 0 for never.
static LAST_FAULT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn since_epoch() -> u64 {
    let epoch = *EPOCH.get_or_init(std::time::Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Records that storage failed. Every connection opened before now is then closed instead of reused: a
/// connection that met an I/O error can be left inside a transaction whose rollback failed too, and
/// everything it "commits" afterwards would be nested in that transaction and never reach the disk.
pub fn note_fault(error: &sqlx::Error) {
    if matches!(
        error,
        sqlx::Error::Database(_) | sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed
    ) {
        mark_fault();
    }
}

fn mark_fault() {
    LAST_FAULT.fetch_max(since_epoch().max(1), std::sync::atomic::Ordering::AcqRel);
}

/// The SQLite database file a pool works on, and which file it was (device and inode) when last seen. A
/// file removed under the running server would otherwise go on taking writes into its unlinked inode, each
/// acknowledged and each lost at the next start; it is checked before a connection is handed out.
#[derive(Debug)]
struct WatchedFile {
    path: std::path::PathBuf,
    identity: std::sync::Mutex<Option<(u64, u64)>>,
}

impl WatchedFile {
    fn identity_now(&self) -> Option<(u64, u64)> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(&self.path).ok().map(|m| (m.dev(), m.ino()))
        }
        #[cfg(not(unix))]
        {
            std::fs::metadata(&self.path).ok().map(|_| (0, 0))
        }
    }

    /// Whether connections may still be handed out: the file is there and is the one they opened. A file
    /// gone or replaced (restored from a backup) is a fault: older connections are closed, and new ones
    /// open whatever the path holds now.
    fn unchanged(&self) -> bool {
        let now = self.identity_now();
        let mut seen = self.identity.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if now.is_some() && (seen.is_none() || *seen == now) {
            *seen = now;
            return true;
        }
        *seen = now;
        mark_fault();
        false
    }
}

/// The file of a `sqlite:` URL (`sqlite://PATH?…` or `sqlite:PATH`), unless it is in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().filter(|p| !p.is_empty() && *p != ":memory:")?;
    Some(std::path::PathBuf::from(path))
}

/// Whether a connection of this age was opened after the last storage fault.
fn opened_since_last_fault(age: Duration) -> bool {
    let fault = LAST_FAULT.load(std::sync::atomic::Ordering::Acquire);
    let opened = since_epoch().saturating_sub(u64::try_from(age.as_nanos()).unwrap_or(u64::MAX));
    fault == 0 || opened > fault
}

/// Settings every SQLite connection gets. WAL with `synchronous=FULL` makes a committed report durable
/// across power loss; `secure_delete` overwrites deleted content; foreign keys are off by default in SQLite.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
    "PRAGMA busy_timeout = 10000",
];

impl Db {
    /// Connects to `url` (`sqlite:…` or `postgres://…`) without running migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(StoreError::UnsupportedUrl)?;
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new().max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        conn.execute(*pragma).await?;
                    }
                    Ok(())
                })
            }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let watched = match backend {
            Backend::Sqlite => sqlite_file(url).map(|path| {
                std::sync::Arc::new(WatchedFile {
                    path,
                    identity: std::sync::Mutex::new(None),
                })
            }),
            Backend::Postgres => None,
        };
        let pool = pool_options
            .before_acquire(move |_conn, meta| {
                let watched = watched.clone();
                Box::pin(async move {
                    let file_ok = watched.as_deref().is_none_or(WatchedFile::unchanged);
                    Ok(file_ok && opened_since_last_fault(meta.age))
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Brings the schema up to date with the migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// An id column, as its type.
pub(crate) fn id<T: From<String>>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, sqlx::Error> {
    Ok(T::from(sqlx::Row::try_get::<String, _>(row, column)?))
}

/// A nullable id column, as its type.
pub(crate) fn optional_id<T: From<String>>(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<T>, sqlx::Error> {
    Ok(sqlx::Row::try_get::<Option<String>, _>(row, column)?.map(T::from))
}

/// Ids bind as the text they are.
macro_rules! bind_as_text {
    ($($id:ty),*) => {$(
        impl sqlx::Type<sqlx::Any> for $id {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $id {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str().to_owned(), buf)
            }
        }
    )*};
}

bind_as_text!(
    crate::domain::ids::ReportId,
    crate::domain::ids::UserId,
    crate::domain::ids::TeamId,
    crate::domain::ids::UnitId,
    crate::domain::ids::NoteId,
    crate::domain::ids::MessageId,
    crate::domain::ids::SessionId
);
