//! Storage: sqlx over SQLite (embedded default) or PostgreSQL (scale-out), one module per aggregate.
//!
//! Queries are runtime-checked SQL with `$N` placeholders that both backends accept, through sqlx's `Any`
//! driver, which carries only integers, floats, text and bytes: times are integer milliseconds, flags
//! integers, ids text. Every query is exercised on both backends by the test suite.

pub mod backup;
pub mod cases;
pub mod commendations;
pub mod grants;
pub mod ledger;
pub mod messages;
pub mod org;
pub mod reports;
pub mod sessions;
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
        let pool = pool_options
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
